import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../test/helpers/seeded-random.js';
import { afterFailure, afterSuccess, alarmWaiting, BACKOFF_START, backoffCeiling, backoffDelay, type BackoffState } from './backoff.js';

describe('backoff with full jitter', () => {
  it('doubles its ceiling from 2 s up to the maximum, and a success starts over', () => {
    let s: BackoffState = BACKOFF_START;
    const ceilings: number[] = [];
    for (let i = 0; i < 12; i++) {
      s = afterFailure(s);
      ceilings.push(backoffCeiling(s));
    }
    expect(ceilings).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 600_000, 600_000, 600_000]);
    expect(backoffCeiling(afterSuccess())).toBe(0);
    expect(backoffCeiling({ failures: 10_000, alarmResetUsed: false }, { maxMs: 60_000 })).toBe(60_000);
  });

  it('draws each delay uniformly below the ceiling (the random source is injected)', () => {
    const s: BackoffState = { failures: 4, alarmResetUsed: false };
    expect(backoffDelay(s, () => 0)).toBe(0);
    expect(backoffDelay(s, () => 0.5)).toBe(8_000);
    expect(backoffDelay(s, () => 0.999_999)).toBe(15_999);
    const rnd = mulberry32(12);
    const delays = Array.from({ length: 2_000 }, () => backoffDelay(s, rnd));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(16_000);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(7_000);
    expect(mean).toBeLessThan(9_000);
  });

  it('an alarm waiting brings the delay back to the minimum once per outage', () => {
    let s: BackoffState = BACKOFF_START;
    for (let i = 0; i < 8; i++) s = afterFailure(s);
    const first = alarmWaiting(s);
    expect(first.reset).toBe(true);
    expect(backoffCeiling(first.state)).toBe(2_000);
    s = afterFailure(afterFailure(first.state));
    const second = alarmWaiting(s);
    expect(second.reset).toBe(false);
    expect(backoffCeiling(second.state)).toBe(8_000);
    // After a success the next outage has its reset again.
    s = afterFailure(afterFailure(afterFailure(afterSuccess())));
    expect(alarmWaiting(s).reset).toBe(true);
    // At the minimum already, the reset is not spent.
    expect(alarmWaiting(afterFailure(BACKOFF_START))).toEqual({ state: { failures: 1, alarmResetUsed: false }, reset: false });
  });

  it('many boxes coming back after one outage spread out (virtual time)', () => {
    const rnd = mulberry32(2025);
    // 200 boxes each fail 5 times in a row, then retry: their 6th attempts are spread over the 32 s ceiling.
    const at = Array.from({ length: 200 }, () => {
      let s: BackoffState = BACKOFF_START;
      let t = 0;
      for (let i = 0; i < 5; i++) {
        s = afterFailure(s);
        t += backoffDelay(s, rnd);
      }
      return t;
    });
    const perSecond = new Map<number, number>();
    for (const t of at) perSecond.set(Math.floor(t / 1_000), (perSecond.get(Math.floor(t / 1_000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThan(20);
  });
});
