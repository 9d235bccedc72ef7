import { describe, expect, it } from 'vitest';
import { afterStep, correctionPlan, detectStep, judgeHub, probeTrusts } from '../../node-daemon/health/clock-trust-plan.js';
import { TimeBase } from '../../node-daemon/core/time-base.js';

const H = 3_600_000;

describe('clock-trust plan (pure)', () => {
  it('detects a step as Δwall − Δmono, ignoring jitter under the threshold', () => {
    expect(detectStep({ wall: 1_000, mono: 0 }, { wall: 2_000, mono: 1_000 })).toBeNull();
    expect(detectStep({ wall: 1_000, mono: 0 }, { wall: 2_900, mono: 1_000 })).toBeNull(); // 900 ms of slew/scheduling
    expect(detectStep({ wall: 1_000, mono: 0 }, { wall: 1_000 + 1_000 + 48 * H, mono: 1_000 })).toBe(48 * H); // NTP steps forward
    expect(detectStep({ wall: 10 * H, mono: 0 }, { wall: 4 * H + 1_000, mono: 1_000 })).toBe(-6 * H); // date -s backwards
  });

  it('plans each span\'s correction: the offset known now plus every step after the span', () => {
    // Span 1, then the wall stepped +1 h (span 2 opens), then +2 h (span 3 opens); then NTP says the clock is right.
    let spans = [{ id: 1, laterStepsMs: 0 }];
    spans = [...afterStep(spans, H), { id: 2, laterStepsMs: 0 }];
    spans = [...afterStep(spans, 2 * H), { id: 3, laterStepsMs: 0 }];
    expect(correctionPlan(spans, 0)).toEqual([
      { span: 1, offsetMs: 3 * H },
      { span: 2, offsetMs: 2 * H },
      { span: 3, offsetMs: 0 },
    ]);
    // The hub says the box is still 30 min behind: every span moves 30 min more.
    expect(correctionPlan(spans, 30 * 60_000).map((c) => c.offsetMs)).toEqual([3.5 * H, 2.5 * H, 0.5 * H]);
  });

  it('the hub trusts a clock within its limit (widened by the measurement\'s uncertainty), else only corrects', () => {
    expect(judgeHub(1_200)).toBe('trust');
    expect(judgeHub(-4_000, 200)).toBe('trust');
    expect(judgeHub(6_000, 500)).toBe('correct_only');
    expect(judgeHub(6_000, 1_500)).toBe('trust');
    expect(judgeHub(-48 * H)).toBe('correct_only');
  });

  it('only a clear "not synchronised" distrusts the clock', () => {
    expect(probeTrusts(true)).toBe(true);
    expect(probeTrusts(null)).toBe(true);
    expect(probeTrusts(false)).toBe(false);
  });
});

describe('TimeBase', () => {
  it('steady runs with the monotonic clock, not the wall; only a rebase moves it, and its listeners hear it', () => {
    let wall = 1_000_000;
    let mono = 50;
    const tb = new TimeBase({ wall: () => wall, mono: () => mono });
    expect(tb.steady()).toBe(1_000_000);
    mono += 5_000;
    wall += 5_000 - 6 * H; // the wall steps back 6 h
    expect(tb.wall()).toBe(1_005_000 - 6 * H);
    expect(tb.mono()).toBe(5_000);
    expect(tb.steady()).toBe(1_005_000);
    const heard: number[] = [];
    tb.onRebase((d) => heard.push(d));
    tb.rebase(2 * H);
    expect(tb.steady()).toBe(1_005_000 + 2 * H);
    expect(heard).toEqual([2 * H]);
  });
});
