/**
 * Records and their payloads as they travel to the hub (docs/sync.md, "Payloads"), and the pure steps that build them
 * from rows the outbox store has read. No I/O.
 *
 * Partial records. Retention deletes raw readings older than `storage.rawRetentionDays` and change-log rows of that
 * age, and the two are decided by different clocks (a reading's own time, a batch's commit time), so a batch may
 * outlive some or all of its readings. Such a batch must not block its lane: it goes with the readings that remain
 * (or their aggregates) and says how many it lacks in `missing`: `{ "readings": [...], "missing": 12 }`. A batch
 * with none left goes as `{ "readings": [], "missing": N }`. The hub stores what came, marks the seq done, and
 * knows the rest exists only as the box's kept 15-minute aggregates. An `alarm` record whose alarm or transition row
 * cannot be found (never expected: alarms are never deleted) goes as the change-log reference with
 * `"missing": true`: `{ "alarmId", "transitionId", "type", "missing": true }`.
 */
import type { Alarm, AlarmTransition } from '../../alarms/types.js';
import type { Quality } from '../../core/types.js';
import type { RecordingRecordPayload } from '../../recording/recording-record.js';
import { aggregateRows, type RawRow } from '../../storage/retention.js';
import type * as Wire from '../protocol/records-schema.js';

/** `[id, sensorId, ts, value, quality]`: one reading, `id` the box's reading id, `value` metres or null. */
export type ReadingTuple = readonly [id: number, sensorId: string, ts: number, value: number | null, quality: Quality];

/** `[sensorId, bucket, min, mean, max, count]`: the good readings of one sensor in one 15-minute bucket. */
export type AggregateTuple = Wire.AggregateTuple;

export interface ReadingsPayload {
  readonly readings: readonly ReadingTuple[];
  /** Readings of the batch the box no longer has (retention deleted them); absent when none are missing. */
  readonly missing?: number;
}

/** `missing` as in ReadingsPayload: readings of the batch that were gone before it was folded. */
export type AggregatesPayload = Wire.AggregatesPayload;

/** The alarm as it is now, self-contained (fields as in `GET /api/v1/alarms/{id}`). */
export type SyncAlarm = Pick<Alarm, 'id' | 'key' | 'kind' | 'siteId' | 'sensorId' | 'drill' | 'title' | 'raisedAt'>;

/** A transition as the alarm API gives it, without the alarm id (the record's `alarm` carries it). */
export type SyncTransition = Omit<AlarmTransition, 'alarmId'>;

export type AlarmPayload = { readonly alarm: SyncAlarm; readonly transition: SyncTransition } | Wire.MissingAlarmPayload;

/** `health` (a snapshot) and `audit` (a settings change) payloads go as they were logged. */
export type LoggedPayload = Readonly<Record<string, unknown>>;

/** A recording's metadata, logged by the recording store as it goes (recording/recording-record.ts). */
export type RecordingPayload = RecordingRecordPayload;

export type SyncRecord =
  | { readonly seq: number; readonly kind: 'readings'; readonly ts: number; readonly payload: ReadingsPayload }
  | { readonly seq: number; readonly kind: 'aggregates'; readonly ts: number; readonly payload: AggregatesPayload }
  | { readonly seq: number; readonly kind: 'alarm'; readonly ts: number; readonly payload: AlarmPayload }
  | { readonly seq: number; readonly kind: 'recording'; readonly ts: number; readonly payload: RecordingPayload }
  | { readonly seq: number; readonly kind: 'health' | 'audit'; readonly ts: number; readonly payload: LoggedPayload };

/**
 * The box builds its records from its own types (narrower than the wire's: its qualities, alarm kinds and levels);
 * every record it builds must be one the hub accepts (protocol/records-schema.ts). This fails to compile if the two
 * drift. `audit` payloads are left out: they go as the settings store logged them, so their `section` is the settings
 * store's to write (test/sync/audit-record.test.ts runs them through the hub's schema).
 */
type CheckedRecord =
  | Exclude<SyncRecord, { readonly kind: 'health' | 'audit' }>
  | { readonly seq: number; readonly kind: 'health'; readonly ts: number; readonly payload: LoggedPayload };
const recordsAreWire = (r: CheckedRecord): Wire.SyncRecord => r;
void recordsAreWire;

/** A `readings` change-log row's payload: the batch's contiguous reading id range. */
export interface BatchRef {
  readonly firstId: number;
  readonly lastId: number;
  readonly count: number;
}

/** An `alarm` change-log row's payload: the transition it committed. */
export interface AlarmRef {
  readonly alarmId: number;
  readonly transitionId: number;
  readonly type: string;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The id range of a `readings` row's payload; an empty batch (count 0, no ids) is `{count: 0}` with ids 0. */
export function parseBatchRef(payload: unknown): BatchRef | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  if (!isCount(p['count'])) return undefined;
  if (p['count'] === 0) return { firstId: 0, lastId: -1, count: 0 };
  if (!isCount(p['firstId']) || !isCount(p['lastId']) || p['lastId'] < p['firstId']) return undefined;
  return { firstId: p['firstId'], lastId: p['lastId'], count: p['count'] };
}

export function parseAlarmRef(payload: unknown): AlarmRef | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  if (!isCount(p['alarmId']) || !isCount(p['transitionId'])) return undefined;
  return { alarmId: p['alarmId'], transitionId: p['transitionId'], type: typeof p['type'] === 'string' ? p['type'] : '' };
}

/** How many of a batch's `expected` readings are gone, given those found. */
function missingOf(expected: number, found: number): { missing?: number } {
  const missing = expected - found;
  return missing > 0 ? { missing } : {};
}

export function readingsPayload(rows: readonly ReadingTuple[], expected: number): ReadingsPayload {
  return { readings: rows, ...missingOf(expected, rows.length) };
}

/**
 * The batch folded into 15-minute buckets by the same pure folding retention uses (storage/retention.ts: good
 * readings with a finite value only; min/mean/max/count per sensor and bucket). A hub merges buckets by count.
 */
export function aggregatesPayload(rows: readonly ReadingTuple[], expected: number): AggregatesPayload {
  const raw: RawRow[] = rows.map(([, sensorId, ts, value, quality]) => ({ sensorId, ts, value, quality }));
  const aggregates = aggregateRows(raw).map((a): AggregateTuple => [a.sensorId, a.bucket, a.min, a.mean, a.max, a.count]);
  return { aggregates, ...missingOf(expected, rows.length) };
}

/** The newest reading time of a batch (undefined when none is left). */
export function newestReadingTs(rows: readonly ReadingTuple[]): number | undefined {
  let newest: number | undefined;
  for (const r of rows) if (newest === undefined || r[2] > newest) newest = r[2];
  return newest;
}

/** UTF-8 bytes of the record as JSON: what it adds to a request body before compression. */
export function recordBytes(record: SyncRecord): number {
  return Buffer.byteLength(JSON.stringify(record), 'utf8');
}

/**
 * Estimates for backlog figures, in uncompressed JSON bytes, so the box can tell its backlog without expanding it
 * (the outbox store sums them in SQL): a record's envelope with a batch's `[]`; one reading tuple with its comma
 * (`[123456,"river-1",1765000000000,2.345,"good"],` is about 50); one alarm record (alarm and transition with a short
 * cause, about 500). Other kinds (health, audit, recording): their logged payload's length plus the envelope.
 */
export const APPROX_BYTES = { envelope: 80, reading: 50, alarm: 520 } as const;

