/**
 * One HTTP exchange with the hub, on node:http / node:https (not fetch): the box must know exactly what it sends
 * (its budget counts bytes on the wire, headers included, and it signs the fields it sends, so nothing may be added
 * behind its back), and it paces the body at `sync.maxRateKbit`.
 *
 * The caller gives every field, Host, Connection and Content-Length included, so Node adds none; the request goes on
 * a keep-alive connection when one is free (back-to-back requests of a catch-up do not pay a TCP and TLS handshake
 * each). The whole exchange, answer included, must end within `timeoutMs` (plus the time the cap makes the body
 * take), or it is aborted: a timeout. No retries here: the push client decides. With the enrolment's TLS pin, every
 * https connection must show the hub's pinned key (pinned-agent.ts); a refused key is the failure `certificate`.
 */
import type { KeyObject } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/types.js';
import { signRequest, verifyResponse, type SigningKey, type VerifyResult } from '../protocol/index.js';
import type { NetworkFailure } from './outcome.js';
import { durationAtRate, paceWaitMs, sliceBytes } from './pace.js';
import { PIN_MISMATCH_CODE, pinnedAgent } from './pinned-agent.js';
import { requestHeadBytes, responseHeadBytes } from './wire-bytes.js';

export interface WireRequest {
  readonly url: URL;
  readonly method: string;
  /** Every field sent, in order (names as they go on the wire). */
  readonly headers: Readonly<Record<string, string>>;
  /** None for a GET. */
  readonly body?: Uint8Array;
  readonly timeoutMs: number;
  readonly maxRateKbit?: number;
  /** Aborts the exchange (the client is stopping). */
  readonly signal?: AbortSignal;
  /** A longer answer is cut off and counts as a network failure. Default 1 MiB. */
  readonly maxResponseBytes?: number;
}

export type WireResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly statusMessage: string;
      readonly headers: IncomingHttpHeaders;
      readonly body: Uint8Array;
      /** Request bytes written (line, fields, body). */
      readonly sentBytes: number;
      /** Answer bytes read (line, fields, body). */
      readonly receivedBytes: number;
    }
  | {
      readonly ok: false;
      readonly failure: NetworkFailure | 'aborted';
      readonly message: string;
      readonly sentBytes: number;
      readonly receivedBytes: number;
      /** A connection was made, so the hub may have received the request. */
      readonly reached: boolean;
    };

export interface Transport {
  send(req: WireRequest): Promise<WireResult>;
  /** Closes idle connections. */
  close(): void;
}

const DEFAULT_MAX_RESPONSE = 1_048_576;

function failureOf(err: unknown, timedOut: boolean, stopped: boolean): { failure: NetworkFailure | 'aborted'; message: string } {
  if (stopped) return { failure: 'aborted', message: 'the sync module is stopping' };
  if (timedOut) return { failure: 'timeout', message: 'no answer within the request timeout' };
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === PIN_MISMATCH_CODE) return { failure: 'certificate', message };
  // Without a pin (a hub enrolled before pinning), the CA check refused the certificate.
  if (typeof code === 'string' && TLS_REFUSALS.test(code)) return { failure: 'certificate', message: `the hub's certificate was refused (${code}: ${message})` };
  switch (code) {
    case 'ECONNREFUSED':
      return { failure: 'refused', message: `connection refused (${message})` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return { failure: 'reset', message };
    case 'ETIMEDOUT':
      return { failure: 'timeout', message };
    default:
      return { failure: message === 'socket hang up' ? 'reset' : 'network', message: typeof code === 'string' ? `${code}: ${message}` : message };
  }
}

const TLS_REFUSALS = /^(ERR_TLS_CERT_ALTNAME_INVALID|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET_ISSUER_CERT|VERIFY_LEAF_SIGNATURE))/;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface TransportOptions {
  /**
   * The hub's SPKI pin from the enrolment (`sha256/…`, tls-pin.ts): every https connection must show that key, and
   * no certificate authority is asked. Without it, https connections are checked against the system's CAs.
   */
  readonly tlsPin?: string;
}

