// The county link on loopback for the push tests: the real hub app (hub/http) on its SQLite store, served by the
// hub's HTTP server on a port of its own (kept across a restart), and a real box database (outbox-fixture.ts)
// enrolled through the real enrolment code (enrolBox against that hub). The hub's transport can be made slow or
// can hold an answer back (after the hub committed), and every ingest request is noted as it arrived.
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHubApp } from '../../hub/http/app.js';
import type { HubLimits } from '../../hub/http/deps.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { hubServer } from '../../hub/http/server.js';
import { seqDigest } from '../../hub/store/checksum.js';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import type { RecordKind } from '../../hub/store/types.js';
import { syncSchema, type ConfigInput } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger, type Logger } from '../../node-daemon/core/log.js';
import type { HttpServer } from '../../node-daemon/http/http-server.js';
import type { Db } from '../../node-daemon/storage/database.js';
import { formatEnrolCode, generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { enrolBox } from '../../node-daemon/sync/enrol/enrol.js';
import { loadEnrolment, type Enrolment } from '../../node-daemon/sync/enrol/files.js';
import { LANES } from '../../node-daemon/sync/outbox/lanes.js';
import { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { SyncModule, type SyncModuleOptions } from '../../node-daemon/sync/sync-module.js';
import { captureLogger } from '../storage/storage-helpers.js';
import { tempBox, type TempBox } from './outbox-fixture.js';

export const BOX_ID = 'qingshui-01';

/** One ingest request as the hub's transport saw it. */
export interface SeenRequest {
  readonly n: number;
  readonly at: number;
  readonly digest: string | null;
  readonly signatureInput: string | null;
  readonly bytes: number;
  status?: number;
}

export interface HubRig {
  readonly dir: string;
  url: string;
  port: number;
  store: SqliteHubStore;
  readonly dbPath: string;
  readonly countyKey: SigningKey;
  readonly seen: SeenRequest[];
  /** Milliseconds the transport waits before handing request `n` (1-based) to the app. */
  delayBefore: (n: number) => number;
  /** Milliseconds it waits after the app answered (the hub has committed) before the answer goes. */
  delayAfter: (n: number) => number;
  limits: Partial<HubLimits>;
  readonly server: () => HttpServer | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops, closes the store, and opens the store at `path` (copied from `from` when given) for the next start. */
  swapStore(path: string, from?: string): Promise<void>;
  /** Copies the hub's database, consistent, while it runs. */
  backup(to: string): Promise<void>;
  cleanup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startHub(opts: { log?: Logger; limits?: Partial<HubLimits> } = {}): Promise<HubRig> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-hub-'));
  const dbPath = join(dir, 'hub.db');
  const log = opts.log ?? silentLogger();
  const countyKey = SigningKey.generate('county-test');
  let server: HttpServer | undefined;
  const rig: HubRig = {
    dir,
    url: '',
    port: 0,
    store: SqliteHubStore.open({ path: dbPath }),
    dbPath,
    countyKey,
    seen: [],
    delayBefore: () => 0,
    delayAfter: () => 0,
    limits: opts.limits ?? {},
    server: () => server,
    async start() {
      const { app, limits } = createHubApp({ store: rig.store, countyKey, nonces: new MemoryNonceStore(Date.now), log, limits: rig.limits });
      const transport = {
        fetch: async (request: Request, env?: unknown): Promise<Response> => {
          if (new URL(request.url).pathname !== '/api/v1/sync/ingest') return app.fetch(request, env);
          const seen: SeenRequest = {
            n: rig.seen.length + 1,
            at: Date.now(),
            digest: request.headers.get('content-digest'),
            signatureInput: request.headers.get('signature-input'),
            bytes: Number(request.headers.get('content-length') ?? 0),
          };
          rig.seen.push(seen);
          const before = rig.delayBefore(seen.n);
          if (before > 0) await sleep(before);
          const res = await app.fetch(request, env);
          seen.status = res.status;
          const after = rig.delayAfter(seen.n);
          if (after > 0) await sleep(after);
          return res;
        },
      };
      server = hubServer({ app: transport, listen: `127.0.0.1:${rig.port}`, log, limits });
      await server.start();
      rig.url = server.url().replace(/\/$/, '');
      rig.port = Number(new URL(rig.url).port);
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async swapStore(path, from) {
      await rig.stop();
      await rig.store.close();
      if (from !== undefined) copyFileSync(from, path);
      rig.store = SqliteHubStore.open({ path });
    },
    async backup(to) {
      // A second connection copies a consistent snapshot while the hub runs (WAL).
      const db = new Database(dbPath, { readonly: true });
      try {
        db.prepare('VACUUM INTO ?').run(to);
      } finally {
        db.close();
      }
    },
    async cleanup() {
      await rig.stop();
      await rig.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await rig.start();
  return rig;
}

/** Enrols the box in `dataDir` with the hub through the real enrolment code (a one-time code made at the hub). */
export async function enrolWith(hub: HubRig, dataDir: string, boxId = BOX_ID): Promise<void> {
  const code = generateEnrolCode(boxId);
  const now = Date.now();
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: now, expiresAt: now + 3_600_000 });
  await enrolBox({ hubUrl: hub.url, code: formatEnrolCode(code), dataDir });
}

export interface BoxRig {
  readonly box: TempBox;
  readonly events: EventHub;
  readonly logs: ReturnType<typeof captureLogger>;
  module: SyncModule;
  /** A new module on the same database and enrolment (after stop()). */
  rebuild(over?: Partial<SyncModuleOptions>): SyncModule;
  cleanup(): Promise<void>;
}

export type SyncInput = NonNullable<ConfigInput['sync']>;

/** A box database (filled by `fill`), enrolled with the hub, and its sync module (not started). */
export async function boxFor(
  hub: HubRig,
  opts: { sync?: SyncInput; fill?: (db: Db) => Promise<unknown>; module?: Partial<SyncModuleOptions> } = {},
): Promise<BoxRig> {
  const box = tempBox();
  await opts.fill?.(box.db);
  await enrolWith(hub, box.dir);
  const enrolment = loadEnrolment(box.dir);
  if (enrolment === undefined) throw new Error('enrolment not written');
  const { events, logs, make } = syncModuleMaker(box.db, enrolment, { config: syncSchema.parse(opts.sync ?? {}), ...opts.module });
  const rig: BoxRig = {
    box,
    events,
    logs,
    module: make(),
    rebuild(over) {
      rig.module = make(over);
      return rig.module;
    },
    async cleanup() {
      await rig.module.stop();
      box.cleanup();
    },
  };
  return rig;
}

export interface ModuleMaker {
  readonly events: EventHub;
  readonly logs: ReturnType<typeof captureLogger>;
  /** A new sync module (not started), `over` on top of the maker's options. */
  make(over?: Partial<SyncModuleOptions>): SyncModule;
}

/**
 * The box's sync module as the tests build it, on `db` and `enrolment` with an event hub and a captured log of its
 * own: the default `sync` section, Asia/Shanghai, an ok health snapshot, backoff floor and idle poll 100 ms; `base`
 * on top.
 */
export function syncModuleMaker(db: Db, enrolment: Enrolment, base: Partial<SyncModuleOptions> = {}): ModuleMaker {
  const events = new EventHub();
  const logs = captureLogger();
  const make = (over: Partial<SyncModuleOptions> = {}): SyncModule =>
    new SyncModule({
      db,
      hub: events,
      log: logs.log,
      enrolment,
      config: syncSchema.parse({}),
      timeZone: 'Asia/Shanghai',
      snapshot: () => ({ status: 'ok', ts: Date.now() }),
      minBackoffMs: 100,
      idlePollMs: 100,
      ...base,
      ...over,
    });
  return { events, logs, make };
}

/** Whether every lane is empty and no raw is owed. */
export function drained(m: SyncModule): boolean {
  const b = m.outbox.backlog();
  return LANES.every((lane) => b[lane].records === 0) && m.outbox.rawDebt() === 0;
}

export const KINDS = ['alarm', 'health', 'readings', 'audit', 'recording'] as const satisfies readonly RecordKind[];

/** The box's records per kind (change_log seqs) and its reading ids, as the hub's recordStats should hold them. */
export function boxStats(db: Db): { kinds: Record<(typeof KINDS)[number], { count: number; digest: string }>; readings: { count: number; digest: string } } {
  const kinds = {} as Record<(typeof KINDS)[number], { count: number; digest: string }>;
  for (const kind of KINDS) {
    const seqs = db.prepare<[string], { seq: number }>('SELECT seq FROM change_log WHERE kind = ? ORDER BY seq').all(kind).map((r) => r.seq);
    kinds[kind] = { count: seqs.length, digest: seqDigest(seqs) };
  }
  const ids = db.prepare<[], { id: number }>('SELECT id FROM readings ORDER BY id').all().map((r) => r.id);
  return { kinds, readings: { count: ids.length, digest: seqDigest(ids) } };
}

/** The hub's view in the same shape. */
export async function hubStats(hub: HubRig, boxId = BOX_ID): Promise<ReturnType<typeof boxStats>> {
  const s = await hub.store.recordStats(boxId);
  const kinds = {} as Record<(typeof KINDS)[number], { count: number; digest: string }>;
  for (const kind of KINDS) kinds[kind] = { count: s.kinds[kind].count, digest: s.kinds[kind].digest };
  return { kinds, readings: { count: s.readings.count, digest: s.readings.digest } };
}
