import { describe, expect, it } from 'vitest';
import { clip, eventWindow, nearestValue, QUIET_MS, type SeriesPoints } from './chart-range.js';

const NOW = Date.UTC(2026, 6, 1, 6, 0);
const MIN = 60_000;
const H = 3_600_000;

/** A reading a minute over the last `hours`, value from `f(msBeforeNow)`, with a little sensor noise. */
function series(hours: number, f: (ago: number) => number | null): SeriesPoints {
  const ts: number[] = [];
  const values: (number | null)[] = [];
  for (let ago = hours * H; ago >= 0; ago -= MIN) {
    ts.push(NOW - ago);
    const v = f(ago);
    values.push(v === null ? null : v + ((ago / MIN) % 3) * 0.004);
  }
  return { ts, values };
}

describe('eventWindow: the chart opens on the current event', () => {
  it('nothing happening: the last 6 h', () => {
    expect(eventWindow([series(24, () => 5)], NOW)).toEqual({ from: NOW - QUIET_MS, to: NOW, event: false });
    expect(eventWindow([], NOW)).toEqual({ from: NOW - QUIET_MS, to: NOW, event: false });
  });

  it('a fresh rise with no alarm yet: from a little before it began, not a sliver at the edge of 24 h', () => {
    // Flat at 5.0 m, rising 0.8 m over the last 40 minutes.
    const w = eventWindow([series(24, (ago) => (ago > 40 * MIN ? 5 : 5 + (0.8 * (40 * MIN - ago)) / (40 * MIN)))], NOW);
    expect(w.event).toBe(true);
    expect(w.to).toBe(NOW);
    // The rise began ~40 min ago; the lead is 15 % of that (6 min).
    expect(w.from).toBeGreaterThan(NOW - 50 * MIN);
    expect(w.from).toBeLessThan(NOW - 42 * MIN);
  });

  it('an open alarm: from before the rise that led to it, even when the water is falling now', () => {
    // Rise from 5 h ago to a peak 2 h ago (alarm raised 3 h ago at 6.5 m), falling since.
    const f = (ago: number): number => (ago > 5 * H ? 5 : ago > 2 * H ? 5 + (2 * (5 * H - ago)) / (3 * H) : 7 - (0.8 * (2 * H - ago)) / (2 * H));
    const w = eventWindow([series(24, f)], NOW, NOW - 3 * H);
    expect(w.event).toBe(true);
    expect(w.from).toBeGreaterThan(NOW - 6 * H);
    expect(w.from).toBeLessThan(NOW - 5 * H);
  });

  it('with nothing stored before the rise (a new box) the window starts at the first reading, not in empty time', () => {
    // Readings for 30 minutes only, rising from the second minute on: the usual lead (15 %) would start before them.
    const young = series(0.5, (ago) => (ago > 29 * MIN ? 1.5 : 1.5 + (29 * MIN - ago) / (3 * MIN)));
    expect(eventWindow([young], NOW, NOW - 10 * MIN)).toEqual({ from: NOW - 30 * MIN, to: NOW, event: true });
  });

  it('a rise that has already run off, with no alarm, is not an event', () => {
    const f = (ago: number): number => (ago > 10 * H ? 5 : ago > 8 * H ? 5 + (8 * H - ago < 0 ? (10 * H - ago) / (2 * H) : 1) : 6 - (0.5 * (8 * H - ago)) / (8 * H));
    expect(eventWindow([series(24, f)], NOW).event).toBe(false);
  });

  it('two sensors: the earlier rise decides', () => {
    const early = series(24, (ago) => (ago > 3 * H ? 5 : 5 + (3 * H - ago) / H / 2));
    const late = series(24, (ago) => (ago > H ? 4 : 4 + (H - ago) / H));
    const w = eventWindow([late, early], NOW);
    expect(w.from).toBeLessThan(NOW - 3 * H);
    expect(w.from).toBeGreaterThan(NOW - 4 * H);
  });

  it('an alarm with no readings (sensor silent): from a little before the alarm; a window never shorter than a minute', () => {
    const w = eventWindow([series(24, () => null)], NOW, NOW - 30 * MIN);
    expect(w).toEqual({ from: NOW - 30 * MIN - 4.5 * MIN, to: NOW, event: true });
    // A jump between the readings 3 and 2 minutes ago: from half a minute before the last low reading, no more.
    const fresh = eventWindow([series(1, (ago) => (ago > 2 * MIN ? 5 : 5.5))], NOW, NOW - MIN);
    expect(fresh).toEqual({ from: NOW - 3 * MIN - 30_000, to: NOW, event: true });
    expect(eventWindow([series(1, () => 5)], NOW, NOW).to - eventWindow([series(1, () => 5)], NOW, NOW).from).toBeGreaterThanOrEqual(MIN);
  });
});

describe('clip and nearestValue', () => {
  it('clip keeps the points inside the window', () => {
    expect(clip({ xs: [1, 2, 3, 4], ys: [10, null, 30, 40] }, 2, 3)).toEqual({ xs: [2, 3], ys: [null, 30] });
  });

  it('nearestValue finds the closest reading of a series within the gap, else nothing', () => {
    const xs = [0, 10, 20, 30, 40];
    expect(nearestValue(xs, [1, null, null, 4, 5], 1, 15)).toEqual({ x: 0, y: 1 });
    expect(nearestValue(xs, [1, null, null, 4, 5], 2, 15)).toEqual({ x: 30, y: 4 });
    expect(nearestValue(xs, [null, null, 3, null, null], 2, 5)).toEqual({ x: 20, y: 3 });
    expect(nearestValue(xs, [1, null, null, null, null], 4, 15)).toBeUndefined();
    expect(nearestValue(xs, [1], 9, 15)).toBeUndefined();
  });
});
