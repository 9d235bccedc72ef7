// A county hub for tests: the real app (hub/http) served by @hono/node-server (the hub's HttpServer) on a free
// loopback port, a SQLite store in a temp dir, a fresh county key, and every log line kept for assertions. Also the
// box side of the wire: requests signed as a box signs them, answers checked against the county key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlibConstants } from 'node:zlib';
import type { FailureThrottle } from '../../../node-daemon/auth/rate-limit.js';
import { createLogger } from '../../../node-daemon/core/log.js';
import { publicKeyToRaw, signRequest, SigningKey, verifyResponse, type VerifyResult } from '../../../node-daemon/sync/protocol/index.js';
import { generateEnrolCode } from '../../../node-daemon/sync/enrol/code.js';
import { createHubApp } from '../../../hub/http/app.js';
import { INGEST_PATH, type HubLimits } from '../../../hub/http/deps.js';
import { MemoryNonceStore, type NonceStore } from '../../../hub/http/nonce-store.js';
import type { RefusalCounter } from '../../../hub/http/refusals.js';
import { hubServer } from '../../../hub/http/server.js';
import { SqliteHubStore } from '../../../hub/store/sqlite-store.js';
import type { HubStore, SyncRecord } from '../../../hub/store/types.js';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

export type LogLine = Record<string, unknown> & { event?: string; reason?: string; keyid?: string };

export interface TestHub {
  readonly url: string;
  readonly store: HubStore;
  readonly dbPath: string;
  readonly countyKey: SigningKey;
  readonly refusals: RefusalCounter;
  readonly logs: LogLine[];
  /** The raw log text (for "no secret in the logs"). */
  logText(): string;
  close(): Promise<void>;
}

export interface HubOptions {
  readonly limits?: Partial<HubLimits>;
  readonly readTokenSha256?: string;
  readonly dbPath?: string;
  readonly countyKey?: SigningKey;
  readonly enrolThrottle?: FailureThrottle;
  /** Another store (PostgreSQL, or a second process on one SQLite file) instead of a SQLite file of its own. */
  readonly store?: HubStore;
  /** The replay memory (default: in memory). */
  readonly nonces?: NonceStore;
  readonly publicOrigin?: string;
}

export async function startHub(opts: HubOptions = {}): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-hub-http-'));
  const dbPath = opts.dbPath ?? join(dir, 'hub.db');
  const store = opts.store ?? SqliteHubStore.open({ path: dbPath });
  const countyKey = opts.countyKey ?? SigningKey.generate('county-test');
  const raw: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
  const { app, refusals, limits } = createHubApp({
    store,
    countyKey,
    nonces: opts.nonces ?? new MemoryNonceStore(Date.now),
    images: { dir: join(dir, 'images'), keepDays: 180 },
    ...(opts.publicOrigin === undefined ? {} : { publicOrigin: opts.publicOrigin }),
    log,
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    ...(opts.readTokenSha256 === undefined ? {} : { readTokenSha256: opts.readTokenSha256 }),
    ...(opts.enrolThrottle === undefined ? {} : { enrolThrottle: opts.enrolThrottle }),
  });
  const server = hubServer({ app, listen: '127.0.0.1:0', log, limits });
  await server.start();
  const logs: LogLine[] = [];
  const parsed = (): LogLine[] => {
    while (logs.length < raw.length) logs.push(JSON.parse(raw[logs.length] as string) as LogLine);
    return logs;
  };
  return {
    url: server.url(),
    store,
    dbPath,
    countyKey,
    refusals,
    get logs() {
      return parsed();
    },
    logText: () => raw.join(''),
    async close() {
      await server.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Enrols a box straight through the store's code and the HTTP route; returns its signing key. */
export async function enrolBoxOverHttp(hub: TestHub, boxId: string): Promise<SigningKey> {
  const code = generateEnrolCode(boxId);
  const now = Date.now();
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: now, expiresAt: now + 3600_000 });
  const key = SigningKey.generate(boxId);
  const res = await fetch(`${hub.url}/api/v1/sync/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: code.canonical, boxId, publicKey: publicKeyToRaw(key.publicKey) }),
  });
  if (res.status !== 200) throw new Error(`enrol ${boxId}: ${res.status} ${await res.text()}`);
  return key;
}

export type Encoding = 'br' | 'gzip' | 'identity';

export async function encode(text: string | Uint8Array, encoding: Encoding): Promise<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
  if (encoding === 'identity') return new Uint8Array(bytes);
  const out = encoding === 'br' ? await brotli(bytes, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } }) : await gz(bytes);
  return new Uint8Array(out);
}

export interface SignedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/** A request exactly as a box sends it: compressed body, Content-Type, Content-Encoding, then signed. */
export async function boxRequest(
  hubUrl: string,
  key: SigningKey,
  body: unknown,
  opts: { encoding?: Encoding; now?: () => number; path?: string } = {},
): Promise<SignedRequest> {
  const encoding = opts.encoding ?? 'br';
  const url = `${hubUrl}${opts.path ?? INGEST_PATH}`;
  const bytes = await encode(typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body), encoding);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }) };
  const signed = signRequest({ method: 'POST', url, headers, body: bytes }, { key, now: opts.now ?? Date.now });
  return { url, headers: { ...headers, ...signed.headers }, body: bytes };
}

export interface Answer {
  readonly status: number;
  readonly json: { error?: { code?: string; message?: string; param?: string }; acked?: Record<string, number>; conflicts?: string[]; hubTime?: number };
  readonly headers: Headers;
  /** The county signature checked against the request sent. */
  readonly signature: VerifyResult;
}

export async function send(hub: Pick<TestHub, 'countyKey'>, req: SignedRequest): Promise<Answer> {
  const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const signature = verifyResponse(
    { status: res.status, headers: res.headers, body: bytes },
    { method: 'POST', url: req.url, headers: req.headers },
    { keys: new Map([[hub.countyKey.keyid, hub.countyKey.publicKey]]) },
  );
  const text = Buffer.from(bytes).toString('utf8');
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Answer['json']), headers: res.headers, signature };
}

// ---- records ----

export const T0 = Date.UTC(2025, 11, 1);

export function readingsRecord(seq: number, firstId: number, n: number): SyncRecord {
  const readings = Array.from({ length: n }, (_, i) => [firstId + i, 'river-1', T0 + (firstId + i) * 60_000, 1 + i / 100, 'good'] as const);
  return { seq, kind: 'readings', ts: T0 + seq * 60_000, payload: { readings } };
}

export function alarmRecord(seq: number, alarmId: number, transitionId: number, type = 'raised'): SyncRecord {
  return {
    seq,
    kind: 'alarm',
    ts: T0 + seq * 60_000,
    payload: {
      alarm: { id: alarmId, key: `flood:site-${alarmId}`, kind: 'flood', siteId: 'site-1', sensorId: 'river-1', drill: false, title: '一号站 准备转移', raisedAt: T0 },
      transition: { id: transitionId, ts: T0 + seq * 60_000, type, level: 'prepare', cause: { rule: 'threshold', sensorId: 'river-1' } },
    },
  };
}

export function healthRecord(seq: number): SyncRecord {
  return { seq, kind: 'health', ts: T0 + seq * 60_000, payload: { status: 'ok', uptimeS: seq } };
}
