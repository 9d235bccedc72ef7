import { z } from 'zod';
import { idSchema } from '../../config/fields.js';

/**
 * `uplinks.sl651[]`: the box as an SL 651-2014 telemetry station (遥测站) reporting to up to four centres (中心站).
 * Each entry is one centre link with its own addresses, password and element map.
 */

/** Element identifiers the box can fill, by the standard's hex code. */
export const LEVEL_ELEMENTS = ['39', '3A', '3B', '3C'] as const;
export const RAIN_ELEMENTS = ['1A', '1C', '1D'] as const;

/** `stationType` of the config as the 测站分类码 byte (the ASCII letter's code). */
export const STATION_TYPE_CODES = { river: 0x48, reservoir: 0x4b, tide: 0x54, rain: 0x50, sluice: 0x5a } as const;

const hexByte = (what: string) => z.string().regex(/^[0-9A-Fa-f]{2}$/, `${what}: two hex digits, e.g. 39`);

export const levelElementSchema = z
  .strictObject({
    element: z
      .enum(LEVEL_ELEMENTS)
      .describe('39 瞬时河道水位、潮位, 3A 库（闸、站）下水位, 3B 库（闸、站）上水位, 3C 瞬时站上水位: sent as N(7,3) metres'),
    sensor: idSchema.describe('id of the sensor in `sensors` whose readings fill this element'),
    thresholdsM: z
      .array(z.number())
      .max(16)
      .default([])
      .describe('加报: an extra report when the level crosses one of these (either way), metres on the local datum'),
    stepM: z
      .number()
      .positive()
      .max(100)
      .optional()
      .describe('加报: an extra report when the level moved more than this since the last report of it, metres; none by default'),
    fiveMinute: hexByte('fiveMinute')
      .optional()
      .describe('小时报: the identifier that carries this level\'s twelve 5-minute values (F5..FC); default F5 for the first level, F6 for the second…'),
  })
  .describe('a water level the box reports, from one sensor');

export const rainElementSchema = z
  .strictObject({
    element: z.enum(RAIN_ELEMENTS).describe('1A 1 小时时段降水量, 1C 3 小时, 1D 6 小时: mm from the I/O board\'s rain gauge'),
    site: idSchema.describe('id of the alarm site in `alarms.sites` whose rain gauge (rainfall) counts the rain'),
  })
  .describe('a rainfall total the box reports, from an alarm site\'s rain gauge');

export const sl651CentreSchema = z
  .strictObject({
    id: idSchema.describe('names this centre in health, metrics and logs, e.g. county'),
    host: z.string().min(1).describe('the centre\'s IP address or host name'),
    port: z.number().int().min(1).max(65535).describe('the centre\'s TCP port'),
    centre: z.number().int().min(1).max(255).describe('中心站地址, 1..255'),
    station: z
      .string()
      .regex(/^[0-9A-Fa-f]{10}$/, '10 hex digits (5 bytes), e.g. 0012345678')
      .describe('遥测站地址 this box reports as at this centre'),
    password: z
      .string()
      .regex(/^[0-9A-Fa-f]{4}$/, '4 hex digits, e.g. 1234')
      .default('0000')
      .describe('密码: two bytes as 4 hex digits; frames from the centre with another password are refused'),
    stationType: z
      .enum(['river', 'reservoir', 'tide', 'rain', 'sluice'])
      .default('river')
      .describe('测站分类码: river H, reservoir K, tide T, rain P, sluice Z'),
    encoding: z.enum(['hex', 'ascii']).default('hex').describe('the frame encoding the centre takes: HEX/BCD (7E7E) or ASCII (SOH)'),
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480).describe('the station clock on the wire, minutes from UTC (Beijing 480)'),
    levels: z.array(levelElementSchema).max(4).default([]).describe('water levels reported'),
    rain: z.array(rainElementSchema).max(3).default([]).describe('rainfall totals reported'),
    timedIntervalMin: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .refine((m) => 1440 % m === 0, 'must divide a day (1440 minutes), e.g. 5, 10, 30, 60')
      .default(60)
      .describe('定时报 every this many minutes, on the local clock\'s marks'),
    hourly: z.boolean().default(true).describe('小时报 at each full hour with the hour\'s twelve 5-minute levels'),
    keepAliveS: z.number().int().min(5).max(3600).default(40).describe('链路维持报 after this many seconds with nothing sent'),
    confirmTimeoutMs: z
      .number()
      .int()
      .min(500)
      .max(120_000)
      .default(10_000)
      .describe('how long a report waits for the centre\'s confirmation before it is sent again'),
    maxBackoffMs: z.number().int().min(1_000).max(3_600_000).default(60_000).describe('the longest wait between connection attempts (doubling from 1 s)'),
    clockSetMaxSkewS: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(300)
      .describe('设置遥测站时钟: a time from the centre further than this from the box\'s trusted clock is refused and logged'),
    backfillHours: z
      .number()
      .int()
      .min(0)
      .max(720)
      .default(24)
      .describe('after a restart, 定时报 and 小时报 marks missed while the box was off are reported for at most this many hours back'),
  })
  .superRefine((c, ctx) => {
    if (c.levels.length === 0 && c.rain.length === 0) ctx.addIssue({ code: 'custom', path: ['levels'], message: 'a centre needs at least one element: a level (levels[]) or a rainfall total (rain[])' });
    const seen = new Set<string>();
    c.levels.forEach((l, i) => {
      if (seen.has(l.element)) ctx.addIssue({ code: 'custom', path: ['levels', i, 'element'], message: `element ${l.element} is reported twice` });
      seen.add(l.element);
    });
    c.rain.forEach((r, i) => {
      if (seen.has(r.element)) ctx.addIssue({ code: 'custom', path: ['rain', i, 'element'], message: `element ${r.element} is reported twice` });
      seen.add(r.element);
    });
  })
  .describe('one SL 651-2014 centre (中心站) this box reports to');

export const uplinksSchema = z
  .strictObject({
    sl651: z
      .array(sl651CentreSchema)
      .max(4, 'SL 651 lets a station report to at most 4 centres')
      .default([])
      .superRefine((cs, ctx) => {
        const ids = new Map<string, number>();
        cs.forEach((c, i) => {
          if (ids.has(c.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `centre id ${c.id} is used twice (also uplinks.sl651[${ids.get(c.id)}])` });
          ids.set(c.id, i);
        });
      })
      .describe('SL 651-2014 centres (中心站) the box reports to as a telemetry station'),
  })
  .describe('standard reports to the county\'s own platforms beside the county sync');

export type Sl651CentreConfig = z.output<typeof sl651CentreSchema>;
export type Sl651LevelConfig = z.output<typeof levelElementSchema>;
export type Sl651RainConfig = z.output<typeof rainElementSchema>;
export type UplinksConfig = z.output<typeof uplinksSchema>;
