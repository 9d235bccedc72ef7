import { describe, expect, it } from 'vitest';
import { Replay } from './replay.js';

const H = 3_600_000;
const points = [
  { t: 0, m: 1 },
  { t: H, m: 3 },
  { t: 2 * H, m: 5 },
  // a 10-hour hole: the gauge went silent
  { t: 12 * H, m: 2 },
];

describe('Replay (virtual time)', () => {
  const wall = 1_000_000;
  const replay = new Replay(points, { speedUp: 3600, seriesStart: 0, wallStart: wall });

  it('maps wall time to series time at the speed-up and interpolates linearly', () => {
    expect(replay.levelAt(wall)).toBe(1);
    expect(replay.levelAt(wall + 500)).toBe(2); // half an hour of series time
    expect(replay.levelAt(wall + 1500)).toBe(4);
  });

  it('is silent inside a gap longer than silentGapMs, and answers again after it', () => {
    expect(replay.levelAt(wall + 2000)).toBe(5); // on the last point before the hole
    expect(replay.levelAt(wall + 5000)).toBeUndefined();
    expect(replay.levelAt(wall + 12_000)).toBe(2);
  });

  it('holds the last value at the end, or loops when asked', () => {
    expect(replay.levelAt(wall + 100_000)).toBe(2);
    const looping = new Replay(points, { speedUp: 3600, seriesStart: 0, wallStart: wall, atEnd: 'loop' });
    expect(looping.levelAt(wall + 12_000 + 500)).toBe(2);
  });

  it('bridges short holes when silentGapMs is larger', () => {
    const patient = new Replay(points, { speedUp: 3600, seriesStart: 0, wallStart: wall, silentGapMs: 11 * H });
    expect(patient.levelAt(wall + 7000)).toBeCloseTo(3.5, 9);
  });
});
