import { z } from 'zod';
import { idSchema } from '../config/fields.js';
import { QUALITIES } from '../core/types.js';
import type { HealthSnapshot, SensorHealth } from '../health/health-types.js';
import type { SyncHealth } from '../sync/push/link-state.js';
import { contentHealthSchema } from './schemas/content.js';
import { imagesHealthSchema } from './schemas/sync-images.js';
import { mediaHealthSchema } from './schemas/library.js';
import { cameraHealthSchema } from './schemas/cameras.js';
import { smsHealthSchema } from './schemas/sms.js';
import { ordersHealthSchema } from './schemas/notices.js';
import { uplinksHealthSchema } from './schemas/uplinks.js';
import { backupHealthSchema } from './schemas/backup.js';
import { updateHealthSchema } from './schemas/update.js';
import { apiSchemas } from './api-registry.js';
import { timeParam } from './time-param.js';

/** Shapes of the API's requests and responses. The routes validate with them and the OpenAPI document is built from them. */

export const DEFAULT_RANGE_MS = 24 * 3_600_000;
export const DEFAULT_LIMIT = 1_000;
export const MAX_LIMIT = 10_000;

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_LIMIT}`;

export const sensorIdParam = idSchema.describe('sensor id');

export const readingsQuerySchema = z.strictObject({
  from: timeParam('from').optional().describe('start of the range, inclusive; default: 24 hours before `to`'),
  to: timeParam('to').optional().describe('end of the range, exclusive; default: now'),
  limit: z
    .preprocess((v) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v), z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(MAX_LIMIT, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most items returned, oldest first; default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}`),
  resolution: z
    .enum(['raw', '15m'], { error: 'resolution must be raw or 15m' })
    .optional()
    .describe('`raw` readings (default) or `15m` min/mean/max aggregates, which are kept for ever and suit long ranges'),
});

export type ReadingsQueryParams = z.output<typeof readingsQuerySchema>;

const quality = z.enum(QUALITIES);
const lastError = z.strictObject({ ts: z.int(), message: z.string() });
const breakerState = z.enum(['closed', 'open', 'half_open']);

const sensorHealthShape = {
  id: z.string(),
  name: z.string().optional(),
  bus: z.string(),
  slave: z.int(),
  profile: z.string().describe('catalogue or site profile name, or `inline`'),
  critical: z.boolean(),
  status: z
    .enum([...QUALITIES, 'unknown'])
    .describe('quality of the newest reading, `stale` when nothing newer than the stale limit has been heard, `unknown` before the first reading'),
  lastReading: z.strictObject({ ts: z.int(), value: z.number().nullable(), quality }).optional(),
  lastGoodTs: z.int().optional().describe('UTC ms of the newest good reading'),
  lastError: lastError.optional(),
  breaker: breakerState,
};

export const sensorHealthSchema = z.strictObject(sensorHealthShape).register(apiSchemas, { id: 'SensorHealth' });

export const busHealthSchema = z
  .strictObject({
    id: z.string(),
    type: z.enum(['rtu', 'tcp']),
    endpoint: z.string(),
    state: z.enum(['connecting', 'open', 'down', 'closed']),
    lastError: lastError.optional(),
    counters: z.strictObject({
      requests: z.int(),
      responses: z.int(),
      timeouts: z.int(),
      exceptions: z.int(),
      crcErrors: z.int(),
      portErrors: z.int(),
      reconnects: z.int(),
    }),
  })
  .register(apiSchemas, { id: 'BusHealth' });

const syncLaneBacklogSchema = z.strictObject({
  records: z.int().describe('records waiting after the lane\'s acknowledged cursor'),
  bytes: z.int().describe('their approximate size, uncompressed JSON'),
  oldestAgeMs: z.int().nullable().describe('how long the oldest has waited; null when none waits'),
});

