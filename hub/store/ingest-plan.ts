import { isLane } from '../../node-daemon/sync/outbox/lanes.js';
import type { Param } from './sql-port.js';
import {
  LANE_KINDS,
  LANES,
  type AlarmRecordAlarm,
  type Bucket15m,
  type HubAlarmTransition,
  type IngestLane,
  type IngestResult,
  type Lane,
  type LaneMarks,
  type RecordKind,
  type SyncRecord,
} from './types.js';

/*
 * The dialect-free half of `ingest`: both stores read the box's marks (locked), hand them here, and write what comes
 * back. Nothing here touches a database.
 */

export function zeroMarks(): Record<Lane, number> {
  return { alarm: 0, health: 0, readings: 0, bulk: 0 };
}

export function marksFromRows(rows: Iterable<{ readonly lane: string; readonly mark: number }>): Record<Lane, number> {
  const marks = zeroMarks();
  for (const r of rows) if (isLane(r.lane)) marks[r.lane] = Number(r.mark);
  return marks;
}

export interface PlannedRecord {
  readonly lane: Lane;
  readonly record: SyncRecord;
}

export interface IngestPlan {
  /** Lanes whose `after` is above the hub's mark: nothing of them is stored. */
  readonly conflicts: Lane[];
  /** Records above their lane's mark in the accepted lanes, one per `(seq, kind)`, by lane priority then seq. */
  readonly candidates: PlannedRecord[];
  /** Records left out: at or below the mark, or repeated in the request. */
  readonly skipped: number;
  /** The marks once the candidates are stored: each accepted lane's highest seq above its mark (never lower). */
  readonly marks: Record<Lane, number>;
}

/**
 * Applies docs/sync.md's lane rule to `marks` (the box's marks as locked in the transaction). A record whose kind its
 * lane cannot carry is a programming error of the caller (the route validates) and throws before anything is written.
 */
export function planIngest(marks: LaneMarks, lanes: readonly IngestLane[]): IngestPlan {
  for (const l of lanes) {
    if (!isLane(l.lane)) throw new Error(`hub store: unknown lane ${JSON.stringify(l.lane)}`);
    for (const r of l.records) {
      if (!LANE_KINDS[l.lane].includes(r.kind)) {
        throw new Error(`hub store: lane ${l.lane} cannot carry a ${String(r.kind)} record (seq ${r.seq})`);
      }
      if (!Number.isSafeInteger(r.seq) || r.seq <= 0) throw new Error(`hub store: bad seq ${String(r.seq)} in lane ${l.lane}`);
    }
  }
  const conflicts = LANES.filter((lane) => lanes.some((l) => l.lane === lane && l.after > marks[lane]));
  const next: Record<Lane, number> = { ...marks };
  const seen = new Set<string>();
  const candidates: PlannedRecord[] = [];
  let skipped = 0;
  for (const l of lanes) {
    if (conflicts.includes(l.lane)) continue;
    for (const record of l.records) {
      if (record.seq <= marks[l.lane]) {
        skipped += 1;
        continue;
      }
      next[l.lane] = Math.max(next[l.lane], record.seq);
      const key = `${record.seq}:${record.kind}`;
      if (seen.has(key)) {
        skipped += 1;
        continue;
      }
      seen.add(key);
      candidates.push({ lane: l.lane, record });
    }
  }
  // Stored in priority order (lanes as listed, then seq): within one request an alarm is stored, and so `arrival`
  // numbered, before the backlog it overtook.
  candidates.sort((a, b) => LANES.indexOf(a.lane) - LANES.indexOf(b.lane) || a.record.seq - b.record.seq);
  return { conflicts, candidates, skipped, marks: next };
}

/**
 * Which series an ingest's records belong to (docs/sync.md "A box whose database is new"), from the box's current
 * dbId (`current`, null: none seen yet), the one the ingest names, and whether the box used that one before.
 * - `same`: the current series (also when the ingest names none);
 * - `adopt`: the box's first dbId: rows stored before it (series '') become its, marks kept;
 * - `new`: a dbId never seen: a new series, marks reset to 0;
 * - `stale`: a dbId the box used before the current one: refused.
 */
export type SeriesDecision =
  | { readonly kind: 'same' | 'adopt'; readonly dbId: string }
  | { readonly kind: 'new'; readonly dbId: string; readonly from: string }
  | { readonly kind: 'stale'; readonly dbId: string; readonly current: string };

export function decideSeries(current: string | null, incoming: string | undefined, seenBefore: boolean): SeriesDecision {
  if (incoming === undefined || incoming === current) return { kind: 'same', dbId: current ?? '' };
  if (current === null) return { kind: 'adopt', dbId: incoming };
  if (seenBefore) return { kind: 'stale', dbId: incoming, current };
  return { kind: 'new', dbId: incoming, from: current };
}

export function recordKey(seq: number, kind: RecordKind | string): string {
  return `${seq}:${kind}`;
}

/** What a record keeps in `hub_records.payload`: readings and aggregates are exploded into their tables instead. */
export function storedPayload(record: SyncRecord): string | null {
  return record.kind === 'readings' || record.kind === 'aggregates' ? null : JSON.stringify(record.payload);
}

export interface ReadingRow {
  readonly readingId: number;
  readonly sensorId: string;
  readonly ts: number;
  readonly value: number | null;
  readonly quality: string;
  readonly seq: number;
}

/** One batch's partial aggregate of one sensor's bucket (hub_partial_aggregates). */
export type AggregateRow = { readonly seq: number; readonly sensorId: string } & Omit<Bucket15m, 'source'>;

