import { z } from 'zod';
import { ALARM_LEVELS } from '../types.js';
import { idSchema } from '../../config/fields.js';
import { siteNotifySchema } from '../../sms/config-schema.js';

const id = idSchema;
const ms = (max: number) => z.number().int().min(0).max(max);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const debounceSchema = z
  .strictObject({
    samples: z.number().int().min(1).max(100).default(2).describe('consecutive usable samples past the limit before it counts'),
    durationMs: ms(24 * HOUR).default(0).describe('and the first and last of those samples must be at least this far apart (reading time)'),
  })
  .describe('a crossing (either way) counts only after N consecutive samples and/or a duration: one noisy sample changes nothing');

export const levelThresholdSchema = z
  .strictObject({
    levelM: z.number().min(-1000).max(10_000).describe('raise when a sample is at or above this level, metres on the local gauge datum'),
    hysteresisM: z.number().min(0).max(100).default(0.1).describe('clear only below levelM minus this: no flapping on a noisy recession'),
    debounce: debounceSchema.prefault({}),
    onDelayMs: ms(24 * HOUR).default(0).describe('after the debounced crossing, wait this long (clock time) before raising; cancelled by a sample back below'),
    offDelayMs: ms(24 * HOUR).default(0).describe('after the debounced clearing, wait this long before clearing; cancelled by a sample back above'),
    latch: z.boolean().default(false).describe('once raised, the site stays at least at this level until acknowledged, even when the water falls'),
  })
  .describe('one public level on the site\'s gauges');

export const rateOfRiseSchema = z
  .strictObject({
    riseM: z.number().positive().max(100).describe('raise when the robust (Theil–Sen) slope times windowMs reaches this many metres'),
    windowMs: ms(24 * HOUR).min(MINUTE).default(30 * MINUTE).describe('the window the rise is measured over'),
    raises: z.enum(ALARM_LEVELS).default('prepare').describe('the level a fast rise raises'),
    minSamples: z.number().int().min(5).max(1000).default(5).describe('usable samples needed in the window (5 or more so one spike cannot move the median slope)'),
    hysteresisM: z.number().min(0).max(100).default(0.2).describe('clear once the rise over the window is below riseM minus this'),
  })
  .describe('rate of rise per sensor, spike-proof: the median of pairwise slopes over the window');

const rainWindowSchema = z
  .strictObject({
    prepareMm: z.number().positive().max(2000).describe('rainfall in the window that raises prepare'),
    evacuateMm: z.number().positive().max(2000).optional().describe('rainfall in the window that raises evacuate; omitted: this window never evacuates'),
  })
  .refine((w) => w.evacuateMm === undefined || w.evacuateMm > w.prepareMm, 'evacuateMm must be above prepareMm');

export const rainGaugeSchema = z
  .strictObject({
    id: id.describe('rain gauge id (its readings come as tips or a counter register)'),
    input: z.enum(['tips', 'counter']).describe('tips: each input carries the tips since the last one; counter: a cumulative counter register'),
    mmPerTip: z.number().positive().max(10).default(0.5).describe('rain depth of one bucket tip'),
    counterModulo: z.number().int().min(2).max(2 ** 32).default(65_536).describe('the counter wraps to 0 at this value (65536 for one 16-bit register)'),
    maxTipsPerSample: z.number().int().min(1).max(1_000_000).default(1_000).describe('a counter that goes down by a wrap larger than this was reset (power cycle), not wrapped'),
  })
  .describe('a tipping-bucket rain gauge at the site');

export const rainfallSchema = z
  .strictObject({
    gauge: rainGaugeSchema,
    h1: rainWindowSchema.optional().describe('thresholds on the rolling 1-hour total'),
    h3: rainWindowSchema.optional().describe('thresholds on the rolling 3-hour total'),
    h6: rainWindowSchema.optional().describe('thresholds on the rolling 6-hour total'),
    hysteresisMm: z.number().min(0).max(500).default(2).describe('a window clears only when its total is this far below the threshold'),
  })
  .describe('rainfall accumulation thresholds (example set: 1 h 30/40 mm, 3 h 50/65 mm, 6 h 80/95 mm; lower them when the soil is wet)');

