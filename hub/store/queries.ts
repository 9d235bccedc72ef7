import { createHash } from 'node:crypto';
import { seqDigest } from './checksum.js';
import type { Param, SqlStatement } from './sql-port.js';
import { RECORD_KINDS, type Box, type BoxOverview, type BoxRecordStats, type HealthSnapshot, type HubAlarm, type HubAlarmTransition, type KindStats, type RawReading, type RecordArrival, type RecordKind } from './types.js';
import type { AlarmStateRow, FoldTransition } from './alarm-state.js';
import type { BucketPart } from './readings-15m.js';
import { isLane } from '../../node-daemon/sync/outbox/lanes.js';
import { marksFromRows, type SeriesDecision } from './ingest-plan.js';
import { SERIES_TABLES } from './migrations.js';

/*
 * The SQL both back ends run, written once with PostgreSQL's `$n` placeholders; the SQLite store rewrites them to
 * named parameters (`sqliteSql`). What differs — row locks, bulk inserts with UNNEST — is in pg-store.ts, next to
 * the per-row statements SQLite runs in their place (SQLite has one writer at a time, so it needs no row lock).
 */

export const SQL = {
  boxById: `SELECT id, public_key, name, enrolled_at, revoked_at, last_contact_at, last_link FROM hub_boxes WHERE id = $1`,
  boxesAll: `SELECT id, public_key, name, enrolled_at, revoked_at, last_contact_at, last_link, db_id, db_changes FROM hub_boxes`,
  /** The box's revocation and current database (NULL: none seen yet); PostgreSQL appends FOR UPDATE in an ingest. */
  boxSeries: `SELECT revoked_at, db_id FROM hub_boxes WHERE id = $1`,
  /** The series queries default to: the box's current dbId ('' before it sent one). */
  currentDb: `SELECT COALESCE(db_id, '') AS db_id FROM hub_boxes WHERE id = $1`,
  dbSeen: `SELECT 1 AS seen FROM hub_box_databases WHERE box_id = $1 AND db_id = $2`,
  insertDb: `INSERT INTO hub_box_databases (box_id, db_id, first_seen_at) VALUES ($1, $2, $3) ON CONFLICT (box_id, db_id) DO NOTHING`,
  /** `$3`: 1 when this is a change of database (counted), 0 when the box's first dbId is adopted. */
  setDb: `UPDATE hub_boxes SET db_id = $2, db_changes = db_changes + $3 WHERE id = $1`,
  /** A new series starts from nothing. */
  resetMarks: `UPDATE hub_lane_marks SET mark = 0, updated_at = $2 WHERE box_id = $1`,
  marksAll: `SELECT box_id, lane, mark FROM hub_lane_marks`,
  marksOf: `SELECT lane, mark FROM hub_lane_marks WHERE box_id = $1 ORDER BY lane`,
  healthLatestAll: `SELECT box_id, seq, ts, received_at, payload FROM hub_health_latest`,

  insertCode: `INSERT INTO hub_enrolment_codes (code_hash, label, created_at, expires_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (code_hash) DO NOTHING`,
  /** Atomic single use: of two racing, the second finds used_at set (PostgreSQL re-checks the row after the lock). */
  consumeCode: `UPDATE hub_enrolment_codes SET used_at = $2, used_by = $3
    WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2`,
  codeState: `SELECT used_at, expires_at FROM hub_enrolment_codes WHERE code_hash = $1`,
  insertBox: `INSERT INTO hub_boxes (id, public_key, name, enrolled_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
  insertLaneMarks: `INSERT INTO hub_lane_marks (box_id, lane, mark)
    VALUES ($1, 'alarm', 0), ($1, 'health', 0), ($1, 'readings', 0), ($1, 'bulk', 0)
    ON CONFLICT (box_id, lane) DO NOTHING`,
  revoke: `UPDATE hub_boxes SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
  contact: `UPDATE hub_boxes
    SET last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < $2 THEN $2 ELSE last_contact_at END,
        last_link = $3
    WHERE id = $1`,

  /** Never backwards, whatever the caller computed. */
  updateMark: `UPDATE hub_lane_marks SET mark = $3, updated_at = $4 WHERE box_id = $1 AND lane = $2 AND mark < $3`,
  insertRecord: `INSERT INTO hub_records (box_id, seq, kind, lane, ts, received_at, payload, db_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (box_id, db_id, seq, kind) DO NOTHING`,
  insertReading: `INSERT INTO hub_readings (box_id, reading_id, sensor_id, ts, value, quality, seq, db_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (box_id, db_id, reading_id) DO NOTHING`,
  insertAggregate: `INSERT INTO hub_partial_aggregates (box_id, seq, sensor_id, bucket, min, mean, max, count, db_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (box_id, db_id, seq, sensor_id, bucket) DO NOTHING`,
  insertTransition: `INSERT INTO hub_alarm_transitions
    (box_id, alarm_id, transition_id, seq, ts, type, level, by_name, account, note, cause, title, received_at, db_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT (box_id, db_id, alarm_id, transition_id) DO NOTHING`,
  transitionsForFold: `SELECT transition_id, seq, ts, type, level, by_name, account, title, received_at
    FROM hub_alarm_transitions WHERE box_id = $1 AND alarm_id = $2 AND db_id = $3 ORDER BY transition_id`,
  upsertAlarm: `INSERT INTO hub_alarms (box_id, alarm_id, key, kind, site_id, sensor_id, drill, title, raised_at, state, level,
      shelved, acknowledged_at, acknowledged_by, acknowledged_by_account, cleared_at, updated_at, last_transition_id, last_seq,
      received_at, db_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
    ON CONFLICT (box_id, db_id, alarm_id) DO UPDATE SET key = excluded.key, kind = excluded.kind, site_id = excluded.site_id,
      sensor_id = excluded.sensor_id, drill = excluded.drill, title = excluded.title, raised_at = excluded.raised_at,
      state = excluded.state, level = excluded.level, shelved = excluded.shelved, acknowledged_at = excluded.acknowledged_at,
      acknowledged_by = excluded.acknowledged_by, acknowledged_by_account = excluded.acknowledged_by_account,
      cleared_at = excluded.cleared_at, updated_at = excluded.updated_at, last_transition_id = excluded.last_transition_id,
      last_seq = excluded.last_seq, received_at = excluded.received_at`,
  insertHealth: `INSERT INTO hub_health (box_id, seq, ts, received_at, payload, db_id) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (box_id, db_id, seq) DO NOTHING`,
  /**
   * Latest per box: a higher seq of the same series replaces it, and so does any snapshot of another series (an ingest
   * of an older series is refused before it gets here, so another series is the newer one).
   */
  upsertHealthLatest: `INSERT INTO hub_health_latest (box_id, seq, ts, received_at, payload, db_id) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (box_id) DO UPDATE SET seq = excluded.seq, ts = excluded.ts, received_at = excluded.received_at,
      payload = excluded.payload, db_id = excluded.db_id
    WHERE excluded.db_id <> hub_health_latest.db_id OR excluded.seq > hub_health_latest.seq`,

  /**
   * A recording's latest state in its series: a record with a higher seq replaces the row, a lower one (a pull and a
   * push of the same records, in either order) changes nothing. `$2`…`$7` as RECORDING_VALUES, `$8` received_at, `$9`
   * the dbId.
   */
  upsertRecording: `INSERT INTO hub_recordings (box_id, recording_id, seq, ts, state, planned_start, payload, received_at, db_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (box_id, db_id, recording_id) DO UPDATE SET seq = excluded.seq, ts = excluded.ts, state = excluded.state,
      planned_start = excluded.planned_start, payload = excluded.payload, received_at = excluded.received_at
    WHERE excluded.seq > hub_recordings.seq`,

  rawReadings: `SELECT reading_id, ts, value, quality, seq FROM hub_readings
    WHERE box_id = $1 AND sensor_id = $2 AND ts >= $3 AND ts < $4 ORDER BY ts, reading_id LIMIT $5`,
  /**
   * Both parts of each 15-minute bucket in ONE statement (one snapshot, so a raw batch committed meanwhile is counted
   * once, never zero times or twice). `raw` rows: the good readings with a value (the box's aggregateRows rule; ts is
   * never negative, so integer division floors). `agg` rows: the partial aggregates of the batches whose raw readings
   * the hub does not hold (no `readings` record of that seq).
   */
  buckets15m: `SELECT 'raw' AS src, (ts / 900000) * 900000 AS bucket, MIN(value) AS min, AVG(value) AS mean,
      MAX(value) AS max, COUNT(*) AS count
    FROM hub_readings
    WHERE box_id = $1 AND sensor_id = $2 AND ts >= $3 AND ts < $4 AND quality = 'good' AND value IS NOT NULL
    GROUP BY (ts / 900000) * 900000
    UNION ALL
    SELECT 'agg' AS src, a.bucket, a.min, a.mean, a.max, a.count FROM hub_partial_aggregates a
    WHERE a.box_id = $1 AND a.sensor_id = $2 AND a.bucket >= $3 AND a.bucket < $4
      AND NOT EXISTS (SELECT 1 FROM hub_records r
        WHERE r.box_id = a.box_id AND r.db_id = a.db_id AND r.seq = a.seq AND r.kind = 'readings')`,
  activeAlarms: `SELECT box_id, db_id, alarm_id, key, kind, site_id, sensor_id, drill, title, raised_at, state, level, shelved,
      acknowledged_at, acknowledged_by, acknowledged_by_account, cleared_at, updated_at, last_transition_id, received_at
    FROM hub_alarms WHERE state <> 'cleared'`,
  alarmTransitions: `SELECT box_id, db_id, alarm_id, transition_id, seq, ts, type, level, by_name, account, note, cause, received_at
    FROM hub_alarm_transitions WHERE box_id = $1 AND alarm_id = $2 AND db_id = $3 ORDER BY transition_id`,
  // Per series (`$2`: the dbId): seqs and reading ids start again in a new one.
  recordSeqs: `SELECT kind, seq FROM hub_records WHERE box_id = $1 AND db_id = $2`,
  readingIds: `SELECT reading_id FROM hub_readings WHERE box_id = $1 AND db_id = $2`,
  rowCounts: `SELECT
      (SELECT COUNT(*) FROM hub_partial_aggregates WHERE box_id = $1 AND db_id = $2) AS aggregates,
      (SELECT COUNT(*) FROM hub_alarm_transitions WHERE box_id = $1 AND db_id = $2) AS transitions,
      (SELECT COUNT(*) FROM hub_health WHERE box_id = $1 AND db_id = $2) AS health`,
  nonceSweep: `DELETE FROM hub_nonces WHERE expires_at < $1`,
  nonceHeld: `SELECT 1 AS held FROM hub_nonces WHERE keyid = $1 AND nonce = $2`,
  /** The counts the bounds need, each stopped at its bound (never a scan of a full table). */
  nonceCounts: `SELECT
      (SELECT COUNT(*) FROM (SELECT 1 FROM hub_nonces LIMIT $2) t) AS total,
      (SELECT COUNT(*) FROM (SELECT 1 FROM hub_nonces WHERE keyid = $1 LIMIT $3) k) AS per_key`,
  nonceInsert: `INSERT INTO hub_nonces (keyid, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT (keyid, nonce) DO NOTHING`,
  arrivals: `SELECT seq, kind, lane, ts, received_at, id FROM hub_records WHERE box_id = $1 AND db_id = $2 ORDER BY id`,
  arrivalsOfKind: `SELECT seq, kind, lane, ts, received_at, id FROM hub_records WHERE box_id = $1 AND db_id = $2 AND kind = $3 ORDER BY id`,
} as const;

