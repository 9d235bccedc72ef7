import { describe, expect, it } from 'vitest';
import { SeriesError } from './series.js';
import { parseDuration, resolveStart } from './start-spec.js';

const H = 3_600_000;
const points = [
  { t: 10 * H, m: 1 },
  { t: 20 * H, m: 9 },
  { t: 30 * H, m: 2 },
];

describe('resolveStart', () => {
  it('takes an ISO time with an offset as is', () => {
    expect(resolveStart('2018-10-15T20:00:00-05:00', points)).toBe(Date.parse('2018-10-16T01:00:00Z'));
    expect(resolveStart('2018-10-16T01:00Z', points)).toBe(Date.parse('2018-10-16T01:00:00Z'));
  });

  it('offsets from the first point or the crest', () => {
    expect(resolveStart('peak-8h', points)).toBe(12 * H);
    expect(resolveStart('peak+1h30m', points)).toBe(21.5 * H);
    expect(resolveStart('first+1d', points)).toBe(34 * H);
    expect(resolveStart('+90m', points)).toBe(11.5 * H);
  });

  it('refuses local times without an offset, bare negative offsets and junk', () => {
    for (const bad of ['2018-10-15T20:00', '-2h', 'peak-8x', 'peak-', 'soon']) expect(() => resolveStart(bad, points)).toThrow(SeriesError);
  });

  it('parses compound durations', () => {
    expect(parseDuration('2d6h')).toBe(54 * H);
    expect(parseDuration('1.5h')).toBe(1.5 * H);
    expect(parseDuration('h')).toBeUndefined();
  });
});