export const faultRulesSchema = z
  .strictObject({
    commLostMs: ms(7 * 24 * HOUR).min(1_000).default(5 * MINUTE).describe('no good reading for longer than this: communication-lost fault'),
    stuckAfterMs: ms(7 * 24 * HOUR).min(MINUTE).default(2 * HOUR).describe('value unchanged (within stuckToleranceM) for this long while another sensor of the site moved: stuck fault'),
    stuckToleranceM: z.number().min(0).max(10).default(0.005).describe('changes up to this are "unchanged"'),
    jumpM: z.number().positive().max(100).default(2).describe('more than this between consecutive samples: implausible-jump fault'),
    jumpClearSamples: z.number().int().min(1).max(100).default(3).describe('consecutive samples consistent with each other that clear a jump fault (a real step is then accepted)'),
    minM: z.number().min(-1000).max(10_000).optional().describe('below this is out of range (the sensor\'s plausible span on the gauge datum)'),
    maxM: z.number().min(-1000).max(10_000).optional().describe('above this is out of range'),
  })
  .describe('sensor faults are alarms of their own; a faulty sensor\'s samples neither raise nor clear a flood alarm');

export const alarmSiteSchema = z
  .strictObject({
    id: id.describe('site id; the flood alarm key is flood:<id>'),
    name: z.string().min(1).optional().describe('human name used in alarm titles, e.g. 清水河站'),
    sensors: z.array(id).min(1).max(2).describe('ids of the site\'s one or two level sensors (keys of `sensors`)'),
    evacuateRequires: z.enum(['any', 'all']).default('any').describe('evacuate when any sensor, or all sensors not in fault, are at evacuate; prepare is always any'),
    prepare: levelThresholdSchema.describe('准备转移 threshold'),
    evacuate: levelThresholdSchema.describe('立即转移 threshold'),
    rateOfRise: rateOfRiseSchema.optional(),
    rainfall: rainfallSchema.optional(),
    faults: faultRulesSchema.prefault({}),
    notify: z.array(siteNotifySchema).default([]).describe('SMS groups (sms.groups) told of this site\'s alarms, and of what'),
  })
  .refine((s) => s.evacuate.levelM > s.prepare.levelM, { message: 'evacuate.levelM must be above prepare.levelM', path: ['evacuate', 'levelM'] })
  .refine((s) => new Set(s.sensors).size === s.sensors.length, { message: 'a sensor is listed twice', path: ['sensors'] })
  .describe('a site groups one or two level sensors and an optional rain gauge');

export const shelvingSchema = z
  .strictObject({
    defaultDurationMs: ms(7 * 24 * HOUR).min(MINUTE).default(HOUR).describe('how long a fault alarm stays shelved when no duration is given'),
    maxDurationMs: ms(7 * 24 * HOUR).min(MINUTE).default(8 * HOUR).describe('no fault alarm is shelved longer than this; flood alarms are never shelved'),
  })
  .refine((s) => s.defaultDurationMs <= s.maxDurationMs, 'defaultDurationMs must not exceed maxDurationMs');

export const alarmsSchema = z
  .strictObject({
    sites: z.array(alarmSiteSchema).default([]).describe('alarm sites'),
    shelving: shelvingSchema.prefault({}).describe('silencing fault alarms for a bounded time'),
  })
  .refine((a) => new Set(a.sites.map((s) => s.id)).size === a.sites.length, { message: 'two sites share an id', path: ['sites'] })
  .describe('flood alarm rules');

export type DebounceConfig = z.output<typeof debounceSchema>;
export type LevelThresholdConfig = z.output<typeof levelThresholdSchema>;
export type RateOfRiseConfig = z.output<typeof rateOfRiseSchema>;
export type RainGaugeConfig = z.output<typeof rainGaugeSchema>;
export type RainfallConfig = z.output<typeof rainfallSchema>;
export type FaultRulesConfig = z.output<typeof faultRulesSchema>;
export type AlarmSiteConfig = z.output<typeof alarmSiteSchema>;
export type ShelvingConfig = z.output<typeof shelvingSchema>;
export type AlarmsConfig = z.output<typeof alarmsSchema>;