/** `$n` → `@pn` for better-sqlite3, which binds named parameters (numbered ones it does not). */
export function sqliteSql(sql: string): string {
  return sql.replace(/\$(\d+)/g, '@p$1');
}

export type { Param } from './sql-port.js';

/** Positional values as better-sqlite3 named parameters: `[a, b]` → `{ p1: a, p2: b }`. */
export function sqliteArgs(args: readonly Param[]): Record<string, Param> {
  const out: Record<string, Param> = {};
  args.forEach((v, i) => (out[`p${i + 1}`] = v));
  return out;
}

export function codeHash(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

// ---- rows back to objects (both drivers hand back snake_case columns; pg's int8 is parsed to number) ----

type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const json = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));

export function toBox(r: Row): Box {
  return {
    id: String(r.id),
    publicKey: String(r.public_key),
    name: strOrNull(r.name),
    enrolledAt: num(r.enrolled_at),
    revokedAt: numOrNull(r.revoked_at),
    lastContactAt: numOrNull(r.last_contact_at),
    lastLink: json(r.last_link) as Box['lastLink'],
  };
}

export function toHealth(r: Row): HealthSnapshot {
  return { seq: num(r.seq), ts: num(r.ts), receivedAt: num(r.received_at), body: json(r.payload) as HealthSnapshot['body'] };
}

