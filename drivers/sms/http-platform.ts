import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SmsFailureKind } from './cms-errors.js';
import { SmsError } from './errors.js';
import type { SmsSendOptions, SmsSendResult } from './sms-modem.js';
import type { SmsTransport, SmsTransportStatus } from './transport.js';

/**
 * A carrier's bulk-SMS platform over HTTP(S) (no policy: one request per message). The body is JSON or a form made
 * from templated fields ({number}, {text}, {timestamp}, {nonce}); the header `signatureHeader` carries hex
 * HMAC-SHA256(secret, body) so the platform can check who sent it, with the timestamp and nonce in their headers (and,
 * when the fields use them, inside the signed body). Success: a 2xx status and, when `successField` is set, that
 * field of the JSON answer equal to `successValue`.
 *
 * Failures, as SmsError `http_error` with `detail.http` (code: the HTTP status, 0 when none): a timeout is `timeout`,
 * no connection `port_unavailable` (both transient); 5xx, 408, 429 and an error answer are kind `network` (try again);
 * other 4xx kind `subscription` (the platform refuses us: retrying will not help).
 */
export interface HttpSmsPlatformOptions {
  readonly url: string;
  readonly format: 'json' | 'form';
  readonly fields: Readonly<Record<string, string>>;
  /** Read at every send, so a rotated secret is used at once. */
  readonly secretFile: string;
  readonly signatureHeader?: string;
  readonly timestampHeader?: string;
  readonly nonceHeader?: string;
  readonly timeoutMs?: number;
  /** Dot path into the JSON answer, e.g. `code` or `result.status`. */
  readonly successField?: string;
  readonly successValue?: string | number | boolean;
  readonly messageIdField?: string;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** `a.b.c` of a parsed JSON value. */
function pick(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function httpError(status: number, meaning: string, kind: SmsFailureKind): SmsError {
  return new SmsError('http_error', `SMS platform: ${meaning}`, { http: { code: status, meaning, kind } });
}

export function signBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export class HttpSmsPlatform implements SmsTransport {
  private readonly now: () => number;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(private readonly o: HttpSmsPlatformOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The request body for one message (exported for tests and the docs). */
  body(number: string, text: string, timestamp: number, nonce: string): { body: string; contentType: string } {
    const values: Record<string, string> = { number, text, timestamp: String(timestamp), nonce };
    const fill = (t: string): string => t.replace(/\{(number|text|timestamp|nonce)\}/g, (_, k: string) => values[k]!);
    const entries = Object.entries(this.o.fields).map(([k, t]): [string, string] => [k, fill(t)]);
    return this.o.format === 'json'
      ? { body: JSON.stringify(Object.fromEntries(entries)), contentType: 'application/json; charset=utf-8' }
      : { body: new URLSearchParams(entries).toString(), contentType: 'application/x-www-form-urlencoded; charset=utf-8' };
  }

  async send(number: string, text: string, _opts?: SmsSendOptions): Promise<SmsSendResult> {
    return this.request(number, text);
  }

  private async request(number: string, text: string): Promise<SmsSendResult> {
    const fail = (error: SmsError): SmsSendResult => ({ ok: false, error, partsSent: 0, partsTotal: 1 });
    if (this.closed) return fail(new SmsError('closed', 'SMS platform client closed'));
    if (!/^\+?\d{5,20}$/.test(number)) return fail(new SmsError('invalid_input', `not a phone number: ${number}`));
    let secret: string;
    try {
      secret = (await readFile(this.o.secretFile, 'utf8')).trim();
    } catch (err) {
      return fail(new SmsError('port_unavailable', `cannot read the platform secret ${this.o.secretFile}: ${(err as Error).message}`));
    }
    const timestamp = this.now();
    const nonce = randomBytes(16).toString('hex');
    const { body, contentType } = this.body(number, text, timestamp, nonce);
    let res: Response;
    let answer: string;
    const abort = new AbortController();
    this.inFlight.add(abort);
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          [this.o.signatureHeader ?? 'X-Signature']: signBody(secret, body),
          [this.o.timestampHeader ?? 'X-Timestamp']: String(timestamp),
          [this.o.nonceHeader ?? 'X-Nonce']: nonce,
        },
        body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? 10_000)]),
      });
      answer = await res.text();
    } catch (err) {
      const e = err as Error;
      if (abort.signal.aborted) return fail(new SmsError('closed', 'SMS platform client closed during the request'));
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return fail(new SmsError('timeout', `SMS platform did not answer within ${this.o.timeoutMs ?? 10_000} ms`));
      return fail(new SmsError('port_unavailable', `SMS platform unreachable: ${String((e as { cause?: unknown }).cause ?? e.message)}`));
    } finally {
      this.inFlight.delete(abort);
    }
    if (!res.ok) {
      const transient = res.status >= 500 || res.status === 408 || res.status === 429;
      return fail(httpError(res.status, `HTTP ${res.status} ${answer.slice(0, 200)}`.trim(), transient ? 'network' : 'subscription'));
    }
    let parsed: unknown;
    try {
      parsed = answer === '' ? undefined : JSON.parse(answer);
    } catch {
      parsed = undefined;
    }
    if (this.o.successField !== undefined) {
      const got = pick(parsed, this.o.successField);
      const want = this.o.successValue ?? 0;
      if (got === undefined || String(got) !== String(want)) {
        return fail(httpError(res.status, `answer ${this.o.successField}=${JSON.stringify(got)} (success is ${JSON.stringify(want)}): ${answer.slice(0, 200)}`, 'network'));
      }
    }
    const id = this.o.messageIdField === undefined ? undefined : pick(parsed, this.o.messageIdField);
    const messageId = typeof id === 'string' || typeof id === 'number' ? `http-${id}` : `http-${timestamp}-${nonce.slice(0, 8)}`;
    this.o.logger?.info({ event: 'sms.http_sent', messageId, status: res.status }, 'SMS platform took the message');
    return { ok: true, messageId, encoding: /^[\x20-\x7e\n\r]*$/.test(text) ? 'gsm7' : 'ucs2', references: [] };
  }

  /** Ready unless the secret cannot be read: whether the platform takes messages shows only when one is sent. */
  async status(): Promise<SmsTransportStatus> {
    try {
      await readFile(this.o.secretFile, 'utf8');
      return { ready: true, lastError: undefined };
    } catch (err) {
      return { ready: false, lastError: new SmsError('port_unavailable', `cannot read the platform secret ${this.o.secretFile}: ${(err as Error).message}`) };
    }
  }

  onDelivery(): () => void {
    return () => {};
  }

  /** Ends requests in flight (their sends answer `closed`). */
  close(): Promise<void> {
    this.closed = true;
    for (const a of this.inFlight) a.abort();
    return Promise.resolve();
  }
}