export class NodeHttpTransport implements Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly httpsAgent: https.Agent;

  constructor(opts: TransportOptions = {}) {
    this.httpsAgent = opts.tlsPin === undefined ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : pinnedAgent(opts.tlsPin, { keepAlive: true, maxSockets: 1 });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  send(r: WireRequest): Promise<WireResult> {
    const isHttps = r.url.protocol === 'https:';
    const target = `${r.url.pathname}${r.url.search}`;
    const bodyBytes = r.body ?? new Uint8Array(0);
    const headBytes = requestHeadBytes(r.method, target, r.headers);
    const rate = r.maxRateKbit !== undefined && r.maxRateKbit > 0 ? r.maxRateKbit : undefined;
    const timeoutMs = r.timeoutMs + (rate === undefined ? 0 : durationAtRate(headBytes + bodyBytes.byteLength, rate));
    const maxResponse = r.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;

    return new Promise<WireResult>((resolve) => {
      const controller = new AbortController();
      let timedOut = false;
      let stopped = false;
      let reached = false;
      // Bytes handed to Node for the socket; they count as sent once a connection is made (a refused one sent none).
      let queued = 0;
      let received = 0;
      const sent = (): number => (reached ? queued : 0);
      let settled = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onStop = (): void => {
        stopped = true;
        controller.abort();
      };
      if (r.signal?.aborted === true) onStop();
      else r.signal?.addEventListener('abort', onStop, { once: true });

      const finish = (result: WireResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        r.signal?.removeEventListener('abort', onStop);
        resolve(result);
      };
      const fail = (err: unknown): void => {
        finish({ ok: false, ...failureOf(err, timedOut, stopped), sentBytes: sent(), receivedBytes: received, reached });
        req.destroy();
      };

      const req = (isHttps ? https : http).request({
        protocol: r.url.protocol,
        hostname: r.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: r.url.port === '' ? (isHttps ? 443 : 80) : Number(r.url.port),
        path: target,
        method: r.method,
        headers: r.headers,
        setHost: false,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        signal: controller.signal,
      });
      req.on('socket', (socket) => {
        const connected = (): void => {
          reached = true;
        };
        if (socket.connecting) socket.once(isHttps ? 'secureConnect' : 'connect', connected);
        else connected();
      });
      req.on('error', fail);
      req.on('response', (res) => {
        received = responseHeadBytes(res.httpVersion, res.statusCode ?? 0, res.statusMessage ?? '', res.rawHeaders);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          received += chunk.byteLength;
          if (size > maxResponse) {
            finish({ ok: false, failure: 'network', message: `the answer is over ${maxResponse} bytes`, sentBytes: sent(), receivedBytes: received, reached });
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' })));
        res.on('end', () =>
          finish({
            ok: true,
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: new Uint8Array(Buffer.concat(chunks)),
            sentBytes: sent(),
            receivedBytes: received,
          }),
        );
      });

      const body = Buffer.from(bodyBytes.buffer, bodyBytes.byteOffset, bodyBytes.byteLength);
      if (rate === undefined) {
        queued = headBytes + body.byteLength;
        if (body.byteLength === 0) req.end();
        else req.end(body);
        return;
      }
      void (async () => {
        const slice = sliceBytes(rate);
        const started = Date.now();
        let at = 0;
        queued = headBytes;
        try {
          while (at < body.byteLength && !settled) {
            const wait = paceWaitMs(headBytes + at, Date.now() - started, rate);
            if (wait > 0) await sleep(wait);
            if (settled) return;
            const part = body.subarray(at, Math.min(body.byteLength, at + slice));
            at += part.byteLength;
            const more = req.write(part);
            queued = headBytes + at;
            if (!more) await new Promise<void>((resolve) => req.once('drain', resolve).once('close', resolve));
          }
          if (!settled) req.end();
        } catch (err) {
          fail(err);
        }
      })();
    });
  }
}

// ---- a signed exchange with the hub ----

export interface SignedRequest {
  readonly transport: Transport;
  /** The hub's origin (the enrolment's `hub`). */
  readonly hub: string;
  readonly method: string;
  /** e.g. `/api/v1/sync/ingest`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number>>;
  /** As sent (compressed when `contentEncoding` says so); none for a GET. */
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  /** The box key: signs with key id = the box id. */
  readonly key: SigningKey;
  /** The county key and its id: the answer must be signed by it and bound to this request. */
  readonly countyKeyId: string;
  readonly countyKey: KeyObject;
  /** The box clock (UTC ms); `offsetMs` (hub − box, learned from earlier answers) is added for the signature. */
  readonly clock: Clock;
  readonly offsetMs: number;
  readonly userAgent: string;
  readonly timeoutMs: number;
  readonly maxRateKbit?: number;
  readonly signal?: AbortSignal;
  readonly maxResponseBytes?: number;
}

export interface SignedExchange {
  readonly url: URL;
  /** Every field that went on the wire, the signature's included. */
  readonly sentHeaders: Readonly<Record<string, string>>;
  /** Box clock before sending and after the answer (for the clock offset). */
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly durationMs: number;
  readonly result: WireResult;
  /** For an answer: its signature checked against the county key, bound to this request. */
  readonly verified?: VerifyResult;
}

/**
 * One box→hub request as the protocol wants it (docs/sync-signatures.md): every field set before signing (Host,
 * User-Agent, Accept, Connection, and Content-Type, Content-Encoding and Content-Length with a body), signed with the
 * box key at box clock + offset, sent on `transport` (whose https connections carry the enrolment's pin), and the
 * answer's signature checked. Nothing in the answer is believed by this function: the caller reads it only when
 * `verified.ok`. Used by the push loop (POST ingest) and open to any other request to the hub (GET with a query).
 */
export async function signedRequest(r: SignedRequest): Promise<SignedExchange> {
  const url = new URL(r.path, r.hub);
  for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, String(v));
  const body = r.body !== undefined && r.body.byteLength > 0 ? r.body : undefined;
  const headers: Record<string, string> = {
    host: url.host,
    'user-agent': r.userAgent,
    accept: 'application/json',
    ...(body === undefined ? {} : { 'content-type': r.contentType ?? 'application/json' }),
    ...(body === undefined || r.contentEncoding === undefined ? {} : { 'content-encoding': r.contentEncoding }),
    ...(body === undefined ? {} : { 'content-length': String(body.byteLength) }),
    connection: 'keep-alive',
  };
  const signed = signRequest({ method: r.method, url, headers, ...(body === undefined ? {} : { body }) }, { key: r.key, now: () => r.clock() + r.offsetMs });
  const sentHeaders: Record<string, string> = { ...headers, ...signed.headers };
  const sentAt = r.clock();
  const started = performance.now();
  const result = await r.transport.send({
    url,
    method: r.method,
    headers: sentHeaders,
    ...(body === undefined ? {} : { body }),
    timeoutMs: r.timeoutMs,
    ...(r.maxRateKbit === undefined ? {} : { maxRateKbit: r.maxRateKbit }),
    ...(r.signal === undefined ? {} : { signal: r.signal }),
    ...(r.maxResponseBytes === undefined ? {} : { maxResponseBytes: r.maxResponseBytes }),
  });
  const receivedAt = r.clock();
  const durationMs = Math.round(performance.now() - started);
  if (!result.ok) return { url, sentHeaders, sentAt, receivedAt, durationMs, result };
  const verified = verifyResponse(
    { status: result.status, headers: result.headers, body: result.body },
    { method: r.method, url, headers: sentHeaders },
    { keys: new Map([[r.countyKeyId, r.countyKey]]) },
  );
  return { url, sentHeaders, sentAt, receivedAt, durationMs, result, verified };
}
