import { theilSenSlope } from '../../alarms/rules/rate-of-rise.js';
import type { Quality } from '../../core/types.js';

export const TREND_WINDOW_MS = 30 * 60_000;
/** Fewer good readings than this, or spanning less than TREND_MIN_SPAN_MS, give no trend. */
export const TREND_MIN_READINGS = 3;
export const TREND_MIN_SPAN_MS = 5 * 60_000;
/** More readings than this are thinned evenly (the median of pairwise slopes is quadratic in the count). */
export const TREND_MAX_POINTS = 120;

export interface TrendReading {
  readonly ts: number;
  readonly value: number | null;
  readonly quality: Quality;
}

/**
 * Pure: how fast the water moves, in metres per hour, from the good readings in (now − window, now]: the median of
 * pairwise slopes (Theil–Sen, as the rate-of-rise rule), so one spike cannot fake a rise. Null with fewer than
 * TREND_MIN_READINGS good readings or when they span less than TREND_MIN_SPAN_MS. Rounded to the millimetre per hour.
 */
export function trendMetresPerHour(readings: readonly TrendReading[], now: number, windowMs = TREND_WINDOW_MS): number | null {
  const from = now - windowMs;
  const good = readings
    .filter((r): r is TrendReading & { value: number } => r.quality === 'good' && r.value !== null && Number.isFinite(r.value) && r.ts > from && r.ts <= now)
    .sort((a, b) => a.ts - b.ts);
  if (good.length < TREND_MIN_READINGS) return null;
  if (good[good.length - 1]!.ts - good[0]!.ts < TREND_MIN_SPAN_MS) return null;
  const points = thin(good, TREND_MAX_POINTS).map((r) => [r.ts, r.value] as const);
  const perMs = theilSenSlope(points);
  if (perMs === null) return null;
  const perHour = Math.round(perMs * 3_600_000 * 1000) / 1000;
  return Object.is(perHour, -0) ? 0 : perHour;
}

/** At most `max` items, evenly spread, first and last kept. */
function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  const step = (items.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(items[Math.round(i * step)]!);
  return out;
}
