/**
 * County hub ingest: records per second stored by the hub store on PostgreSQL while 100 simulated boxes push at once
 * (each box waits for its answer before its next request, as the push client does), against a bare `pg` multi-row
 * INSERT of the same requests' readings into the same `hub_readings` table with the same pool size, measured in the
 * same run (aim >= 0.5); and two store instances on one database (two pools: two hub processes, the boxes split
 * between them) against one (aim >= 1.6). The SQLite store runs the same workload for reference.
 *
 * The requests are what a catching-up box sends: its change log as records (readings batches of 64 readings built
 * with the box's own `readingsPayload`, an alarm transition every 40 records, a health snapshot every 15), lanes
 * filled by the box's `planRequest` up to its initial batch target (64 KiB), written by `ingestBodyText` and checked
 * by the hub route's `checkIngestBody`, which gives the lanes the store's `ingest` takes. All of that is done before
 * the clock starts: the figure is the store's. Every run uses a fresh database; each box's first request is a
 * warm-up outside the clock (connections, prepared statements).
 * Standalone: `node dist/bench/hub-ingest.js` prints the results as JSON. FENGHUO_BENCH_HUB_REQUESTS sets the timed
 * requests per box (2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { zeroCounters } from '../drivers/modbus/types.js';
import { checkIngestBody } from '../hub/http/ingest-schema.js';
import { PgHubStore } from '../hub/store/pg-store.js';
import { SqliteHubStore } from '../hub/store/sqlite-store.js';
import type { HubStore, IngestLane } from '../hub/store/types.js';
import type { HealthSnapshot } from '../node-daemon/health/health-types.js';
import { initialBatchTarget } from '../node-daemon/sync/outbox/batch-target.js';
import type { Lane } from '../node-daemon/sync/outbox/lanes.js';
import { planRequest } from '../node-daemon/sync/outbox/plan.js';
import { readingsPayload, recordBytes, type ReadingTuple, type SyncRecord } from '../node-daemon/sync/outbox/records.js';
import { ingestBodyText } from '../node-daemon/sync/push/ingest-body.js';
import type { BenchResult } from './result.js';
import { postgresAvailable, startPostgres, type PostgresCluster } from './support/postgres.js';

const BOXES = 100;
const SENSORS = 16;
const READINGS_PER_BATCH = 64;
const ALARM_EVERY = 40;
const HEALTH_EVERY = 15;
/** One store's pool, as `fenghuo hub` opens it (hub/store/open.ts: maxConnections 10); the bare loop gets the same. */
const POOL = 10;
const T0 = Date.UTC(2025, 5, 1);
const POLL_MS = 5_000;

/** One request of one box: the lanes the store is given, and what they hold. */
interface Request {
  readonly lanes: readonly IngestLane[];
  readonly records: number;
  /** `[box_id, reading_id, sensor_id, ts, value, quality, seq]` rows of its readings, for the bare insert. */
  readonly rows: readonly (readonly [string, number, string, number, number | null, string, number])[];
}

interface BoxWork {
  readonly boxId: string;
  readonly requests: readonly Request[];
}

function healthSnapshot(ts: number, uptimeS: number): HealthSnapshot {
  return {
    status: 'ok',
    ts,
    uptimeS,
    version: '0.1.0',
    buses: [{ id: 'rs485-1', type: 'rtu', endpoint: '/dev/ttyS1 9600 8N1', state: 'open', counters: { ...zeroCounters(), requests: uptimeS, responses: uptimeS } }],
    sensors: Array.from({ length: SENSORS }, (_, k) => ({
      id: `river-${k + 1}`,
      bus: 'rs485-1',
      slave: k + 1,
      profile: 'generic-level-4-20ma',
      critical: k < 2,
      status: 'good' as const,
      lastReading: { ts, value: 2.345, quality: 'good' as const },
      lastGoodTs: ts,
      breaker: 'closed' as const,
    })),
    disk: { path: '/var/lib/fenghuo', freeBytes: 12_000_000_000, totalBytes: 16_000_000_000 },
    storage: { lastCommitTs: ts, pendingWrites: 0 },
  };
}

