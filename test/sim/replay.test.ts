import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { Replay } from '../../node-daemon/sim/replay.js';
import { parseCsv, parseRdb } from '../../node-daemon/sim/series.js';
import { resolveStart } from '../../node-daemon/sim/start-spec.js';

const shared = join(packageRoot(), '../shared/data/flood');
const hasShared = existsSync(shared);

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
    expect(replay.levelAt(wall + 2999)).toBe(5); // held for one sampling interval (1 h of series time)
    expect(replay.levelAt(wall + 3000)).toBeUndefined();
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

describe.skipIf(!hasShared)('Replay of the shared floods (default silent gap)', () => {
  it('goes silent through the Blanco River dropout after 40.21 ft and answers 8.84 ft when the record resumes', () => {
    const { points } = parseCsv(readFileSync(join(shared, 'usgs_memorial_day_2015.csv'), 'utf8'), '08171000');
    const wall = 5_000;
    const speedUp = 600;
    const seriesStart = resolveStart('peak-3h', points); // the last recorded value is the highest
    const replay = new Replay(points, { speedUp, seriesStart, wallStart: wall });
    const at = (iso: string): number => wall + (Date.parse(iso) - seriesStart) / speedUp;
    expect(replay.levelAt(at('2015-05-24T01:00:00-05:00'))! / 0.3048).toBeCloseTo(40.21, 6);
    expect(replay.levelAt(at('2015-05-24T01:15:00-05:00'))).toBeUndefined();
    expect(replay.levelAt(at('2015-05-25T17:45:00-05:00'))).toBeUndefined();
    expect(replay.levelAt(at('2015-05-25T18:00:00-05:00'))! / 0.3048).toBeCloseTo(8.84, 6);
  });

  it('bridges the 75-minute hole of the Licking River record instead of faking a dead gauge', () => {
    const { points } = parseRdb(readFileSync(join(shared, '03253000-uv.txt'), 'utf8'));
    const replay = new Replay(points, { speedUp: 1, seriesStart: points[0]!.t, wallStart: points[0]!.t });
    const silent = points.slice(1).filter((p, i) => replay.levelAt((p.t + points[i]!.t) / 2) === undefined);
    expect(silent).toEqual([]);
  });
});
