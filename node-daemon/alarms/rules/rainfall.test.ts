import { describe, expect, it } from 'vitest';
import type { LevelChange } from './events.js';
import { counterDelta, initialRainState, rainSum, stepRain, type RainInput, type RainState } from './rainfall.js';
import { rainfallSchema } from './schema.js';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.UTC(2024, 6, 1, 0, 0);

const cfg = rainfallSchema.parse({
  gauge: { id: 'rain-1', input: 'counter', mmPerTip: 0.5, counterModulo: 65_536, maxTipsPerSample: 200 },
  h1: { prepareMm: 30, evacuateMm: 40 },
  h3: { prepareMm: 50, evacuateMm: 65 },
  h6: { prepareMm: 80, evacuateMm: 95 },
  hysteresisMm: 2,
});

function run(inputs: Array<[number, RainInput]>, start: RainState = initialRainState()) {
  let state = start;
  const events: LevelChange[] = [];
  for (const [now, input] of inputs) {
    const step = stepRain(cfg, state, input, now);
    state = step.state;
    events.push(...step.events);
  }
  return { state, events };
}

/** `mmPerHour` of rain as tips every 5 minutes from `from` for `hours`. */
function tips(from: number, hours: number, mmPerHour: number): Array<[number, RainInput]> {
  const n = hours * 12;
  return Array.from({ length: n }, (_, i) => {
    const ts = from + (i + 1) * 5 * MIN;
    return [ts, { kind: 'tips', ts, tips: mmPerHour / 12 / 0.5 }] as [number, RainInput];
  });
}

describe('rainfall accumulation', () => {
  it('35 mm in one hour raises prepare on the 1 h window only', () => {
    const { events, state } = run(tips(T0, 1, 36));
    expect(events).toMatchObject([{ type: 'raise', to: 'prepare', cause: { rule: 'rain.h1', sensorId: 'rain-1', value: 30 } }]);
    expect(rainSum(state, 'h1', T0 + H)).toBe(36);
    expect(state.levels).toEqual({ h1: 'prepare', h3: null, h6: null });
  });

  it('steady 20 mm/h raises on 3 h at 50 mm and on 6 h at 80 mm, escalating 6 h at 95 mm', () => {
    const { events } = run(tips(T0, 6, 20));
    const rules = events.map((e) => [e.cause.rule, e.type, e.to, (e.ts - T0) / MIN]);
    // 3 h never exceeds 60 mm, so it stays at prepare.
    expect(rules).toEqual([
      ['rain.h3', 'raise', 'prepare', 150],
      ['rain.h6', 'raise', 'prepare', 240],
      ['rain.h6', 'escalate', 'evacuate', 285],
    ]);
  });

  it('clears as the window slides past the rain, on ticks alone', () => {
    const { state } = run(tips(T0, 1, 36));
    const ticks: Array<[number, RainInput]> = Array.from({ length: 24 }, (_, i) => [T0 + H + (i + 1) * 5 * MIN, { kind: 'tick' }]);
    const { events } = run(ticks, state);
    expect(events).toMatchObject([{ type: 'clear', from: 'prepare', cause: { rule: 'rain.h1' } }]);
    // Clears only once the hour total is under 30 − 2 mm: 27 mm (9 of 12 tips left) at +15 min, not at 30 mm (+10).
    expect(events[0]!.ts).toBe(T0 + H + 15 * MIN);
  });

  it('reads a cumulative counter across a 16-bit wrap', () => {
    const inputs: Array<[number, RainInput]> = [];
    let counter = 65_500;
    for (let i = 0; i <= 12; i++) {
      const ts = T0 + i * 5 * MIN;
      inputs.push([ts, { kind: 'counter', ts, counter }]);
      counter = (counter + 6) % 65_536; // 3 mm per 5 min = 36 mm/h
    }
    const { events, state } = run(inputs);
    expect(rainSum(state, 'h1', T0 + H)).toBe(36);
    expect(events).toMatchObject([{ type: 'raise', to: 'prepare', cause: { rule: 'rain.h1' } }]);
  });

  it('treats a counter that drops far below as a reset, not 65 000 tips of rain', () => {
    expect(counterDelta(65_530, 4, 65_536, 200)).toBe(10);
    expect(counterDelta(1_200, 5, 65_536, 200)).toBe(5);
    const { state, events } = run([
      [T0, { kind: 'counter', ts: T0, counter: 1_200 }],
      [T0 + 5 * MIN, { kind: 'counter', ts: T0 + 5 * MIN, counter: 1_204 }],
      [T0 + 10 * MIN, { kind: 'counter', ts: T0 + 10 * MIN, counter: 3 }],
    ]);
    expect(rainSum(state, 'h1', T0 + 10 * MIN)).toBe(3.5);
    expect(events).toEqual([]);
  });

  it('the first counter value is a baseline, not rain', () => {
    const { state } = run([[T0, { kind: 'counter', ts: T0, counter: 40_000 }]]);
    expect(rainSum(state, 'h6', T0)).toBe(0);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});
