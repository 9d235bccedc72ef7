import { describe, expect, it } from 'vitest';
import { GapBook } from './gap-book.js';
import { isStalled, restartDelayMs, runCountsAsWorking } from './stall-watch.js';

describe('stall watch', () => {
  const base = { runStartedAt: 1_000, stallMs: 10_000, startupMs: 8_000 };
  it('gives a fresh run its start-up time, then stallMs without data', () => {
    expect(isStalled({ ...base, now: 1_000 + 18_000, lastDataAt: undefined })).toBe(false);
    expect(isStalled({ ...base, now: 1_000 + 18_001, lastDataAt: undefined })).toBe(true);
  });
  it('counts from the last data once data came', () => {
    expect(isStalled({ ...base, now: 50_000, lastDataAt: 40_000 })).toBe(false);
    expect(isStalled({ ...base, now: 50_001, lastDataAt: 40_000 })).toBe(true);
  });
  it('backs off 1, 2, 4 … 30 s and starts over after a run that worked', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((n) => restartDelayMs(n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(restartDelayMs(2, { firstMs: 100, maxMs: 250 })).toBe(250);
    expect(runCountsAsWorking(0, 30_000, 10_000)).toBe(true);
    expect(runCountsAsWorking(0, 29_999, 10_000)).toBe(false);
    expect(runCountsAsWorking(0, undefined, 10_000)).toBe(false);
  });
});

describe('gap book', () => {
  it('opens a gap once (the first cause names it) and closes it when data comes back', () => {
    const g = new GapBook([{ from: 1, to: 2, reason: 'restart' }]);
    g.open(100, 'stall');
    g.open(150, 'ffmpeg_exit');
    expect(g.asOf(180)).toEqual([{ from: 1, to: 2, reason: 'restart' }, { from: 100, to: 180, reason: 'stall' }]);
    expect(g.close(200)).toEqual({ from: 100, to: 200, reason: 'stall' });
    expect(g.isOpen()).toBe(false);
    expect(g.close(300)).toBeUndefined();
    expect(g.closed()).toHaveLength(2);
  });
  it('drops a gap of no length', () => {
    const g = new GapBook();
    g.open(100, 'restart');
    expect(g.close(100)).toBeUndefined();
    expect(g.closed()).toEqual([]);
  });
});
