import { z } from 'zod';
import { alarmsSchema } from '../alarms/rules/schema.js';
import { ROLES } from '../auth/roles.js';
import { dispatchPlanSchema } from '../dispatch/plan-schema.js';
import { profileSchema } from '../sensing/profile-schema.js';
import { BAUD_RATES, idSchema } from './fields.js';
import { outputsSchema } from './outputs-schema.js';
import { stationSchema, unknownProgrammeSpeakers } from '../../broadcast/station/programme-config.js';
import { LISTEN_EXPECTED, parseListen } from './listen.js';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../sync/outbox/box-id.js';
import { libraryConfigSchema } from '../../broadcast/library/library-config.js';
import { mediaConfigSchema } from '../../broadcast/media-quota/media-config.js';
import { recordingSchema } from '../recording/config-schema.js';
import { camerasSchema } from '../camera/config-schema.js';
import { recordingScheduleShape, scheduleReferenceIssues } from '../recording-schedule/config-schema.js';
import { uplinksSchema } from '../uplinks/sl651/config-schema.js';
import { backupConfigSchema } from '../backup/config-schema.js';
import { smsSchema } from '../sms/config-schema.js';

export { ID_RULE } from './fields.js';

const id = idSchema;

export { BAUD_RATES } from './fields.js';

const breakerSchema = z
  .strictObject({
    failureThreshold: z.number().int().min(1).max(100).default(3).describe('consecutive failed transactions before a slave\'s breaker opens'),
    openMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(5_000)
      .describe('how long an open breaker skips the slave before one re-probe; doubles on each failed re-probe up to maxOpenMs'),
    maxOpenMs: z.number().int().min(100).max(3_600_000).default(60_000).describe('upper bound of the doubling open time'),
  })
  .describe('per-slave circuit breaker: one dead device must not stall the others on its bus');

const busCommon = {
  id: id.describe('bus id, referred to by sensors[].bus'),
  timeoutMs: z.number().int().min(10).max(60_000).default(1_000).describe('per-request timeout'),
  retries: z.number().int().min(0).max(10).default(1).describe('extra attempts after a failed request'),
  retryBackoffMs: z.number().int().min(0).max(60_000).default(100).describe('first retry delay; doubles on each retry'),
  reconnectMs: z.number().int().min(100).max(600_000).default(1_000).describe('delay before reopening a port or connection that failed to open; doubles up to 5 s (or this, if larger); a working link that drops is reopened at once'),
  breaker: breakerSchema.default({ failureThreshold: 3, openMs: 5_000, maxOpenMs: 60_000 }),
};

export const rtuBusSchema = z
  .strictObject({
    ...busCommon,
    type: z.literal('rtu').describe('Modbus RTU on a serial (RS-485) port'),
    path: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...'),
    baudRate: z.literal(BAUD_RATES).default(9600).describe('bits per second; every device on the bus must use the same'),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.literal([7, 8]).default(8),
    stopBits: z.literal([1, 2]).default(1),
    lateReplyMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .optional()
      .describe(
        'how long after its timeout a slave\'s answer may still arrive (default 2 × timeoutMs); that slave is not asked again until its late answer has been drained or this has passed, so a late reply is never taken for the next request',
      ),
  })
  .describe('a Modbus RTU bus on an RS-485 serial port');

export const tcpBusSchema = z
  .strictObject({
    ...busCommon,
    type: z.literal('tcp').describe('Modbus TCP (an Ethernet gateway or a networked sensor)'),
    host: z.string().min(1).describe('IP address or host name of the gateway or device'),
    port: z.number().int().min(1).max(65535).default(502),
  })
  .describe('a Modbus TCP connection');

export const busSchema = z.discriminatedUnion('type', [rtuBusSchema, tcpBusSchema]);

export const sensorSchema = z
  .strictObject({
    id: id.describe('sensor id, used in the API and the database; never reuse one for another place'),
    name: z.string().min(1).optional().describe('human name shown to operators, e.g. 水库坝前水位'),
    bus: id.describe('id of a bus in `buses`'),
    slave: z.number().int().min(0).max(247).describe('Modbus unit id (1-247 on RTU; 0-247 on TCP)'),
    profile: z
      .union([z.string().min(1), profileSchema])
      .describe('a catalogue profile name, a key of `profiles`, or a profile written inline'),
    pollIntervalMs: z.number().int().min(100).max(3_600_000).default(5_000).describe('time between two polls of this sensor'),
    critical: z.boolean().default(false).describe('alarm-critical sensors are polled before the others whenever both are due'),
    datumOffsetM: z
      .number()
      .default(0)
      .describe('added to the decoded value, in metres: converts the transmitter\'s zero to the local gauge datum'),
    staleAfterMs: z
      .number()
      .int()
      .min(100)
      .optional()
      .describe('a sensor whose newest good reading is older than this is reported stale; default 3 poll intervals'),
  })
  .describe('one water-level measuring point');

