import { describe, expect, it } from 'vitest';
import type { LevelChange } from './events.js';
import { levelThresholdSchema } from './schema.js';
import { initialThresholdState, stepThreshold, type ThresholdInput, type ThresholdRule, type ThresholdState } from './threshold.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 0, 0);

function rule(over: Record<string, unknown> = {}): ThresholdRule {
  return { level: 'prepare', cfg: levelThresholdSchema.parse({ levelM: 5, ...over }) };
}

/** Feeds values at a fixed spacing on a virtual clock (now = reading time); returns every event with its index. */
function feed(r: ThresholdRule, values: number[], spacingMs = 5 * MIN, start: ThresholdState = initialThresholdState()) {
  let state = start;
  const out: Array<LevelChange & { i: number }> = [];
  values.forEach((value, i) => {
    const now = T0 + i * spacingMs;
    const step = stepThreshold(r, state, { kind: 'sample', sample: { sensorId: 's1', ts: now, value } }, now);
    state = step.state;
    out.push(...step.events.map((e) => ({ ...e, i })));
  });
  return { state, events: out };
}

/** Deterministic ±amplitude noise (no Math.random: the test must replay identically). */
function noise(i: number, amplitude: number): number {
  return amplitude * Math.sin(i * 2.399963) * (i % 3 === 0 ? 1 : -1);
}

describe('level threshold', () => {
  it('raises on the debounced crossing and names the confirming reading', () => {
    const { events } = feed(rule(), [4.8, 4.9, 5.01, 5.1, 5.2]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'raise', to: 'prepare', i: 3, cause: { rule: 'level.prepare', sensorId: 's1', readingTs: T0 + 3 * 5 * MIN, value: 5.1 } });
  });

  it('does not flap on a noisy recession around the clearing level (±3 cm)', () => {
    const rise = [4.5, 4.8, 5.05, 5.2, 5.4, 5.3, 5.15];
    const recession = Array.from({ length: 200 }, (_, i) => 4.9 + noise(i, 0.03));
    const { events } = feed(rule({ hysteresisM: 0.1 }), [...rise, ...recession]);
    expect(events.map((e) => e.type)).toEqual(['raise', 'clear']);
  });

  it('holds through noise around the raising level itself', () => {
    const values = [5.1, 5.1, ...Array.from({ length: 200 }, (_, i) => 5 + noise(i, 0.03))];
    const { events, state } = feed(rule({ hysteresisM: 0.1 }), values);
    expect(events.map((e) => e.type)).toEqual(['raise']);
    expect(state.active).toBe(true);
  });

  it('without hysteresis or debounce the same noise flaps (the control case)', () => {
    const values = Array.from({ length: 50 }, (_, i) => 5 + noise(i, 0.03));
    const { events } = feed(rule({ hysteresisM: 0, debounce: { samples: 1 } }), values);
    expect(events.length).toBeGreaterThan(4);
  });

  it('debounces by sample count: an isolated sample over the line raises nothing', () => {
    const r = rule({ debounce: { samples: 3 } });
    expect(feed(r, [4.8, 5.2, 4.8, 5.2, 5.3, 4.9, 4.8]).events).toEqual([]);
    expect(feed(r, [4.8, 5.2, 5.3, 5.4]).events.map((e) => e.i)).toEqual([3]);
  });

  it('debounces by duration measured on reading time', () => {
    const r = rule({ debounce: { samples: 1, durationMs: 10 * MIN } });
    // 1-minute samples: the crossing at i=2 is confirmed 10 minutes later, at i=12.
    const values = [4.9, 4.9, ...Array.from({ length: 15 }, () => 5.2)];
    expect(feed(r, values, MIN).events.map((e) => e.i)).toEqual([12]);
    // A dip below the line restarts the duration.
    const dipped = [4.9, 5.2, 5.2, 5.2, 5.2, 5.2, 4.9, ...Array.from({ length: 12 }, () => 5.2)];
    expect(feed(r, dipped, MIN).events.map((e) => e.i)).toEqual([17]);
  });

  it('applies the on-delay on the clock, fires on a tick, and a sample back below cancels it', () => {
    const r = rule({ debounce: { samples: 1 }, onDelayMs: 15 * MIN });
    let state = initialThresholdState();
    const at = (min: number) => T0 + min * MIN;
    const sample = (min: number, value: number): ThresholdInput => ({ kind: 'sample', sample: { sensorId: 's1', ts: at(min), value } });
    state = stepThreshold(r, state, sample(0, 5.2), at(0)).state;
    expect(stepThreshold(r, state, { kind: 'tick' }, at(14)).events).toEqual([]);
    const fired = stepThreshold(r, state, { kind: 'tick' }, at(15));
    expect(fired.events).toMatchObject([{ type: 'raise', ts: at(15), cause: { readingTs: at(0), value: 5.2 } }]);

    state = stepThreshold(r, initialThresholdState(), sample(0, 5.2), at(0)).state;
    state = stepThreshold(r, state, sample(10, 4.95), at(10)).state;
    expect(stepThreshold(r, state, { kind: 'tick' }, at(30)).events).toEqual([]);
  });

  it('applies the off-delay before clearing', () => {
    const r = rule({ debounce: { samples: 1 }, offDelayMs: 30 * MIN });
    const { state } = feed(r, [5.2, 4.5], 5 * MIN);
    expect(state.active).toBe(true);
    expect(stepThreshold(r, state, { kind: 'tick' }, T0 + 5 * MIN + 29 * MIN).events).toEqual([]);
    expect(stepThreshold(r, state, { kind: 'tick' }, T0 + 5 * MIN + 30 * MIN).events).toMatchObject([{ type: 'clear', from: 'prepare', to: null }]);
  });

  it('keeps its state as plain JSON', () => {
    const { state } = feed(rule(), [5.2, 5.3, 4.0]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});
