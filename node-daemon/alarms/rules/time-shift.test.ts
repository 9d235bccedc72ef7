import { describe, expect, it } from 'vitest';
import { alarmSiteSchema } from './schema.js';
import { initialSiteState, stepSite, type SiteState } from './site.js';
import { newestTime, shiftSiteState } from './time-shift.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1);

const cfg = alarmSiteSchema.parse({
  id: 's',
  sensors: ['a'],
  prepare: { levelM: 3, hysteresisM: 0.2, debounce: { samples: 3, durationMs: 2 * MIN }, onDelayMs: MIN },
  evacuate: { levelM: 4, hysteresisM: 0.2 },
  rateOfRise: { windowMs: 30 * MIN, riseM: 0.5, raises: 'prepare', minSamples: 5 },
  faults: { commLostMs: 10 * MIN },
});

function run(state: SiteState, from: number, values: number[]): { state: SiteState; types: string[]; at: number } {
  let s = state;
  let t = from;
  const types: string[] = [];
  for (const v of values) {
    t += MIN;
    const step = stepSite(cfg, s, { kind: 'reading', reading: { sensorId: 'a', ts: t, value: v, quality: 'good' } }, t);
    s = step.state;
    types.push(...step.events.map((e) => e.type));
  }
  return { state: s, types, at: t };
}

describe('shiftSiteState', () => {
  it('moves every time by delta and changes nothing else, so the rules decide the same afterwards', () => {
    const first = run(initialSiteState(cfg, T0), T0, [2.0, 3.1, 3.2]); // a streak under way, not yet debounced
    const delta = 48 * 3_600_000;
    const shifted = shiftSiteState(first.state, delta);
    expect(newestTime(shifted)).toBe(newestTime(first.state)! + delta);
    expect(shifted.level).toBe(first.state.level);
    expect(shifted.sensors.a!.prepare.streakCount).toBe(first.state.sensors.a!.prepare.streakCount);
    // Continue both: the original on its own time, the shifted one 48 h later. Same events, same states modulo delta.
    const a = run(first.state, first.at, [3.3, 3.4, 3.5, 3.6]);
    const b = run(shifted, first.at + delta, [3.3, 3.4, 3.5, 3.6]);
    expect(b.types).toEqual(a.types);
    expect(a.types).toContain('raise');
    expect(shiftSiteState(a.state, delta)).toEqual(b.state);
  });

  it('is the identity for a zero delta, and newestTime finds the latest time a state holds', () => {
    const s = initialSiteState(cfg, T0);
    expect(shiftSiteState(s, 0)).toBe(s);
    expect(newestTime(s)).toBe(T0);
    expect(newestTime(run(s, T0, [1, 1]).state)).toBe(T0 + 2 * MIN);
  });
});
