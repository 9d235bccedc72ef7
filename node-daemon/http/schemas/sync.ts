import { z } from 'zod';
import { ALARM_KINDS, ALARM_LEVELS, TRANSITION_TYPES } from '../../alarms/types.js';
import { QUALITIES } from '../../core/types.js';
import { FEED_LANES } from '../../sync/outbox/lanes.js';
import type { SyncRecord } from '../../sync/outbox/records.js';
import { apiSchemas } from '../api-registry.js';

/**
 * The county sync's pull feed, `GET /api/v1/sync/feed` (routes/sync-feed.ts; docs/sync.md, "Pull"): its query and
 * its answer, whose records are those the box pushes (sync/outbox/records.ts). Free of Node.
 */

export const FEED_DEFAULT_LIMIT = 500;
export const FEED_MAX_LIMIT = 5_000;

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${FEED_MAX_LIMIT}`;
const AFTER_MESSAGE = 'after must be a change-log sequence number, a whole number from 0 (0: from the start)';

const wholeNumber = (v: unknown): unknown => (typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v);

export const syncFeedQuerySchema = z.strictObject({
  after: z
    .preprocess(wholeNumber, z.int({ error: AFTER_MESSAGE }).min(0, { error: AFTER_MESSAGE }).max(Number.MAX_SAFE_INTEGER, { error: AFTER_MESSAGE }))
    .describe('records after this sequence number: 0 at first, then the previous answer\'s `next`'),
  limit: z
    .preprocess(wholeNumber, z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(FEED_MAX_LIMIT, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most records returned; default ${FEED_DEFAULT_LIMIT}, at most ${FEED_MAX_LIMIT}`),
  lane: z
    .enum(FEED_LANES, { error: `lane must be one of ${FEED_LANES.join(', ')}` })
    .optional()
    .describe('one lane\'s records only (alarm: alarm; health: health, audit and recording; readings: readings); every lane when absent'),
});

export type SyncFeedQuery = z.output<typeof syncFeedQuerySchema>;

const seq = z.int().min(1).describe('change-log sequence number: unique per box for ever, increasing in commit order');
const ts = z.int().describe('when the box committed the change (UTC ms, box clock)');
const missing = z
  .int()
  .min(1)
  .optional()
  .describe('readings of this batch the box no longer has (retention deleted them before they were sent); absent when none are missing');

const readingTuple = z
  .tuple([z.int().describe('reading id'), z.string().describe('sensor id'), z.int().describe('UTC ms'), z.number().nullable().describe('metres, null when none'), z.enum(QUALITIES)])
  .describe('[id, sensorId, ts, value, quality]');

const aggregateTuple = z
  .tuple([z.string().describe('sensor id'), z.int().describe('bucket start, UTC ms'), z.number(), z.number(), z.number(), z.int().describe('good readings folded in')])
  .describe('[sensorId, bucket, min, mean, max, count]: the good readings of one sensor in one 15-minute bucket');

const syncAlarmSchema = z.strictObject({
  id: z.int(),
  key: z.string(),
  kind: z.enum(ALARM_KINDS),
  siteId: z.string().optional(),
  sensorId: z.string().optional(),
  drill: z.boolean(),
  title: z.string().describe('the alarm\'s title now (it follows the newest raise)'),
  raisedAt: z.int(),
});

const syncTransitionSchema = z.strictObject({
  id: z.int(),
  ts: z.int(),
  type: z.enum(TRANSITION_TYPES),
  level: z.enum(ALARM_LEVELS).nullable(),
  by: z.string().optional(),
  account: z.string().optional(),
  note: z.string().optional(),
  cause: z.strictObject({
    rule: z.string().optional(),
    sensorId: z.string().optional(),
    readingTs: z.int().optional(),
    value: z.number().nullable().optional(),
    detail: z.string().optional(),
  }),
});

const syncRecordingSchema = z
  .strictObject({
    id: z.string().describe('the box\'s recording (job) id'),
    channelId: z.string(),
    channelName: z.string().nullable().describe('as configured when the change was made; null when the channel is no longer configured'),
    title: z.string(),
    origin: z.enum(['xmltv', 'manual', 'weekly', 'now']),
    state: z
      .enum(['recording', 'finishing', 'finished', 'failed', 'deleted'])
      .describe('after the change: started (`recording`), `finished`, `failed` (no data), `deleted`; a pin change repeats the state'),
    plannedStart: z.int(),
    plannedEnd: z.int(),
    actualStart: z.int().nullable(),
    actualEnd: z.int().nullable(),
    durationS: z.number().nullable().describe('seconds of the browser copy; null until it is made'),
    bytes: z.int().describe('of the recording\'s segments on disk'),
    segments: z.int(),
    gaps: z.array(z.strictObject({ from: z.int(), to: z.int(), reason: z.enum(['stall', 'ffmpeg_exit', 'restart', 'clock_untrusted', 'disk_full']) })),
    pinned: z.boolean(),
    lastError: z.string().nullable(),
  })
  .describe('a recording\'s metadata after a change that matters (never its media); the newest record of an id is its state');

export const syncRecordSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ seq, kind: z.literal('readings'), ts, payload: z.strictObject({ readings: z.array(readingTuple), missing }) }),
    z.strictObject({ seq, kind: z.literal('aggregates'), ts, payload: z.strictObject({ aggregates: z.array(aggregateTuple), missing }) }),
    z.strictObject({
      seq,
      kind: z.literal('alarm'),
      ts,
      payload: z.union([
        z.strictObject({ alarm: syncAlarmSchema, transition: syncTransitionSchema }),
        z
          .strictObject({ alarmId: z.int(), transitionId: z.int(), type: z.string(), missing: z.literal(true) })
          .describe('the alarm or its transition could not be found: the change-log reference only'),
      ]),
    }),
    z.strictObject({
      seq,
      kind: z.literal('recording'),
      ts,
      payload: syncRecordingSchema,
    }),
    z.strictObject({
      seq,
      kind: z.enum(['health', 'audit']),
      ts,
      payload: z.record(z.string(), z.unknown()).describe('health: a health snapshot (GET /health); audit: a settings change'),
    }),
  ])
  .register(apiSchemas, { id: 'SyncRecord' });

export const syncFeedResponseSchema = z
  .strictObject({
    box: z.string().describe('this box\'s id at the county hub: the enrolled id when enrolled (the push uses the same), else config sync.boxId, else made from the host name'),
    dbId: z.string().describe('the id of this box\'s database: a new one means a new file (a corrupt one was replaced)'),
    records: z.array(syncRecordSchema).describe('in seq order; readings always raw'),
    next: z.int().min(0).describe('ask `after` this next: the last record\'s seq, or `after` when there was none'),
    more: z.boolean().describe('more records follow `next` now (the limit or the page size cut this page short)'),
  })
  .register(apiSchemas, { id: 'SyncFeed' });

export type SyncFeedResponse = z.infer<typeof syncFeedResponseSchema>;

// The documented record must take every record the outbox builds: this fails to compile if the two drift.
type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
const recordFits = (r: SyncRecord): DeepReadonly<z.input<typeof syncRecordSchema>> => r;
void recordFits;
