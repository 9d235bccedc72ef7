import type { Resolution } from './types.js';

/** The chart's ranges, and the resolution each is asked at: a few hundred to ~1,500 points whatever the range. */
export const RANGES = [
  { key: '6h', ms: 6 * 3_600_000 },
  { key: '24h', ms: 24 * 3_600_000 },
  { key: '7d', ms: 7 * 86_400_000 },
  { key: '30d', ms: 30 * 86_400_000 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/** Raw up to a day (a reading a minute is at most 1,440 points), 15-minute buckets up to a week, hourly beyond. */
export function resolutionFor(spanMs: number): Resolution {
  if (spanMs <= 86_400_000) return 'raw';
  if (spanMs <= 7 * 86_400_000) return '15m';
  if (spanMs <= 60 * 86_400_000) return '1h';
  return '1d';
}