const setAsideRecordSchema = z.strictObject({
  seq: z.int(),
  lane: z.enum(['alarm', 'health', 'readings', 'bulk']),
  kind: z.enum(['alarm', 'health', 'readings', 'aggregates', 'audit', 'recording']),
  ts: z.int().describe('when the box committed it (UTC ms)'),
  at: z.int().describe('when it was set aside (UTC ms)'),
  reason: z.string().describe('what the hub said'),
});

export const syncHealthSchema = z
  .strictObject({
    state: z
      .enum(['up', 'down', 'backoff', 'over_budget', 'not_enrolled', 'stale_database', 'certificate_refused'])
      .describe(
        '`up`: the hub answered the last request; `over_budget`: the byte budget is spent, only alarms go; `backoff`: the last try failed, ' +
          'the box waits to retry; `down`: several tries failed in a row, the hub refused the box, or no exchange yet; `not_enrolled`: no enrolment (fenghuo enroll); ' +
          '`stale_database`: the hub holds a newer database of this box and refuses this one (docs/sync.md); `certificate_refused`: the https hub\'s key is not the one pinned at enrolment',
      ),
    hub: z.string().optional().describe('the hub\'s origin, from the enrolment'),
    boxId: z.string().optional().describe('the id the box pushes and serves its feed as: the enrolled id when enrolled'),
    configuredBoxId: z.string().optional().describe('sync.boxId, when it differs from the enrolled id (the enrolled id is used)'),
    tlsPin: z.string().optional().describe('the hub\'s TLS key pin recorded at enrolment (sha256/…), for an https hub'),
    lastSuccessAt: z.int().optional().describe('UTC ms (box clock) of the last request the hub acknowledged'),
    lastError: lastError.optional(),
    nextAttemptAt: z.int().optional().describe('while backing off: UTC ms (box clock) of the next try'),
    backlog: z
      .strictObject({ alarm: syncLaneBacklogSchema, health: syncLaneBacklogSchema, readings: syncLaneBacklogSchema, bulk: syncLaneBacklogSchema })
      .describe('per lane (docs/sync.md, "Lanes and priority")'),
    budget: z
      .strictObject({
        dayBytes: z.int().describe('bytes on the wire today (site.timezone), requests and answers, headers included'),
        monthBytes: z.int().describe('bytes on the wire this calendar month'),
        dailyBytes: z.int().optional().describe('sync.budget.dailyBytes, when set'),
        monthlyBytes: z.int().optional().describe('sync.budget.monthlyBytes, when set'),
      }),
    offsetMs: z.int().describe('hub clock − box clock, learned from the hub\'s signed answers'),
    setAside: z
      .strictObject({ count: z.int(), recent: z.array(setAsideRecordSchema).describe('the newest, newest last') })
      .optional()
      .describe('records the hub refused as malformed, set aside by the box (they stay in its change log); absent when none'),
    isolating: z
      .strictObject({ maxRecords: z.int(), since: z.int() })
      .optional()
      .describe('while the box narrows down a request the hub refused as malformed: records per request, and since when (UTC ms)'),
    content: contentHealthSchema.optional().describe('the county\'s content downloads (docs/sync.md "Content")'),
    orders: ordersHealthSchema.optional().describe('the county\'s downstream orders (docs/sync.md "Downstream"); absent when the box takes none'),
    images: imagesHealthSchema.optional().describe('the camera pictures to the hub (docs/sync.md "Camera pictures to the hub"); absent with sync.images.thumbnails false'),
  })
  .register(apiSchemas, { id: 'SyncHealth' });

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']).describe('degraded when a bus is down, a critical sensor is not good, or storage writes fail'),
    ts: z.int(),
    uptimeS: z.int(),
    version: z.string(),
    buses: z.array(busHealthSchema),
    sensors: z.array(sensorHealthSchema),
    disk: z.strictObject({ path: z.string(), freeBytes: z.number(), totalBytes: z.number() }),
    storage: z.strictObject({ lastCommitTs: z.int().optional(), pendingWrites: z.int(), lastError: z.string().optional() }),
    sync: syncHealthSchema.optional().describe('the county link (docs/sync.md); absent with sync.push false'),
    media: mediaHealthSchema.optional().describe('the media disk quota: recordings, library and county content, free space, evictions; `pressure` while space cannot be freed (fault alarm fault:disk_space)'),
    uplinks: uplinksHealthSchema.optional().describe('the SL 651-2014 centre links (uplinks.sl651): connection, queue of unconfirmed reports, last confirmation; absent when none is configured'),
    backup: backupHealthSchema
      .optional()
      .describe('scheduled backups (config backup): the last one (time, result, each target), the next due time; the fault alarm fault:backup is open after a failure; absent without backup in the config'),
    cameras: z
      .array(cameraHealthSchema)
      .optional()
      .describe('the cameras (config cameras): last picture, last error (timeout, refused, not-image …), failures in a row; absent when none is configured. A failing camera never makes the box degraded'),
    sms: smsHealthSchema
      .optional()
      .describe('warning SMS (config sms): transport ready, last error, failures in a row, queue, SMS today and the cap; output_fault:sms is open after faultAfterFailures failures in a row or a modem not ready; absent without sms in the config'),
    update: updateHealthSchema
      .optional()
      .describe('the last software update (fenghuo update, DATA/update/last-update.json): versions, outcome (updated; rolled-back: the new release was not healthy and the box went back by itself), why; absent when the box was never updated'),
  })
  .register(apiSchemas, { id: 'Health' });

