import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { normalizeAddress } from '../../node-daemon/auth/rate-limit.js';
import type { Logger } from '../../node-daemon/core/log.js';

/**
 * Every refused request is answered, logged and counted the same way. The answer is `{"error": {"code"}}` (plus a
 * `message` and the offending `param` where telling helps an honest sender: a malformed body, a bad code; never for
 * a refused signature, which only its code explains). The log line is `hub.refused` with the reason, the key id
 * claimed, the client address and a detail line, never a key, a code or a body.
 */

/** Counts refusals by reason, and by box for boxes the hub has enrolled (made-up key ids cannot grow it). */
export class RefusalCounter {
  readonly #byReason = new Map<string, number>();
  readonly #byBox = new Map<string, Map<string, number>>();

  count(reason: string, boxId?: string): void {
    this.#byReason.set(reason, (this.#byReason.get(reason) ?? 0) + 1);
    if (boxId === undefined) return;
    let m = this.#byBox.get(boxId);
    if (m === undefined) {
      m = new Map();
      this.#byBox.set(boxId, m);
    }
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }

  get(reason: string, boxId?: string): number {
    return (boxId === undefined ? this.#byReason.get(reason) : this.#byBox.get(boxId)?.get(reason)) ?? 0;
  }

  snapshot(): { byReason: Record<string, number>; byBox: Record<string, Record<string, number>> } {
    return {
      byReason: Object.fromEntries(this.#byReason),
      byBox: Object.fromEntries([...this.#byBox].map(([box, m]) => [box, Object.fromEntries(m)])),
    };
  }
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message?: string; readonly param?: string };
}

export function errorBody(code: string, message?: string, param?: string): ErrorBody {
  return { error: { code, ...(message === undefined ? {} : { message }), ...(param === undefined ? {} : { param }) } };
}

/** The client's address (the socket's peer), as the Node adaptor hands it to the app. */
export function clientAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const a = env?.incoming?.socket?.remoteAddress;
  return a === undefined ? undefined : normalizeAddress(a);
}

export interface Refusal {
  readonly status: ContentfulStatusCode;
  /** The answer's `error.code`, and the reason logged and counted. */
  readonly code: string;
  /** For the log: what exactly was wrong (no secrets). */
  readonly detail: string;
  /** The key id (box id) the request claimed, when known. */
  readonly keyid?: string;
  /** Count it against this enrolled box. */
  readonly box?: string;
  /** Told to the sender. */
  readonly message?: string;
  readonly param?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RefusalSink {
  readonly log: Logger;
  readonly refusals: RefusalCounter;
}

export function refuse(c: Context, sink: RefusalSink, r: Refusal): Response {
  sink.refusals.count(r.code, r.box);
  sink.log.warn(
    {
      event: 'hub.refused',
      reason: r.code,
      status: r.status,
      ...(r.keyid === undefined ? {} : { keyid: r.keyid }),
      ...(r.param === undefined ? {} : { param: r.param }),
      detail: r.detail,
      method: c.req.method,
      path: c.req.path,
      address: clientAddress(c),
    },
    `refused ${c.req.method} ${c.req.path}: ${r.code}`,
  );
  for (const [k, v] of Object.entries(r.headers ?? {})) c.header(k, v);
  return c.json(errorBody(r.code, r.message, r.param), r.status);
}
