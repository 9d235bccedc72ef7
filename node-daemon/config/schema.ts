import { z } from 'zod';
import { profileSchema } from '../sensing/profile-schema.js';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'ids are 1-64 characters: lower-case letters, digits, "-" and "_", starting with a letter or digit');

const breakerSchema = z.strictObject({
  /** Consecutive failed transactions before a slave's breaker opens. */
  failureThreshold: z.number().int().min(1).max(100).default(3),
  /** How long an open breaker skips the slave before one re-probe. Doubles on each failed re-probe up to maxOpenMs. */
  openMs: z.number().int().min(100).max(3_600_000).default(5_000),
  maxOpenMs: z.number().int().min(100).max(3_600_000).default(60_000),
});

const busCommon = {
  id,
  /** Per-request timeout. */
  timeoutMs: z.number().int().min(10).max(60_000).default(1_000),
  /** Extra attempts after a failed request, with exponential backoff starting at retryBackoffMs. */
  retries: z.number().int().min(0).max(10).default(1),
  retryBackoffMs: z.number().int().min(0).max(60_000).default(100),
  /** Delay before reopening a lost port or connection; doubles up to 30 s. */
  reconnectMs: z.number().int().min(100).max(600_000).default(1_000),
  breaker: breakerSchema.default({ failureThreshold: 3, openMs: 5_000, maxOpenMs: 60_000 }),
};

export const rtuBusSchema = z.strictObject({
  ...busCommon,
  type: z.literal('rtu'),
  path: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...'),
  baudRate: z.literal([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const tcpBusSchema = z.strictObject({
  ...busCommon,
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
});

export const busSchema = z.discriminatedUnion('type', [rtuBusSchema, tcpBusSchema]);

export const sensorSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  bus: id.describe('id of a bus in `buses`'),
  slave: z.number().int().min(0).max(247).describe('Modbus unit id (1-247 on RTU; 0-255 often accepted on TCP)'),
  profile: z
    .union([z.string().min(1), profileSchema])
    .describe('a catalogue profile name, a key of `profiles`, or a profile written inline'),
  pollIntervalMs: z.number().int().min(100).max(3_600_000).default(5_000),
  /** Alarm-critical sensors are polled before the others whenever both are due. */
  critical: z.boolean().default(false),
  /** Added to the decoded value, in metres: converts the transmitter's zero to the local gauge datum. */
  datumOffsetM: z.number().default(0),
  /** A sensor whose newest good reading is older than this is reported `stale`. Default: 3 poll intervals. */
  staleAfterMs: z.number().int().min(100).optional(),
});

export const configSchema = z.strictObject({
  site: z
    .strictObject({
      name: z.string().min(1).default('演示乡镇'),
      timezone: z.string().default('Asia/Shanghai'),
    })
    .default({ name: '演示乡镇', timezone: 'Asia/Shanghai' }),
  http: z
    .strictObject({
      listen: z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'HOST:PORT, e.g. 127.0.0.1:8080').default('127.0.0.1:8080'),
    })
    .default({ listen: '127.0.0.1:8080' }),
  storage: z
    .strictObject({
      /** Raw readings are kept this many days, then folded into 15-minute min/mean/max kept for ever. */
      rawRetentionDays: z.number().int().min(1).max(3650).default(90),
      /** Readings are written in one transaction per batch: when this many are queued or flushIntervalMs passes. */
      batchSize: z.number().int().min(1).max(10_000).default(256),
      flushIntervalMs: z.number().int().min(10).max(60_000).default(500),
    })
    .default({ rawRetentionDays: 90, batchSize: 256, flushIntervalMs: 500 }),
  profiles: z.record(id, profileSchema).default({}),
  buses: z.array(busSchema).default([]),
  sensors: z.array(sensorSchema).default([]),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type BusConfig = z.output<typeof busSchema>;
export type RtuBusConfig = z.output<typeof rtuBusSchema>;
export type TcpBusConfig = z.output<typeof tcpBusSchema>;
export type SensorConfig = z.output<typeof sensorSchema>;