/** `sync.backlog` of a health body, as the box reported it. */
export function backlogOf(h: HealthSnapshot | null): unknown {
  const sync = h?.body.sync;
  if (sync === null || typeof sync !== 'object') return null;
  return (sync as Record<string, unknown>).backlog ?? null;
}

/** The hub_alarm_transitions columns both reads of a transition map alike (fields in the order the answers give them). */
function transitionFields(r: Row): Omit<FoldTransition, 'title' | 'receivedAt'> {
  return {
    transitionId: num(r.transition_id),
    seq: num(r.seq),
    ts: num(r.ts),
    type: String(r.type),
    level: strOrNull(r.level),
    by: strOrNull(r.by_name),
    account: strOrNull(r.account),
  };
}

export function toFoldTransition(r: Row): FoldTransition {
  return { ...transitionFields(r), title: String(r.title), receivedAt: num(r.received_at) };
}

export function alarmArgs(boxId: string, dbId: string, a: AlarmStateRow): Param[] {
  return [
    boxId, a.alarmId, a.key, a.kind, a.siteId, a.sensorId, a.drill ? 1 : 0, a.title, a.raisedAt, a.state, a.level,
    a.shelved ? 1 : 0, a.acknowledgedAt, a.acknowledgedBy, a.acknowledgedByAccount, a.clearedAt, a.updatedAt,
    a.lastTransitionId, a.lastSeq, a.receivedAt, dbId,
  ];
}