export const apiTokenSchema = z
  .strictObject({
    id: id.describe('names the token in logs and as the acting user (token:<id>), e.g. county-hub'),
    role: z.enum(ROLES).describe('what the token may do: viewer reads, operator also acts on alarms and broadcasts, admin also settings and users'),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits: the SHA-256 of the token, e.g. from `printf %s "$TOKEN" | sha256sum`')
      .describe('hex SHA-256 of the token; the token itself is never written down on the box'),
  })
  .describe('a bearer token for scripts and the county hub (Authorization: Bearer <token>)');

export const syncSchema = z.strictObject({
  boxId: z
    .string()
    .regex(BOX_ID_PATTERN, BOX_ID_RULE)
    .optional()
    .describe('this box\'s id at the county hub, e.g. xiaoshan-01; default: made from the host name'),
  feedTokens: z
    .array(id)
    .default([])
    .describe('ids of http.apiTokens that may read GET /api/v1/sync/feed (the sync scope), e.g. [county-hub]; an admin may always'),
  push: z
    .boolean()
    .optional()
    .describe('push records to the county hub (POST /api/v1/sync/ingest); on by default once the box is enrolled (fenghuo enroll), false turns it off'),
  requestTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .max(600_000)
    .default(30_000)
    .describe('how long one push request may take, answer included, before it is abandoned, retried and the batch target halved'),
  maxBatchBytes: z
    .number()
    .int()
    .min(4_096)
    .max(16_777_216)
    .default(1_048_576)
    .describe('the largest push request body before compression, bytes: the adaptive batch target grows up to it'),
  compression: z.enum(['br', 'gzip']).default('br').describe('push bodies compressed with brotli (quality 5), or gzip for a hub that does not take br'),
  budget: z
    .strictObject({
      dailyBytes: z.number().int().min(0).optional().describe('bytes per calendar day (site.timezone)'),
      monthlyBytes: z.number().int().min(0).optional().describe('bytes per calendar month (site.timezone), e.g. the SIM plan'),
    })
    .optional()
    .describe('bytes on the wire the box may use, requests and answers, headers included; over it only alarm records are sent; default no limit'),
  maxRateKbit: z.number().int().min(1).max(1_000_000).optional().describe('cap on the push send rate, kbit/s; default none'),
  maxBackoffMs: z
    .number()
    .int()
    .min(2_000)
    .max(86_400_000)
    .default(600_000)
    .describe('the longest wait between tries while the hub cannot be reached (exponential from 2 s, full jitter)'),
  healthIntervalMs: z
    .number()
    .int()
    .min(10_000)
    .max(86_400_000)
    .default(900_000)
    .describe('a health record for the county this often, and on every change of overall status'),
  orders: z
    .boolean()
    .optional()
    .describe('take signed orders from the county hub (county alarms, notices, settings, content; GET /api/v1/sync/orders); on by default once the box is enrolled, false turns it off'),
  images: z
    .strictObject({
      thumbnails: z
        .boolean()
        .default(true)
        .describe('send the camera pictures to the county hub: each picture announced with its thumbnail at low priority (an alarm\'s first); false sends none'),
      full: z
        .enum(['all', 'alarm', 'none'])
        .default('all')
        .describe('which full images follow their thumbnails when the budget allows: all, an alarm\'s pictures only, or none'),
      fullBudgetShare: z
        .number()
        .min(0)
        .max(1)
        .default(0.5)
        .describe('full images go only while the bytes used today and this month are under this share of sync.budget (no budget: always)'),
    })
    .prefault({})
    .describe('camera pictures to the county hub (docs/sync.md "Camera pictures to the hub")'),
  ordersWaitS: z
    .number()
    .int()
    .min(1)
    .max(30)
    .default(25)
    .describe('how long one orders long-poll waits at the hub for an order, seconds (the hub holds it at most 30)'),
});

