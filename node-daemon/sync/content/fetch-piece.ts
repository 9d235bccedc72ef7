/**
 * One piece of a content file from the hub: `GET /api/v1/content/{sha256}/bytes` with `Range: bytes=START-END`,
 * signed with the box key like every request to the hub, the answer's body streamed to the caller as it comes
 * (written to the partial file there, never held whole). Counts the bytes on the wire as the push client does
 * (request and answer, heads included: wire-bytes.ts), whatever the outcome. The answer itself is not signed (see
 * docs/sync.md "Content"): the caller checks the whole file against the manifest's sha256.
 */
import http, { type Agent } from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { signRequest, type SigningKey } from '../protocol/index.js';
import { paceWaitMs } from '../push/pace.js';
import { requestHeadBytes, responseHeadBytes } from '../push/wire-bytes.js';

export const contentBytesPath = (sha256: string): string => `/api/v1/content/${sha256}/bytes`;

export interface PieceRequest {
  readonly hub: string;
  readonly sha256: string;
  /** First and last byte wanted (inclusive). */
  readonly start: number;
  readonly end: number;
  /** The file's size in the manifest: the answer's Content-Range must say the same. */
  readonly size: number;
  readonly key: SigningKey;
  /** Box clock + the offset learned from the hub (UTC ms), for the signature's `created`. */
  readonly now: () => number;
  readonly userAgent: string;
  readonly agent?: Agent;
  /** No byte for this long: given up (a stalled link). */
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
  /** Each piece of the body, in order; the next is not read until the promise settles. */
  readonly onData: (chunk: Buffer) => Promise<void>;
  /**
   * `sync.maxRateKbit`: the body is read no faster than this (averaged from the start of the piece). The box cannot
   * pace the hub's sending, but a reader that waits fills the socket's receive window, and TCP then holds the hub to
   * the rate the box reads at (after the first window's worth).
   */
  readonly maxRateKbit?: number;
}

export type PieceResult =
  | { readonly ok: true; readonly bytes: number; readonly wireBytes: number; readonly durationMs: number }
  | {
      readonly ok: false;
      /** `network`: no (whole) answer; `status`: the hub answered something else than the piece; `aborted`: the caller stopped it. */
      readonly failure: 'network' | 'status' | 'aborted';
      readonly status?: number;
      readonly message: string;
      /** Body bytes handed to onData before it ended (kept: the next piece starts after them). */
      readonly bytes: number;
      readonly wireBytes: number;
      readonly durationMs: number;
      readonly retryAfterS?: number;
    };

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

export async function fetchPiece(r: PieceRequest): Promise<PieceResult> {
  const url = new URL(contentBytesPath(r.sha256), r.hub);
  const headers: Record<string, string> = {
    host: url.host,
    'user-agent': r.userAgent,
    accept: 'application/octet-stream',
    range: `bytes=${r.start}-${r.end}`,
    connection: 'keep-alive',
  };
  const signed = signRequest({ method: 'GET', url, headers }, { key: r.key, now: r.now });
  const sent: Record<string, string> = { ...headers, ...signed.headers };
  const target = `${url.pathname}${url.search}`;
  const head = requestHeadBytes('GET', target, sent);
  const started = performance.now();
  let wire = 0;
  let bytes = 0;
  let reached = false;
  let complete = false;
  const elapsed = (): number => Math.round(performance.now() - started);
  const fail = (failure: 'network' | 'status' | 'aborted', message: string, extra: { status?: number; retryAfterS?: number } = {}): PieceResult => ({
    ok: false,
    failure,
    message,
    bytes,
    wireBytes: wire + (reached ? head : 0),
    durationMs: elapsed(),
    ...extra,
  });

  const isHttps = url.protocol === 'https:';
  const req = (isHttps ? https : http).request({
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
    path: target,
    method: 'GET',
    headers: sent,
    setHost: false,
    ...(r.agent === undefined ? {} : { agent: r.agent }),
    signal: r.signal,
  });
  req.on('socket', (socket) => {
    if (socket.connecting) socket.once(isHttps ? 'secureConnect' : 'connect', () => (reached = true));
    else reached = true;
  });
  req.setTimeout(r.idleTimeoutMs, () => req.destroy(Object.assign(new Error(`no byte from the hub for ${r.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
  try {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });
    wire += responseHeadBytes(res.httpVersion, res.statusCode ?? 0, res.statusMessage ?? '', res.rawHeaders);
    const status = res.statusCode ?? 0;
    if (status !== 206) {
      for await (const chunk of res) wire += (chunk as Buffer).byteLength;
      const retry = Number(res.headers['retry-after']);
      return fail('status', `the hub answered ${status} for bytes ${r.start}-${r.end}`, { status, ...(Number.isFinite(retry) ? { retryAfterS: retry } : {}) });
    }
    const range = CONTENT_RANGE.exec(String(res.headers['content-range'] ?? ''));
    if (range === null || Number(range[1]) !== r.start || Number(range[2]) > r.end || Number(range[3]) !== r.size) {
      res.destroy();
      return fail('status', `the hub sent Content-Range ${JSON.stringify(res.headers['content-range'] ?? null)} for bytes ${r.start}-${r.end} of ${r.size}`, { status });
    }
    const expected = Number(range[2]) - r.start + 1;
    for await (const chunk of res) {
      const b = chunk as Buffer;
      wire += b.byteLength;
      const take = b.subarray(0, Math.max(0, expected - bytes));
      if (take.byteLength > 0) {
        await r.onData(take);
        bytes += take.byteLength;
      }
      if (r.maxRateKbit !== undefined) await pause(paceWaitMs(bytes, elapsed(), r.maxRateKbit), r.signal);
    }
    if (bytes < expected) return fail('network', `the answer ended after ${bytes} of ${expected} bytes`);
    complete = true;
    return { ok: true, bytes, wireBytes: wire + head, durationMs: elapsed() };
  } catch (err) {
    if (r.signal.aborted) return fail('aborted', 'stopped');
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    return fail('network', typeof code === 'string' ? `${code}: ${message}` : message);
  } finally {
    // A whole answer leaves the connection to the agent (keep-alive); anything else closes it.
    if (!complete) req.destroy();
  }
}

/** Waits `ms` (0: not at all), or until the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