export function toHubAlarm(r: Row): HubAlarm {
  return {
    boxId: String(r.box_id),
    dbId: String(r.db_id),
    alarmId: num(r.alarm_id),
    key: String(r.key),
    kind: String(r.kind),
    siteId: strOrNull(r.site_id),
    sensorId: strOrNull(r.sensor_id),
    drill: num(r.drill) === 1,
    title: String(r.title),
    raisedAt: num(r.raised_at),
    state: String(r.state) as HubAlarm['state'],
    level: strOrNull(r.level),
    shelved: num(r.shelved) === 1,
    acknowledgedAt: numOrNull(r.acknowledged_at),
    acknowledgedBy: strOrNull(r.acknowledged_by),
    acknowledgedByAccount: strOrNull(r.acknowledged_by_account),
    clearedAt: numOrNull(r.cleared_at),
    updatedAt: num(r.updated_at),
    lastTransitionId: num(r.last_transition_id),
    receivedAt: num(r.received_at),
  };
}

export function toHubTransition(r: Row): HubAlarmTransition {
  return {
    boxId: String(r.box_id),
    dbId: String(r.db_id),
    alarmId: num(r.alarm_id),
    ...transitionFields(r),
    note: strOrNull(r.note),
    cause: json(r.cause),
    receivedAt: num(r.received_at),
  };
}

export function toRawReading(r: Row): RawReading {
  return { readingId: num(r.reading_id), ts: num(r.ts), value: numOrNull(r.value), quality: String(r.quality), seq: num(r.seq) };
}

export function toBucketPart(r: Row): BucketPart {
  return { raw: r.src === 'raw', bucket: num(r.bucket), min: num(r.min), mean: num(r.mean), max: num(r.max), count: num(r.count) };
}

export function toArrival(r: Row): RecordArrival {
  const lane = String(r.lane);
  if (!isLane(lane)) throw new Error(`hub store: unknown lane ${lane} in hub_records`);
  return { seq: num(r.seq), kind: String(r.kind) as RecordKind, lane, ts: num(r.ts), receivedAt: num(r.received_at), arrival: num(r.id) };
}