export const sensorSummarySchema = z
  .strictObject({
    ...sensorHealthShape,
    unit: z.literal('m').describe('every value is metres on the local gauge datum'),
    pollIntervalMs: z.int(),
    staleAfterMs: z.int(),
  })
  .register(apiSchemas, { id: 'Sensor' });

export type SensorSummary = z.infer<typeof sensorSummarySchema>;

export const sensorsResponseSchema = z.strictObject({ sensors: z.array(sensorSummarySchema) }).register(apiSchemas, { id: 'SensorList' });

const page = {
  sensorId: z.string(),
  unit: z.literal('m'),
  from: z.int().describe('UTC ms, inclusive'),
  to: z.int().describe('UTC ms, exclusive'),
  truncated: z.boolean().describe('true when `limit` cut the range short'),
  nextFrom: z.int().optional().describe('when truncated: `from` for the next page'),
};

export const readingSchema = z.strictObject({
  ts: z.int().describe('UTC ms'),
  iso: z.string().describe('the same instant, ISO 8601 UTC'),
  value: z.number().nullable().describe('metres; null when the sensor gave no value'),
  quality,
});

export const aggregateSchema = z.strictObject({
  bucket: z.int().describe('start of the 15-minute bucket, UTC ms'),
  iso: z.string(),
  min: z.number(),
  mean: z.number(),
  max: z.number(),
  count: z.int().describe('good readings folded in'),
});

export const rawReadingsResponseSchema = z
  .strictObject({ ...page, resolution: z.literal('raw'), readings: z.array(readingSchema) })
  .register(apiSchemas, { id: 'Readings' });

export const aggregatesResponseSchema = z
  .strictObject({ ...page, resolution: z.literal('15m'), aggregates: z.array(aggregateSchema) })
  .register(apiSchemas, { id: 'Aggregates' });

export type RawReadingsResponse = z.infer<typeof rawReadingsResponseSchema>;
export type AggregatesResponse = z.infer<typeof aggregatesResponseSchema>;

// The documented shapes must stay the shapes the code produces: these fail to compile if the contracts drift.
type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const healthMatches: Same<DeepReadonly<z.infer<typeof healthSchema>>, DeepReadonly<HealthSnapshot>> = true;
const sensorMatches: Same<DeepReadonly<z.infer<typeof sensorHealthSchema>>, DeepReadonly<SensorHealth>> = true;
const syncMatches: Same<DeepReadonly<z.infer<typeof syncHealthSchema>>, DeepReadonly<SyncHealth>> = true;
void healthMatches;
void sensorMatches;
void syncMatches;
