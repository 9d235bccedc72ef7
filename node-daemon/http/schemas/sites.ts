import { z } from 'zod';
import { ALARM_LEVELS } from '../../alarms/types.js';
import { QUALITIES } from '../../core/types.js';
import { apiSchemas } from '../api-registry.js';
import { TREND_MIN_READINGS, TREND_MIN_SPAN_MS, TREND_WINDOW_MS } from '../routes/site-trend.js';

/** The answer of `GET /sites` (routes/sites.ts). Free of Node: the web UI's contract (contract.ts) reads it. */

const level = z.enum(ALARM_LEVELS).nullable();
const trend = z
  .number()
  .nullable()
  .describe(
    `metres per hour over the last ${TREND_WINDOW_MS / 60_000} minutes of stored good readings (median of pairwise slopes); ` +
      `null with fewer than ${TREND_MIN_READINGS} readings or less than ${TREND_MIN_SPAN_MS / 60_000} minutes of them`,
  );

export const siteSensorSchema = z.strictObject({
  id: z.string(),
  name: z.string().describe('the sensor\'s name, else its id'),
  status: z.enum([...QUALITIES, 'unknown']).describe('as in /health'),
  lastReading: z
    .strictObject({
      value: z.number().nullable().describe('metres on the local gauge datum'),
      ts: z.int().describe('UTC ms'),
      quality: z.enum(QUALITIES),
      ageMs: z.int().describe('how old the reading is'),
    })
    .nullable(),
  trend,
});

export const siteSchema = z.strictObject({
  id: z.string(),
  name: z.string().describe('the site\'s name, else its id'),
  sensors: z.array(siteSensorSchema),
  thresholds: z.strictObject({ prepareM: z.number(), evacuateM: z.number() }).describe('准备转移 and 立即转移 levels, metres on the local gauge datum'),
  level: level.describe('the level of the site\'s open flood alarm, null when none'),
  alarm: z
    .strictObject({ id: z.int(), state: z.enum(['active', 'acknowledged']), level })
    .nullable()
    .describe('the site\'s open flood alarm (for acknowledging it), null when none'),
  trend: trend.describe('the fastest-moving of the site\'s sensors (metres per hour; null when none has a trend)'),
  rainfall: z
    .strictObject({ h1: z.number(), h3: z.number(), h6: z.number() })
    .nullable()
    .describe('rain in mm over the last 1, 3 and 6 hours; null when the site has no rain gauge'),
});

export const sitesBodySchema = z.strictObject({ ts: z.int(), sites: z.array(siteSchema) }).register(apiSchemas, { id: 'Sites' });

export type SiteBody = z.output<typeof siteSchema>;
