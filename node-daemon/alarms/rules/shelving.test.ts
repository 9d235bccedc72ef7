import { describe, expect, it } from 'vitest';
import { shelvingSchema } from './schema.js';
import { initialShelvingState, isShelved, stepShelving } from './shelving.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 0, 0);
const cfg = shelvingSchema.parse({ defaultDurationMs: 60 * MIN, maxDurationMs: 120 * MIN });
const key = 'fault:stuck:s1';

describe('shelving', () => {
  it('shelves a fault for the default time and unshelves on expiry (virtual clock)', () => {
    const s = stepShelving(cfg, initialShelvingState(), { kind: 'shelve', key, by: 'wang' }, T0);
    expect(s.events).toEqual([{ type: 'shelved', key, ts: T0, until: T0 + 60 * MIN, by: 'wang' }]);
    expect(isShelved(s.state, key, T0 + 59 * MIN)).toBe(true);
    expect(stepShelving(cfg, s.state, { kind: 'tick' }, T0 + 59 * MIN).events).toEqual([]);
    const expired = stepShelving(cfg, s.state, { kind: 'tick' }, T0 + 60 * MIN);
    expect(expired.events).toEqual([{ type: 'unshelved', key, ts: T0 + 60 * MIN, reason: 'expired' }]);
    expect(isShelved(expired.state, key, T0 + 60 * MIN)).toBe(false);
  });

  it('caps the duration at maxDurationMs', () => {
    const s = stepShelving(cfg, initialShelvingState(), { kind: 'shelve', key, durationMs: 24 * 60 * MIN }, T0);
    expect(s.events).toMatchObject([{ type: 'shelved', until: T0 + 120 * MIN, detail: 'limited to 120 min' }]);
    expect(isShelved(s.state, key, T0 + 120 * MIN)).toBe(false);
  });

  it('refuses to shelve a flood alarm', () => {
    const s = stepShelving(cfg, initialShelvingState(), { kind: 'shelve', key: 'flood:site-a' }, T0);
    expect(s.events).toMatchObject([{ type: 'shelve_refused', key: 'flood:site-a' }]);
    expect(isShelved(s.state, 'flood:site-a', T0)).toBe(false);
  });

  it('a clearing fault or the operator ends the shelf early', () => {
    const s = stepShelving(cfg, initialShelvingState(), { kind: 'shelve', key }, T0).state;
    expect(stepShelving(cfg, s, { kind: 'fault_cleared', key }, T0 + MIN).events).toMatchObject([{ type: 'unshelved', reason: 'fault_cleared' }]);
    expect(stepShelving(cfg, s, { kind: 'unshelve', key, by: 'li' }, T0 + MIN).events).toMatchObject([{ type: 'unshelved', reason: 'operator', by: 'li' }]);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