const listen = z.string().superRefine((text, ctx) => {
  const parsed = parseListen(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.reason}; expected ${LISTEN_EXPECTED}`, params: { expected: LISTEN_EXPECTED } });
});

export const configSchema = z
  .strictObject({
    site: z
      .strictObject({
        name: z.string().min(1).default('演示乡镇').describe('township name shown in the UI and alarms'),
        timezone: z.string().default('Asia/Shanghai').describe('IANA time zone for display; storage is always UTC'),
        cap: z
          .strictObject({
            senderCode: z
              .string()
              .regex(/^\d{14}$/, '14 digits ZZZZZZDDDUUUXX: division code, department, unit, extension (GB/T 35965.1)')
              .describe('issuing unit code used in CAP identifiers'),
            sender: z.string().regex(/^[^\s,<&]+$/, 'no spaces, commas, < or &').describe('CAP sender: a stable id of this box'),
            senderName: z.string().min(1).optional().describe('shown to people, e.g. 清水镇防汛预警终端'),
            areaDesc: z.string().min(1).describe('the area the alarms cover, e.g. 清水镇清水村'),
            geocode: z.string().regex(/^\d{6,12}$/, 'a GB/T 2260 division code').optional().describe('GB/T 2260 division code of the area'),
          })
          .optional()
          .describe('CAP 1.2 export of alarms (GET /api/v1/alarms/:id/cap); without it that route answers 404'),
      })
      .default({ name: '演示乡镇', timezone: 'Asia/Shanghai' }),
    http: z
      .strictObject({
        listen: listen
          .default('127.0.0.1:8080')
          .meta({ description: 'HOST:PORT of the HTTP API and web UI', pattern: '^([^\\s:\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]{1,5}$' }),
        apiTokens: z
          .array(apiTokenSchema)
          .default([])
          .superRefine((tokens, ctx) => {
            const seen = new Map<string, number>();
            tokens.forEach((t, i) => {
              if (seen.has(t.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `token id ${t.id} is used twice (also http.apiTokens[${seen.get(t.id)}])` });
              seen.set(t.id, i);
            });
            const hashes = new Map<string, number>();
            tokens.forEach((t, i) => {
              const h = t.sha256.toLowerCase();
              if (hashes.has(h)) ctx.addIssue({ code: 'custom', path: [i, 'sha256'], message: `the same token as http.apiTokens[${hashes.get(h)}]` });
              hashes.set(h, i);
            });
          })
          .describe('bearer tokens accepted by the API besides user sessions; none by default'),
      })
      .default({ listen: '127.0.0.1:8080', apiTokens: [] }),
    storage: z
      .strictObject({
        rawRetentionDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(90)
          .describe('raw readings are kept this many days, then folded into 15-minute min/mean/max kept for ever'),
        batchSize: z.number().int().min(1).max(10_000).default(256).describe('readings written per transaction'),
        flushIntervalMs: z.number().int().min(10).max(60_000).default(500).describe('longest wait before queued readings are written'),
      })
      .default({ rawRetentionDays: 90, batchSize: 256, flushIntervalMs: 500 }),
    profiles: z.record(id, profileSchema).default({}).describe('site-specific device profiles, by name; sensors name them in `profile`'),
    buses: z.array(busSchema).default([]).describe('Modbus buses: RTU serial ports and TCP connections'),
    sensors: z.array(sensorSchema).default([]).describe('water-level sensors polled on the buses'),
    alarms: alarmsSchema.prefault({}).describe('flood alarm rules: sites, thresholds, rate of rise, rainfall, sensor faults, shelving'),
    dispatch: dispatchPlanSchema.prefault({}).describe('what each alarm level sets off: relays, siren pattern, spoken message, LED text'),
    outputs: outputsSchema.prefault({}).describe('the I/O board (relays, inputs), loudspeakers and LED text boards'),
    sync: syncSchema
      .optional()
      .describe('county sync (docs/sync.md): the box pushes to its hub once enrolled (fenghuo enroll); without this section the defaults apply, the box names itself after its host name and only an admin may read the pull feed'),
    library: libraryConfigSchema.prefault({}),
    media: mediaConfigSchema.prefault({}),
    recording: recordingSchema
      // The schedule's keys (xmltv, rules, weekly, receivers, padding) beside the recorder's, and their channel references.
      .extend(recordingScheduleShape)
      .superRefine((r, ctx) => {
        for (const i of scheduleReferenceIssues(r)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
      })
      .optional()
      .describe('satellite and TV recording: channels, segment length, stall watchdog (broadcast/recording)'),
    station: stationSchema.prefault({}).describe('the broadcast station: scheduled programmes on the loudspeakers, below every alarm'),
    uplinks: uplinksSchema.prefault({}),
    backup: backupConfigSchema.optional().describe('scheduled backups made by the daemon (issue #17); absent: none (fenghuo backup still works)'),
    cameras: camerasSchema,
    sms: smsSchema.optional().describe('warning SMS to the people responsible, through a USB modem or a carrier\'s HTTP platform; absent: no SMS'),
  })
  .superRefine((c, ctx) => {
    for (const p of unknownProgrammeSpeakers(c.station, c.outputs.speakers.map((s) => s.id))) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  })
  .describe('fenghuo configuration');

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type BusConfig = z.output<typeof busSchema>;
export type RtuBusConfig = z.output<typeof rtuBusSchema>;
export type TcpBusConfig = z.output<typeof tcpBusSchema>;
export type SensorConfig = z.output<typeof sensorSchema>;
export type SyncConfig = z.output<typeof syncSchema>;
