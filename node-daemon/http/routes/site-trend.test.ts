import { describe, expect, it } from 'vitest';
import type { Quality } from '../../core/types.js';
import { TREND_WINDOW_MS, trendMetresPerHour, type TrendReading } from './site-trend.js';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

/** One reading a minute for `minutes` minutes ending at NOW, level = f(minutes before NOW). */
function series(minutes: number, f: (ago: number) => number | null, quality: (ago: number) => Quality = () => 'good'): TrendReading[] {
  const out: TrendReading[] = [];
  for (let ago = minutes; ago >= 0; ago--) out.push({ ts: NOW - ago * MIN, value: f(ago), quality: quality(ago) });
  return out;
}

describe('trendMetresPerHour', () => {
  it('is the rise per hour of a steady rise, a fall is negative, still water is 0', () => {
    // 1 cm a minute = 0.6 m/h
    expect(trendMetresPerHour(series(29, (ago) => 3 - ago * 0.01), NOW)).toBeCloseTo(0.6, 6);
    expect(trendMetresPerHour(series(29, (ago) => 3 + ago * 0.005), NOW)).toBeCloseTo(-0.3, 6);
    expect(trendMetresPerHour(series(29, () => 2.5), NOW)).toBe(0);
  });

  it('ignores a spike (median of pairwise slopes) and non-good or null readings', () => {
    const spiky = series(29, (ago) => (ago === 1 ? 9 : 3 - ago * 0.01));
    expect(trendMetresPerHour(spiky, NOW)).toBeCloseTo(0.6, 2);
    const faulty = series(29, (ago) => (ago % 3 === 0 ? 50 : 3 - ago * 0.01), (ago) => (ago % 3 === 0 ? 'out_of_range' : 'good'));
    expect(trendMetresPerHour(faulty, NOW)).toBeCloseTo(0.6, 6);
    const holes = series(29, (ago) => (ago % 2 === 0 ? null : 3 - ago * 0.01));
    expect(trendMetresPerHour(holes, NOW)).toBeCloseTo(0.6, 6);
  });

  it('uses only the last 30 minutes: an older steep rise does not count', () => {
    const rs = series(90, (ago) => (ago > 30 ? 10 - ago * 0.1 : 4));
    expect(trendMetresPerHour(rs, NOW)).toBe(0);
    expect(trendMetresPerHour(rs, NOW, 90 * MIN)).toBeGreaterThan(1);
    expect(TREND_WINDOW_MS).toBe(30 * MIN);
  });

  it('is null with too few readings or too short a span', () => {
    expect(trendMetresPerHour([], NOW)).toBeNull();
    expect(trendMetresPerHour(series(29, (ago) => 3 - ago * 0.01).slice(-2), NOW)).toBeNull();
    // four readings over 3 minutes: too short to tell
    expect(trendMetresPerHour(series(3, (ago) => 3 - ago * 0.01), NOW)).toBeNull();
    expect(trendMetresPerHour(series(29, () => 3, () => 'comm_fail'), NOW)).toBeNull();
  });

  it('thins a dense series (1 s polls) to the same answer', () => {
    const dense: TrendReading[] = [];
    for (let t = NOW - 30 * MIN + 1000; t <= NOW; t += 1000) dense.push({ ts: t, value: 1 + ((t - NOW) / 3_600_000) * 0.25, quality: 'good' });
    expect(dense.length).toBeGreaterThan(1_000);
    expect(trendMetresPerHour(dense, NOW)).toBeCloseTo(0.25, 3);
  });
});