/** A box's change log as records, in seq order, each with its lane: readings batches, alarms and health between. */
function boxLog(batches: number): { lane: Lane; record: SyncRecord }[] {
  const out: { lane: Lane; record: SyncRecord }[] = [];
  let seq = 0;
  let readingId = 0;
  let transitionId = 0;
  let now = T0;
  for (let b = 0; b < batches; b++) {
    const rows: ReadingTuple[] = [];
    for (let i = 0; i < READINGS_PER_BATCH; i++) {
      const k = readingId % SENSORS;
      if (k === 0 && readingId > 0) now += POLL_MS;
      readingId += 1;
      const value = Math.round((2 + Math.sin(now / 3_600_000 + k) * 0.8) * 1000) / 1000;
      rows.push([readingId, `river-${k + 1}`, now, value, 'good']);
    }
    seq += 1;
    out.push({ lane: 'readings', record: { seq, kind: 'readings', ts: now + 40, payload: readingsPayload(rows, rows.length) } });
    if (seq % ALARM_EVERY === 0) {
      transitionId += 1;
      seq += 1;
      const type = transitionId % 2 === 1 ? 'raised' : 'cleared';
      out.push({
        lane: 'alarm',
        record: {
          seq,
          kind: 'alarm',
          ts: now + 50,
          payload: {
            alarm: { id: Math.ceil(transitionId / 2), key: 'flood:river-1', kind: 'flood', siteId: 'shangcun', sensorId: 'river-1', drill: false, title: '上村河道水位超准备转移线', raisedAt: now },
            transition: {
              id: transitionId,
              ts: now + 50,
              type,
              level: type === 'raised' ? 'prepare' : null,
              cause: { rule: 'river-1-prepare', sensorId: 'river-1', readingTs: now, value: 2.8, detail: 'level 2.800 m >= 2.700 m for 60 s' },
            },
          },
        },
      });
    }
    if (seq % HEALTH_EVERY === 0) {
      seq += 1;
      out.push({ lane: 'health', record: { seq, kind: 'health', ts: now + 60, payload: { ...healthSnapshot(now + 60, (now - T0) / 1000) } } });
    }
  }
  return out;
}

/**
 * The box's log cut into `count` requests as its push client would: records accumulate in their lanes (a box behind
 * its hub), and each time they fill the batch target a request goes with lanes in priority order up to the target.
 */
function requestsOf(boxId: string, log: readonly { lane: Lane; record: SyncRecord }[], count: number): Request[] {
  const target = initialBatchTarget();
  const pending = new Map<Lane, { record: SyncRecord; bytes: number }[]>();
  const cursors = new Map<Lane, number>();
  const out: Request[] = [];
  let waiting = 0;
  for (const { lane, record } of log) {
    if (out.length >= count) break;
    const bytes = recordBytes(record);
    pending.set(lane, [...(pending.get(lane) ?? []), { record, bytes }]);
    waiting += bytes;
    if (waiting < target) continue;
    const plan = planRequest({
      lanes: [...pending].map(([l, recs]) => ({ lane: l, records: recs.map((r) => ({ seq: r.record.seq, bytes: r.bytes })) })),
      targetBytes: target,
      overBudget: false,
    });
    const lanes = plan.lanes.map((l) => {
      const recs = pending.get(l.lane) ?? [];
      pending.set(l.lane, recs.slice(l.count));
      const after = cursors.get(l.lane) ?? 0;
      cursors.set(l.lane, l.lastSeq);
      return { lane: l.lane, after, records: recs.slice(0, l.count).map((r) => r.record) };
    });
    waiting -= plan.bytes;
    const checked = checkIngestBody(ingestBodyText({ box: boxId, dbId: `${boxId}-db`, batch: out.length + 1, lanes }));
    if (!checked.ok) throw new Error(`hub-ingest: the hub refuses the box's body: ${checked.message}`);
    const rows: Request['rows'][number][] = [];
    for (const l of checked.lanes) {
      for (const r of l.records) {
        if (r.kind === 'readings') for (const [id, sensorId, ts, value, quality] of r.payload.readings) rows.push([boxId, id, sensorId, ts, value, quality, r.seq]);
      }
    }
    out.push({ lanes: checked.lanes, records: checked.lanes.reduce((n, l) => n + l.records.length, 0), rows });
  }
  if (out.length < count) throw new Error(`hub-ingest: the log filled ${out.length} of ${count} requests`);
  return out;
}