/** Builds recordStats from the box's (kind, seq) rows, its reading ids and the three row counts. */
export function buildStats(
  seqRows: readonly Row[],
  readingIds: readonly number[],
  counts: Row | undefined,
): BoxRecordStats {
  const byKind = new Map<RecordKind, number[]>(RECORD_KINDS.map((k) => [k, []]));
  for (const r of seqRows) byKind.get(String(r.kind) as RecordKind)?.push(num(r.seq));
  const kinds = Object.fromEntries(
    RECORD_KINDS.map((k): [RecordKind, KindStats] => {
      const seqs = byKind.get(k) ?? [];
      let sum = 0;
      let min: number | null = null;
      let max: number | null = null;
      for (const s of seqs) {
        sum += s;
        min = min === null ? s : Math.min(min, s);
        max = max === null ? s : Math.max(max, s);
      }
      return [k, { count: seqs.length, seqSum: sum, minSeq: min, maxSeq: max, digest: seqDigest(seqs) }];
    }),
  ) as Record<RecordKind, KindStats>;
  return {
    kinds,
    readings: { count: readingIds.length, digest: seqDigest(readingIds) },
    partialAggregates: num(counts?.aggregates ?? 0),
    alarmTransitions: num(counts?.transitions ?? 0),
    healthSnapshots: num(counts?.health ?? 0),
  };
}


/** Boxes with their marks and latest health, by id. */
export function overview(boxes: readonly Row[], markRows: readonly Row[], healthRows: readonly Row[]): BoxOverview[] {
  const marksBy = new Map<string, { lane: string; mark: number }[]>();
  for (const m of markRows) {
    const id = String(m.box_id);
    const list = marksBy.get(id) ?? [];
    list.push({ lane: String(m.lane), mark: Number(m.mark) });
    marksBy.set(id, list);
  }
  const healthBy = new Map(healthRows.map((h) => [String(h.box_id), toHealth(h)]));
  return boxes
    .map(toBox)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((b) => {
      const latestHealth = healthBy.get(b.id) ?? null;
      const row = boxes.find((x) => String(x.id) === b.id);
      return {
        ...b,
        dbId: strOrNull(row?.db_id),
        databaseChanges: num(row?.db_changes ?? 0),
        marks: marksFromRows(marksBy.get(b.id) ?? []),
        latestHealth,
        backlog: backlogOf(latestHealth),
      };
    });
}


/** The statements that move a box's rows of the unknown series ('') to its first dbId (`$1` box, `$2` dbId). */
export const ADOPT_SERIES: readonly string[] = SERIES_TABLES.map((t) => `UPDATE ${t} SET db_id = $2 WHERE box_id = $1 AND db_id = ''`);

/**
 * The statements that move the box to a series other than its current one (`$1` box): the dbId noted as seen and made
 * current (counted when it replaces one); an adopted first dbId takes the rows stored before it, a new one starts
 * every mark at 0 (the caller plans on zero marks then).
 */
export function seriesChange(boxId: string, series: SeriesDecision, at: number): SqlStatement[] {
  if (series.kind === 'same' || series.kind === 'stale') return [];
  return [
    { sql: SQL.insertDb, args: [boxId, series.dbId, at] },
    { sql: SQL.setDb, args: [boxId, series.dbId, series.kind === 'new' ? 1 : 0] },
    ...(series.kind === 'adopt' ? ADOPT_SERIES.map((sql) => ({ sql, args: [boxId, series.dbId] })) : []),
    ...(series.kind === 'new' ? [{ sql: SQL.resetMarks, args: [boxId, at] }] : []),
  ];
}

/** Why an enrolment stopped: thrown inside the transaction so it rolls back, caught outside. */
export class EnrolAbort {
  constructor(readonly reason: 'unknown_code' | 'code_expired' | 'code_used' | 'box_exists') {}
}

/** The reason a code could not be consumed, from its row (undefined: no such code). */
export function codeRefusal(row: Row | undefined): EnrolAbort['reason'] {
  return row === undefined ? 'unknown_code' : row.used_at !== null && row.used_at !== undefined ? 'code_used' : 'code_expired';
}
