import { describe, expect, it } from 'vitest';
import type { LevelChange } from './events.js';
import { initialRateState, riseOverWindow, stepRate, theilSenSlope } from './rate-of-rise.js';
import { rateOfRiseSchema } from './schema.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 0, 0);
const cfg = rateOfRiseSchema.parse({ riseM: 0.5, windowMs: 30 * MIN });

function feed(values: number[], spacingMs = 5 * MIN) {
  let state = initialRateState();
  const events: Array<LevelChange & { i: number }> = [];
  values.forEach((value, i) => {
    const now = T0 + i * spacingMs;
    const step = stepRate(cfg, state, { sensorId: 's1', ts: now, value }, now);
    state = step.state;
    events.push(...step.events.map((e) => ({ ...e, i })));
  });
  return { state, events };
}

describe('rate of rise (Theil–Sen)', () => {
  it('a single spike of +0.8 m does not raise, wherever it falls in the window', () => {
    for (let at = 0; at < 12; at++) {
      const values = Array.from({ length: 12 }, (_, i) => (i === at ? 2.8 : 2.0));
      expect(feed(values).events, `spike at ${at}`).toEqual([]);
    }
  });

  it('a real rise of 0.9 m in 30 minutes raises the configured level', () => {
    const values = [...Array.from({ length: 8 }, () => 2.0), ...Array.from({ length: 8 }, (_, i) => 2.0 + 0.15 * (i + 1))];
    const { events } = feed(values);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'raise', to: 'prepare', cause: { rule: 'rate_of_rise', sensorId: 's1' } });
    // Needs several rising samples: not the first one.
    expect(events[0]!.i).toBeGreaterThanOrEqual(10);
  });

  it('a step must be supported by several samples before it counts', () => {
    const values = [...Array.from({ length: 8 }, () => 2.0), 2.8];
    expect(feed(values).events).toEqual([]);
    expect(feed([...values, 2.8]).events).toEqual([]);
    expect(feed([...values, 2.8, 2.8, 2.8]).events.map((e) => e.i)).toEqual([10]);
  });

  it('clears with hysteresis once the rise stops', () => {
    const values = [...Array.from({ length: 7 }, () => 2.0), ...Array.from({ length: 7 }, (_, i) => 2.0 + 0.15 * (i + 1)), ...Array.from({ length: 10 }, () => 3.05)];
    expect(feed(values).events.map((e) => e.type)).toEqual(['raise', 'clear']);
  });

  it('does not decide on a window with too few samples or too short a span', () => {
    expect(riseOverWindow(cfg, [[T0, 1], [T0 + 5 * MIN, 2], [T0 + 10 * MIN, 3], [T0 + 15 * MIN, 4]])).toBeNull();
    expect(riseOverWindow(cfg, [[T0, 1], [T0 + MIN, 2], [T0 + 2 * MIN, 3], [T0 + 3 * MIN, 4], [T0 + 4 * MIN, 5]])).toBeNull();
  });

  it('thins fast polling but keeps covering the window', () => {
    const values = Array.from({ length: 30 * 12 }, (_, i) => 2 + i * 0.002); // 5 s polls, +0.72 m per 30 min
    const { state, events } = feed(values, 5_000);
    expect(state.samples.length).toBeLessThanOrEqual(62);
    expect(state.samples[state.samples.length - 1]![0] - state.samples[0]![0]).toBeGreaterThan(25 * MIN);
    expect(events.map((e) => e.type)).toEqual(['raise']);
  });

  it('theilSenSlope is the median pairwise slope', () => {
    expect(theilSenSlope([[0, 0], [1, 1], [2, 2], [3, 30], [4, 4]])).toBe(1);
  });
});