function workload(requestsPerBox: number): BoxWork[] {
  // Every box's log has the same shape (its own seqs and ids start at 1 too); only the box id differs.
  const batchesPerRequest = Math.ceil(initialBatchTarget() / (READINGS_PER_BATCH * 40));
  const log = boxLog((requestsPerBox + 2) * batchesPerRequest);
  return Array.from({ length: BOXES }, (_, i) => {
    const boxId = `box-${String(i + 1).padStart(3, '0')}`;
    return { boxId, requests: requestsOf(boxId, log, requestsPerBox + 1) };
  });
}

async function enrolAll(store: HubStore, work: readonly BoxWork[]): Promise<void> {
  for (const w of work) {
    const code = `bench-${w.boxId}`;
    await store.createEnrolmentCode({ code, createdAt: T0, expiresAt: T0 + 86_400_000 });
    const r = await store.enrol({ code, boxId: w.boxId, publicKey: 'A'.repeat(43), at: T0 });
    if (!r.ok) throw new Error(`hub-ingest: enrol ${w.boxId}: ${r.reason}`);
  }
}

/**
 * Every box pushes its requests one after another, all boxes at once; the first request of each is the warm-up.
 * Returns records per second and readings per second of the timed requests.
 */
async function pushAll(work: readonly BoxWork[], send: (w: BoxWork, r: Request) => Promise<number>): Promise<{ records: number; readings: number; seconds: number }> {
  await Promise.all(work.map((w) => (w.requests[0] ? send(w, w.requests[0]) : Promise.resolve(0))));
  let records = 0;
  let readings = 0;
  const start = performance.now();
  await Promise.all(
    work.map(async (w) => {
      for (const r of w.requests.slice(1)) {
        const stored = await send(w, r);
        if (stored !== r.records) throw new Error(`hub-ingest: ${w.boxId} stored ${stored} of ${r.records} records`);
        records += r.records;
        readings += r.rows.length;
      }
    }),
  );
  return { records, readings, seconds: (performance.now() - start) / 1000 };
}

async function storeIngest(store: HubStore, w: BoxWork, r: Request): Promise<number> {
  const res = await store.ingest(w.boxId, r.lanes);
  if (res.status !== 'stored') throw new Error(`hub-ingest: ${w.boxId}: ${res.status}`);
  return res.stored;
}

let dbCounter = 0;
async function freshDatabase(cluster: PostgresCluster): Promise<pg.PoolConfig> {
  dbCounter += 1;
  const name = `bench_${dbCounter}`;
  const admin = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return { host: cluster.host, port: cluster.port, user: cluster.user, database: name };
}

/** `stores` PgHubStore instances (one pool each) on one fresh database; box i goes to store i mod `stores`. */
async function pgStores(cluster: PostgresCluster, work: readonly BoxWork[], stores: number): Promise<ReturnType<typeof pushAll>> {
  const config = await freshDatabase(cluster);
  const opened: PgHubStore[] = [];
  try {
    for (let i = 0; i < stores; i++) opened.push(await PgHubStore.open({ connection: { ...config, max: POOL } }));
    await enrolAll(opened[0]!, work);
    const storeOf = new Map(work.map((w, i) => [w.boxId, opened[i % stores]!]));
    return await pushAll(work, (w, r) => storeIngest(storeOf.get(w.boxId)!, w, r));
  } finally {
    for (const s of opened) await s.close();
  }
}

