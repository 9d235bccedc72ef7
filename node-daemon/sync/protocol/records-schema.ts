import { z } from 'zod';
import type { RecordKind } from '../outbox/lanes.js';

/**
 * The record feed's records and payloads on the wire (docs/sync.md, "The record feed" and "Payloads"), as ONE zod
 * schema: what the county hub accepts (hub/http/ingest-schema.ts puts the request envelope and the lane rules around
 * it; the pull feed's pages go through the same), and the types both sides speak. The hub's record types are these
 * (hub/store/types.ts); the box builds narrower ones from its own rows (sync/outbox/records.ts), checked at compile time
 * to be records of this schema. Pure: no Node.
 *
 * The records themselves are checked strictly (the hub's store trusts its caller), the payloads' inner objects loosely
 * (a newer box may say more; what it says is kept as sent).
 */

export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

const seq = z.int().min(1).max(MAX_SEQ);
const ts = z.int();
const shortText = z.string().min(1).max(200);
/** Readings of the batch the box no longer has (retention deleted them): the rest came (possibly none). */
const missing = z.int().min(1).optional();
const optionalText = z.string().max(10_000).nullable().optional();

/** `[id, sensorId, ts, value, quality]`: `id` the box's reading id (unique per box), `value` metres or null. */
export const readingTupleSchema = z.tuple([z.int(), shortText, z.int(), z.number().nullable(), z.string().min(1).max(64)]);

/** `[sensorId, bucket, min, mean, max, count]`: one sensor's good readings of one batch in one 15-minute bucket. */
export const aggregateTupleSchema = z.tuple([shortText, z.int(), z.number(), z.number(), z.number(), z.int().min(0)]);

/** The alarm as the box describes it in every `alarm` record (fields of the box's `GET /api/v1/alarms/{id}`). */
export const alarmRecordAlarmSchema = z.looseObject({
  id: z.int(),
  key: z.string().max(500),
  kind: z.string().max(100),
  siteId: optionalText,
  sensorId: optionalText,
  drill: z.boolean(),
  title: z.string().max(10_000),
  raisedAt: z.int(),
});

/**
 * One transition: `id` the box's transition id (increasing per box, so it orders an alarm's transitions); `type`
 * `raised`, `escalated`, `deescalated`, `acknowledged`, `shelved`, `unshelved`, `cleared`, …; `level` the level after
 * it (null for faults).
 */
export const alarmRecordTransitionSchema = z.looseObject({
  id: z.int(),
  ts: z.int(),
  type: z.string().min(1).max(100),
  level: z.string().max(100).nullable(),
  by: optionalText,
  account: optionalText,
  note: optionalText,
  cause: z.unknown().optional(),
});

export const fullAlarmPayloadSchema = z.strictObject({ alarm: alarmRecordAlarmSchema, transition: alarmRecordTransitionSchema });

/**
 * An alarm record whose rows the box no longer has: the change-log reference only (ids 0 and type '' when even that
 * did not parse). The hub stores the record (its seq is done, counted and digested like any other) and explodes
 * nothing from it.
 */
export const missingAlarmPayloadSchema = z.strictObject({
  alarmId: z.int().min(0),
  transitionId: z.int().min(0),
  type: z.string().max(100),
  missing: z.literal(true),
});

export const alarmPayloadSchema = z.union([fullAlarmPayloadSchema, missingAlarmPayloadSchema]);
export const readingsPayloadSchema = z.strictObject({ readings: z.array(readingTupleSchema), missing });
export const aggregatesPayloadSchema = z.strictObject({ aggregates: z.array(aggregateTupleSchema), missing });
/** The box's `GET /api/v1/health` body without per-request fields. */
export const healthPayloadSchema = z.record(z.string(), z.unknown());
/** A settings change: `{ section, by, account, before, after }` (`account` absent when there is none). */
export const auditPayloadSchema = z.looseObject({ section: z.string().min(1).max(200) });

