// The hub-ingest bench's workload: what 100 catching-up boxes send, built with the box's own code before any clock
// starts (see bench/hub-ingest.ts). Deterministic, so each worker process of the bench (hub-ingest-worker.ts) builds
// the same requests and takes its share of the boxes.
import { zeroCounters } from '../../drivers/modbus/types.js';
import { checkIngestBody } from '../../hub/http/ingest-schema.js';
import type { HubStore, IngestLane } from '../../hub/store/types.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { initialBatchTarget } from '../../node-daemon/sync/outbox/batch-target.js';
import type { Lane } from '../../node-daemon/sync/outbox/lanes.js';
import { planRequest } from '../../node-daemon/sync/outbox/plan.js';
import { readingsPayload, recordBytes, type ReadingTuple, type SyncRecord } from '../../node-daemon/sync/outbox/records.js';
import { ingestBodyText } from '../../node-daemon/sync/push/ingest-body.js';

export const BOXES = 100;
const SENSORS = 16;
const READINGS_PER_BATCH = 64;
const ALARM_EVERY = 40;
const HEALTH_EVERY = 15;
/** One store's pool, as `fenghuo hub` opens it (hub/store/open.ts: maxConnections 10); the bare loop gets the same. */
export const POOL = 10;
const T0 = Date.UTC(2025, 5, 1);
const POLL_MS = 5_000;

/** One request of one box: the lanes the store is given, and what they hold. */
export interface Request {
  readonly lanes: readonly IngestLane[];
  readonly records: number;
  /** `[box_id, reading_id, sensor_id, ts, value, quality, seq]` rows of its readings, for the bare insert. */
  readonly rows: readonly (readonly [string, number, string, number, number | null, string, number])[];
}

export interface BoxWork {
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

export function workload(requestsPerBox: number): BoxWork[] {
  // Every box's log has the same shape (its own seqs and ids start at 1 too); only the box id differs.
  const batchesPerRequest = Math.ceil(initialBatchTarget() / (READINGS_PER_BATCH * 40));
  const log = boxLog((requestsPerBox + 2) * batchesPerRequest);
  return Array.from({ length: BOXES }, (_, i) => {
    const boxId = `box-${String(i + 1).padStart(3, '0')}`;
    return { boxId, requests: requestsOf(boxId, log, requestsPerBox + 1) };
  });
}

export async function enrolAll(store: HubStore, work: readonly BoxWork[]): Promise<void> {
  for (const w of work) {
    const code = `bench-${w.boxId}`;
    await store.createEnrolmentCode({ code, createdAt: T0, expiresAt: T0 + 86_400_000 });
    const r = await store.enrol({ code, boxId: w.boxId, publicKey: 'A'.repeat(43), at: T0 });
    if (!r.ok) throw new Error(`hub-ingest: enrol ${w.boxId}: ${r.reason}`);
  }
}

export interface Timed {
  readonly records: number;
  readonly readings: number;
  /** Epoch ms (performance.timeOrigin + performance.now(): comparable between processes) of the clock's start and end. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Each box's first request, all boxes at once: connections and prepared statements warm, outside the clock. */
export async function warmUp(work: readonly BoxWork[], send: (w: BoxWork, r: Request) => Promise<number>): Promise<void> {
  await Promise.all(work.map((w) => (w.requests[0] ? send(w, w.requests[0]) : Promise.resolve(0))));
}

const epochNow = (): number => performance.timeOrigin + performance.now();

/** Every box pushes its other requests one after another (it waits for each answer), all boxes at once. */
export async function pushTimed(work: readonly BoxWork[], send: (w: BoxWork, r: Request) => Promise<number>): Promise<Timed> {
  let records = 0;
  let readings = 0;
  const startedAt = epochNow();
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
  return { records, readings, startedAt, endedAt: epochNow() };
}

/** A request through the hub store, as the ingest route hands it over. */
export async function storeIngest(store: HubStore, w: BoxWork, r: Request): Promise<number> {
  const res = await store.ingest(w.boxId, r.lanes);
  if (res.status !== 'stored') throw new Error(`hub-ingest: ${w.boxId}: ${res.status}`);
  return res.stored;
}

/** The bare peer: one multi-row INSERT of a request's readings into the store's own `hub_readings` table. */
export async function bareInsert(query: (sql: string, values: unknown[]) => Promise<{ rowCount: number | null }>, r: Request): Promise<number> {
  const values: unknown[] = [];
  const tuples = r.rows.map((row, i) => {
    values.push(...row);
    const p = i * 7;
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`;
  });
  if (tuples.length > 0) {
    const res = await query(`INSERT INTO hub_readings (box_id, reading_id, sensor_id, ts, value, quality, seq) VALUES ${tuples.join(', ')}`, values);
    if (res.rowCount !== r.rows.length) throw new Error(`hub-ingest: bare insert stored ${res.rowCount} of ${r.rows.length}`);
  }
  return r.records;
}