/** A hub_alarm_transitions row to write: the transition as the queries give it back, before the hub's columns. */
export type TransitionRow = Omit<HubAlarmTransition, 'boxId' | 'dbId' | 'cause' | 'receivedAt'> & {
  /** JSON. */
  readonly cause: string;
  /** The alarm's title as of this transition (the title follows the newest raise). */
  readonly title: string;
};

/**
 * How an exploded row is written: its values in the column order of its insert (queries.ts SQL.insertReading,
 * insertAggregate and insertTransition, between box_id and the hub's columns; pg-store.ts's UNNEST statements take
 * the same columns, one array each), and how many there are.
 */
export interface RowValues<R> {
  readonly width: number;
  readonly of: (row: R) => Param[];
}

export const READING_VALUES: RowValues<ReadingRow> = {
  width: 6,
  of: (r) => [r.readingId, r.sensorId, r.ts, r.value, r.quality, r.seq],
};
export const AGGREGATE_VALUES: RowValues<AggregateRow> = {
  width: 7,
  of: (a) => [a.seq, a.sensorId, a.bucket, a.min, a.mean, a.max, a.count],
};
export const TRANSITION_VALUES: RowValues<TransitionRow> = {
  width: 11,
  of: (t) => [t.alarmId, t.transitionId, t.seq, t.ts, t.type, t.level, t.by, t.account, t.note, t.cause, t.title],
};

/** The rows as one array per column (PostgreSQL's UNNEST takes columns): `width` arrays, even for no rows. */
export function columns<R>(rows: readonly R[], values: RowValues<R>): Param[][] {
  const table = rows.map(values.of);
  return Array.from({ length: values.width }, (_, i) => table.map((r) => r[i] ?? null));
}

export interface HealthRow {
  readonly seq: number;
  readonly ts: number;
  /** JSON. */
  readonly payload: string;
}

/** A `recording` record as hub_recordings keeps it: the latest per (box, dbId, recording id) by seq. */
export interface RecordingRow {
  readonly recordingId: string;
  readonly seq: number;
  readonly ts: number;
  readonly state: string;
  readonly plannedStart: number;
  /** JSON: the payload as sent. */
  readonly payload: string;
}

/** The hub_recordings upsert's values after box_id, in its column order (queries.ts SQL.upsertRecording). */
export const RECORDING_VALUES: RowValues<RecordingRow> = {
  width: 6,
  of: (r) => [r.recordingId, r.seq, r.ts, r.state, r.plannedStart, r.payload],
};

export interface Exploded {
  readonly readings: ReadingRow[];
  readonly aggregates: AggregateRow[];
  readonly transitions: TransitionRow[];
  /** The alarms the transitions belong to, by box alarm id (identity fields do not change over an alarm's life). */
  readonly alarms: Map<number, AlarmRecordAlarm>;
  readonly health: HealthRow[];
  readonly recordings: RecordingRow[];
}

/** Spreads newly stored records into the tables the queries read. */
export function explode(records: readonly SyncRecord[]): Exploded {
  const out: Exploded = { readings: [], aggregates: [], transitions: [], alarms: new Map(), health: [], recordings: [] };
  for (const r of records) {
    switch (r.kind) {
      case 'readings':
        for (const [readingId, sensorId, ts, value, quality] of r.payload.readings) {
          out.readings.push({ readingId, sensorId, ts, value, quality, seq: r.seq });
        }
        break;
      case 'aggregates':
        for (const [sensorId, bucket, min, mean, max, count] of r.payload.aggregates) {
          out.aggregates.push({ seq: r.seq, sensorId, bucket, min, mean, max, count });
        }
        break;
      case 'alarm': {
        // A reference to rows the box lost: the record is kept (hub_records.payload), there is nothing to explode.
        if ('missing' in r.payload) break;
        const { alarm, transition: t } = r.payload;
        out.alarms.set(alarm.id, alarm);
        out.transitions.push({
          alarmId: alarm.id,
          transitionId: t.id,
          seq: r.seq,
          ts: t.ts,
          type: t.type,
          level: t.level ?? null,
          by: t.by ?? null,
          account: t.account ?? null,
          note: t.note ?? null,
          cause: JSON.stringify(t.cause ?? {}),
          title: alarm.title,
        });
        break;
      }
      case 'health':
        out.health.push({ seq: r.seq, ts: r.ts, payload: JSON.stringify(r.payload) });
        break;
      case 'audit':
        break; // kept in hub_records.payload only
      case 'recording':
        out.recordings.push({
          recordingId: r.payload.id,
          seq: r.seq,
          ts: r.ts,
          state: r.payload.state,
          plannedStart: r.payload.plannedStart,
          payload: JSON.stringify(r.payload),
        });
        break;
    }
  }
  return out;
}

/** The snapshot hub_health_latest takes of those stored: the highest seq. */
export function newestHealth(rows: readonly HealthRow[]): HealthRow | undefined {
  return rows.reduce<HealthRow | undefined>((m, h) => (m === undefined || h.seq > m.seq ? h : m), undefined);
}

/** The answer to an ingest whose plan is stored, `stored` of its candidates new (the rest were already held). */
export function ingestOutcome(
  plan: IngestPlan,
  series: Exclude<SeriesDecision, { readonly kind: 'stale' }>,
  receivedAt: number,
  stored: number,
): IngestResult {
  const counts = { stored, duplicates: plan.skipped + plan.candidates.length - stored };
  const note = { dbId: series.dbId, ...(series.kind === 'new' ? { newDatabase: { from: series.from } } : {}) };
  return plan.conflicts.length > 0
    ? { status: 'conflict', acked: plan.marks, conflicts: plan.conflicts, receivedAt, ...counts, ...note }
    : { status: 'stored', acked: plan.marks, receivedAt, ...counts, ...note };
}
