import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { alarmsSchema } from './schema.js';

const minimal = { sites: [{ id: 'site-a', sensors: ['s1'], prepare: { levelM: 3 }, evacuate: { levelM: 4 } }] };

describe('alarms config schema', () => {
  it('fills defaults for a minimal site', () => {
    const cfg = alarmsSchema.parse(minimal);
    expect(cfg.shelving).toEqual({ defaultDurationMs: 3_600_000, maxDurationMs: 8 * 3_600_000 });
    const site = cfg.sites[0]!;
    expect(site.evacuateRequires).toBe('any');
    expect(site.prepare).toEqual({ levelM: 3, hysteresisM: 0.1, debounce: { samples: 2, durationMs: 0 }, onDelayMs: 0, offDelayMs: 0, latch: false });
    expect(site.faults).toEqual({ commLostMs: 300_000, stuckAfterMs: 7_200_000, stuckToleranceM: 0.005, jumpM: 2, jumpClearSamples: 3 });
    expect(site.rateOfRise).toBeUndefined();
  });

  it('rejects unknown keys, evacuate at or below prepare, three sensors and duplicate ids', () => {
    const bad = (patch: Record<string, unknown>) => alarmsSchema.safeParse({ sites: [{ ...minimal.sites[0], ...patch }] }).success;
    expect(bad({ prepare: { levelM: 3, hysteresis: 0.1 } })).toBe(false);
    expect(bad({ evacuate: { levelM: 3 } })).toBe(false);
    expect(bad({ sensors: ['a', 'b', 'c'] })).toBe(false);
    expect(bad({ sensors: ['a', 'a'] })).toBe(false);
    expect(bad({ rainfall: { gauge: { id: 'r', input: 'counter' }, h1: { prepareMm: 40, evacuateMm: 30 } } })).toBe(false);
    expect(alarmsSchema.safeParse({ sites: [minimal.sites[0], minimal.sites[0]] }).success).toBe(false);
  });

  it('exports a JSON schema with descriptions', () => {
    const json = JSON.stringify(z.toJSONSchema(alarmsSchema, { io: 'input' }));
    expect(json).toContain('clear only below levelM minus this');
  });
});