/** The bare loop: one multi-row INSERT of each request's readings into the store's own `hub_readings` table. */
async function bareInsert(cluster: PostgresCluster, work: readonly BoxWork[]): Promise<ReturnType<typeof pushAll>> {
  const config = await freshDatabase(cluster);
  await (await PgHubStore.open({ connection: config })).close(); // the same schema, made by the store
  const pool = new pg.Pool({ ...config, max: POOL });
  try {
    return await pushAll(work, async (_w, r) => {
      const values: unknown[] = [];
      const tuples = r.rows.map((row, i) => {
        values.push(...row);
        const p = i * 7;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`;
      });
      if (tuples.length > 0) {
        const res = await pool.query(`INSERT INTO hub_readings (box_id, reading_id, sensor_id, ts, value, quality, seq) VALUES ${tuples.join(', ')}`, values);
        if (res.rowCount !== r.rows.length) throw new Error(`hub-ingest: bare insert stored ${res.rowCount} of ${r.rows.length}`);
      }
      return r.records;
    });
  } finally {
    await pool.end();
  }
}

async function sqliteStore(work: readonly BoxWork[]): Promise<ReturnType<typeof pushAll>> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-hub-'));
  const store = SqliteHubStore.open({ path: join(dir, 'hub.db') });
  try {
    await enrolAll(store, work);
    return await pushAll(work, (w, r) => storeIngest(store, w, r));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface HubIngestFigures {
  readonly boxes: number;
  readonly requestsPerBox: number;
  readonly recordsPerRequest: number;
  readonly readingsPerRequest: number;
  readonly oneStore: number;
  readonly twoStores: number;
  readonly bare: number;
  readonly sqlite: number;
  /** Readings per second of each, in the same order. */
  readonly readingsPerS: { readonly oneStore: number; readonly twoStores: number; readonly bare: number; readonly sqlite: number };
  readonly postgres: string;
}

export async function measureHubIngest(opts: { requestsPerBox?: number } = {}): Promise<HubIngestFigures> {
  const avail = await postgresAvailable();
  if (!avail.ok) throw new Error(`PostgreSQL unavailable: ${avail.reason}`);
  const requestsPerBox = opts.requestsPerBox ?? (Number(process.env.FENGHUO_BENCH_HUB_REQUESTS) || 2);
  const work = workload(requestsPerBox);
  const timed = work[0]?.requests.slice(1) ?? [];
  const cluster = await startPostgres({ database: 'postgres', settings: { max_connections: 60 } });
  try {
    const rate = (r: { records: number; seconds: number }): number => r.records / r.seconds;
    const rrate = (r: { readings: number; seconds: number }): number => r.readings / r.seconds;
    // Interleaved, best of two each: a slow moment of the machine does not land on one side only.
    let one = { records: 0, readings: 0, seconds: Infinity };
    let two = one;
    let bare = one;
    for (let i = 0; i < 2; i++) {
      const o = await pgStores(cluster, work, 1);
      if (rate(o) > rate(one)) one = o;
      const b = await bareInsert(cluster, work);
      if (rate(b) > rate(bare)) bare = b;
      const t = await pgStores(cluster, work, 2);
      if (rate(t) > rate(two)) two = t;
    }
    const lite = await sqliteStore(work);
    return {
      boxes: BOXES,
      requestsPerBox: timed.length,
      recordsPerRequest: Math.round((timed.reduce((n, r) => n + r.records, 0) / Math.max(1, timed.length)) * 10) / 10,
      readingsPerRequest: Math.round(timed.reduce((n, r) => n + r.rows.length, 0) / Math.max(1, timed.length)),
      oneStore: Math.round(rate(one)),
      twoStores: Math.round(rate(two)),
      bare: Math.round(rate(bare)),
      sqlite: Math.round(rate(lite)),
      readingsPerS: { oneStore: Math.round(rrate(one)), twoStores: Math.round(rrate(two)), bare: Math.round(rrate(bare)), sqlite: Math.round(rrate(lite)) },
      postgres: avail.version,
    };
  } finally {
    await cluster.close();
  }
}

export async function benchHubIngest(): Promise<BenchResult[]> {
  const f = await measureHubIngest();
  const shape = `${f.boxes} boxes at once, ${f.requestsPerBox} timed requests each of ${f.recordsPerRequest} records (${f.readingsPerRequest} readings)`;
  return [
    {
      name: `hub-ingest: ${shape}, PgHubStore.ingest (pool ${POOL}) vs a bare pg multi-row INSERT of the same readings`,
      ours: f.oneStore,
      peer: f.bare,
      ratio: Math.round((f.oneStore / f.bare) * 100) / 100,
      unit: 'records/s',
      aim: '>= 0.5',
      note:
        `readings/s: store ${f.readingsPerS.oneStore}, bare ${f.readingsPerS.bare}; ` +
        `SQLite store (reference, one file, synchronous=FULL): ${f.sqlite} records/s, ${f.readingsPerS.sqlite} readings/s; ${f.postgres}`,
    },
    {
      name: `hub-ingest: ${shape}, two PgHubStore instances (two pools, as two hub processes) vs one`,
      ours: f.twoStores,
      peer: f.oneStore,
      ratio: Math.round((f.twoStores / f.oneStore) * 100) / 100,
      unit: 'records/s',
      aim: '>= 1.6',
      note: 'both stores in this one Node process: they share its event loop (one CPU), as two hub processes would not',
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureHubIngest().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
