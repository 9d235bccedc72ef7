/**
 * One signed bulk request to the county hub at a time (the backup and picture uploaders): signed with the box key,
 * its answer checked against the county key (push/transport.ts `signedRequest`), abortable (an alarm, stopping), and
 * every byte it put on the wire counted in the sync budget.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../core/types.js';
import { addUsage } from '../outbox/budget.js';
import type { OutboxStore } from '../outbox/outbox-store.js';
import type { SigningKey } from '../protocol/index.js';
import { NodeHttpTransport, signedRequest, type SignedExchange, type Transport } from '../push/transport.js';

export interface HubExchangeOptions {
  readonly hubUrl: string;
  readonly boxKey: SigningKey;
  readonly countyKey: KeyObject;
  readonly countyKeyId: string;
  readonly outbox: Pick<OutboxStore, 'budget' | 'saveBudget'>;
  /** `site.timezone`: the budget's calendar. */
  readonly timeZone: string;
  /** Hub time − box time, as the push loop learned it. */
  readonly offsetMs: () => number;
  readonly clock: Clock;
  readonly tlsPin?: string;
  readonly maxRateKbit?: number;
  readonly userAgent?: string;
  readonly requestTimeoutMs?: number;
  /** For tests: a transport of their own (not closed by `close`). */
  readonly transport?: Transport;
}

export interface HubRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly contentEncoding?: string;
  readonly query?: Record<string, string | number>;
}

/** A signed answer as the uploaders read it; status 0: no answer, or one not signed by the county for this request. */
export interface SignedAnswer {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly retryAfterS?: number;
  readonly json?: unknown;
}

export class HubExchange {
  private readonly transport: Transport;
  private inFlight: AbortController | undefined;
  private bytes = 0;

  constructor(private readonly opts: HubExchangeOptions) {
    this.transport = opts.transport ?? new NodeHttpTransport(opts.tlsPin === undefined ? {} : { tlsPin: opts.tlsPin });
  }

  /** Bytes on the wire (requests and answers) since the box started. */
  get wireBytes(): number {
    return this.bytes;
  }

  /** Aborts the request in flight; false when there was none. */
  abort(): boolean {
    if (this.inFlight === undefined) return false;
    this.inFlight.abort();
    return true;
  }

  close(): void {
    this.inFlight?.abort();
    if (this.opts.transport === undefined) this.transport.close();
  }

  /** One signed exchange; undefined when it was aborted: the caller looks again. */
  async send(req: HubRequest): Promise<SignedExchange | undefined> {
    const ctl = new AbortController();
    this.inFlight = ctl;
    let ex: SignedExchange;
    try {
      ex = await signedRequest({
        transport: this.transport,
        hub: this.opts.hubUrl,
        method: req.method,
        path: req.path,
        ...(req.query === undefined ? {} : { query: req.query }),
        body: req.body,
        contentType: req.contentType,
        ...(req.contentEncoding === undefined ? {} : { contentEncoding: req.contentEncoding }),
        key: this.opts.boxKey,
        countyKeyId: this.opts.countyKeyId,
        countyKey: this.opts.countyKey,
        clock: this.opts.clock,
        offsetMs: this.opts.offsetMs(),
        userAgent: this.opts.userAgent ?? 'fenghuo-box',
        timeoutMs: this.opts.requestTimeoutMs ?? 30_000,
        ...(this.opts.maxRateKbit === undefined ? {} : { maxRateKbit: this.opts.maxRateKbit }),
        signal: ctl.signal,
        maxResponseBytes: 64 * 1024,
      });
    } finally {
      this.inFlight = undefined;
    }
    this.count(ex.result.sentBytes + ex.result.receivedBytes);
    if (!ex.result.ok && ex.result.failure === 'aborted') return undefined;
    return ex;
  }

  private count(bytes: number): void {
    if (bytes <= 0) return;
    this.bytes += bytes;
    const outbox = this.opts.outbox;
    outbox.saveBudget(addUsage(outbox.budget(), this.opts.clock() + this.opts.offsetMs(), bytes, this.opts.timeZone));
  }
}

/** The answer as the uploaders' plans read it: a failed exchange or an answer not signed for this request is a 0 (retry). */
export function readSignedAnswer(ex: SignedExchange): SignedAnswer {
  const r = ex.result;
  if (!r.ok) return { status: 0, message: `${r.failure}: ${r.message}` };
  if (ex.verified?.ok !== true) return { status: 0, message: `the answer (${r.status}) is not signed by the county for this request${ex.verified?.ok === false ? ` (${ex.verified.reason})` : ''}` };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(r.body).toString('utf8'));
  } catch {
    json = undefined;
  }
  const retry = Number(r.headers['retry-after']);
  const err = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    status: r.status,
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
    ...(typeof err?.message === 'string' ? { message: err.message } : {}),
    ...(Number.isFinite(retry) && r.headers['retry-after'] !== undefined ? { retryAfterS: retry } : {}),
    json,
  };
}