/** A stretch of a recording without data (UTC ms; `reason` stall, ffmpeg_exit, restart, clock_untrusted, disk_full, …). */
export const recordingGapSchema = z.looseObject({ from: z.int(), to: z.int(), reason: z.string().min(1).max(100) });

/** How many gaps a recording record may list (a recording that stalls every minute for a day has 1440). */
export const MAX_RECORDING_GAPS = 10_000;

/**
 * A recording's metadata as the box has it after a change that matters (started, finished, failed, deleted, pinned or
 * unpinned), never its media: `id` the box's recording (job) id, `state` `recording`, `finished`, `failed`,
 * `deleted`, … (a newer box may name others), `durationS` of the browser copy (null until made), `bytes` and
 * `segments` of the recording on disk. The newest record of an `id` (highest seq) is the recording's state.
 */
export const recordingPayloadSchema = z.looseObject({
  id: shortText,
  channelId: shortText,
  channelName: z.string().max(200).nullable(),
  title: z.string().max(1_000),
  origin: z.string().max(100).optional(),
  state: z.string().min(1).max(100),
  plannedStart: z.int(),
  plannedEnd: z.int(),
  actualStart: z.int().nullable(),
  actualEnd: z.int().nullable(),
  durationS: z.number().min(0).nullable(),
  bytes: z.int().min(0),
  segments: z.int().min(0),
  gaps: z.array(recordingGapSchema).max(MAX_RECORDING_GAPS),
  pinned: z.boolean(),
  lastError: optionalText,
});

export const syncRecordSchema = z.discriminatedUnion('kind', [
  z.strictObject({ seq, kind: z.literal('alarm'), ts, payload: alarmPayloadSchema }),
  z.strictObject({ seq, kind: z.literal('health'), ts, payload: healthPayloadSchema }),
  z.strictObject({ seq, kind: z.literal('readings'), ts, payload: readingsPayloadSchema }),
  z.strictObject({ seq, kind: z.literal('aggregates'), ts, payload: aggregatesPayloadSchema }),
  z.strictObject({ seq, kind: z.literal('audit'), ts, payload: auditPayloadSchema }),
  z.strictObject({ seq, kind: z.literal('recording'), ts, payload: recordingPayloadSchema }),
]);

// ---- the types: what a parse gives, read-only (a receiver never changes a record; a sender's may be read-only) ----

/** Read-only all the way down (arrays and tuples too), so read-only values of the same shape are records. */
type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type ReadingTuple = DeepReadonly<z.output<typeof readingTupleSchema>>;
export type AggregateTuple = DeepReadonly<z.output<typeof aggregateTupleSchema>>;
export type AlarmRecordAlarm = DeepReadonly<z.output<typeof alarmRecordAlarmSchema>>;
export type AlarmRecordTransition = DeepReadonly<z.output<typeof alarmRecordTransitionSchema>>;
export type FullAlarmPayload = DeepReadonly<z.output<typeof fullAlarmPayloadSchema>>;
export type MissingAlarmPayload = DeepReadonly<z.output<typeof missingAlarmPayloadSchema>>;
export type AlarmPayload = DeepReadonly<z.output<typeof alarmPayloadSchema>>;
export type ReadingsPayload = DeepReadonly<z.output<typeof readingsPayloadSchema>>;
export type AggregatesPayload = DeepReadonly<z.output<typeof aggregatesPayloadSchema>>;
export type HealthPayload = DeepReadonly<z.output<typeof healthPayloadSchema>>;
export type AuditPayload = DeepReadonly<z.output<typeof auditPayloadSchema>>;
export type RecordingPayload = DeepReadonly<z.output<typeof recordingPayloadSchema>>;
/** `{ seq, kind, ts, payload }`: `seq` the box's change-log sequence number, `ts` its commit time (box clock). */
export type SyncRecord = DeepReadonly<z.output<typeof syncRecordSchema>>;

// The kinds the schema takes are the kinds of the protocol (sync/outbox/lanes.ts): this fails to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameKinds: Same<SyncRecord['kind'], RecordKind> = true;
void sameKinds;
