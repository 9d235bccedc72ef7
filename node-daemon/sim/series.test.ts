import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../core/paths.js';
import { parseCsv, parseRdb, parseSeries, SeriesError, type Series } from './series.js';

const FT = 0.3048;
const shared = join(packageRoot(), '../shared/data/flood');
const hasShared = existsSync(shared);
const read = (name: string): string => readFileSync(join(shared, name), 'utf8');

function peak(s: Series): { t: number; ft: number } {
  const p = s.points.reduce((a, b) => (b.m > a.m ? b : a));
  return { t: p.t, ft: Math.round((p.m / FT) * 100) / 100 };
}

const RDB_HEADER = ['# synthetic', 'agency_cd\tsite_no\tdatetime\ttz_cd\t02_00065\t02_00065_cd', '5s\t15s\t20d\t6s\t14n\t10s'];
const rdb = (rows: string[]): string => [...RDB_HEADER, ...rows.map((r) => `USGS\t01\t${r}`)].join('\n');

describe('USGS RDB', () => {
  it('converts per-row time-zone codes across the spring-forward change (EST → EDT)', () => {
    const s = parseRdb(rdb(['2015-03-08 01:30\tEST\t1.00\tP', '2015-03-08 01:45\tEST\t2.00\tP', '2015-03-08 03:00\tEDT\t3.00\tP']));
    expect(s.points.map((p) => new Date(p.t).toISOString())).toEqual(['2015-03-08T06:30:00.000Z', '2015-03-08T06:45:00.000Z', '2015-03-08T07:00:00.000Z']);
    expect(s.points.map((p) => p.m)).toEqual([1 * FT, 2 * FT, 3 * FT]);
  });

  it('keeps the repeated fall-back hour apart (01:30 EDT, then 01:30 EST an hour later)', () => {
    const s = parseRdb(rdb(['2015-11-01 01:30\tEDT\t1\tP', '2015-11-01 01:30\tEST\t2\tP']));
    expect(s.points[1]!.t - s.points[0]!.t).toBe(3_600_000);
  });

  it('skips empty values and counts them; names the line of an unknown zone', () => {
    expect(parseRdb(rdb(['2015-03-08 01:30\tEST\t\tP', '2015-03-08 01:45\tEST\t2\tP'])).skipped).toBe(1);
    expect(() => parseRdb(rdb(['2015-03-08 01:30\tXYZ\t1\tP']))).toThrow(/line 4: unknown time-zone code "XYZ"/);
  });

  it.skipIf(!hasShared)('reads the Licking River file: 11,551 values, crest 20.21 ft at 2015-04-03 15:00 EDT', () => {
    const s = parseSeries(read('03253000-uv.txt'));
    expect(s.station).toBe('03253000');
    expect(s.points).toHaveLength(11_551);
    expect(peak(s)).toEqual({ t: Date.parse('2015-04-03T19:00:00Z'), ft: 20.21 });
  });
});

describe('CSV', () => {
  it.skipIf(!hasShared)('reads one station of the Llano file: Mason crests at 34.21 ft, 2018-10-16 05:35 CDT', () => {
    const s = parseSeries(read('usgs_llano_river_2018.csv'), '08150700');
    expect(s.name).toBe('Llano Rv nr Mason, TX');
    expect(peak(s)).toEqual({ t: Date.parse('2018-10-16T10:35:00Z'), ft: 34.21 });
  });

  it.skipIf(!hasShared)('keeps the 41-hour hole of the Blanco River at Wimberley after 40.21 ft', () => {
    const s = parseCsv(read('usgs_memorial_day_2015.csv'), '08171000');
    const i = s.points.findIndex((p) => p.t === Date.parse('2015-05-24T06:00:00Z'));
    expect(s.points[i]!.m / FT).toBeCloseTo(40.21, 6);
    expect((s.points[i + 1]!.t - s.points[i]!.t) / 3_600_000).toBe(41);
  });

  it('rejects timestamps without an offset, naming the line', () => {
    const text = 'timestamp,station_id,station_name,gage_height_ft\n2018-10-16T05:30:00,1,x,3\n';
    expect(() => parseCsv(text)).toThrow(SeriesError);
    expect(() => parseCsv(text)).toThrow(/line 2/);
  });

  it('reads the demo copy shipped in the repo', () => {
    const s = parseCsv(readFileSync(join(packageRoot(), 'node-daemon/sim/data/usgs_llano_river_2018.csv'), 'utf8'), '08150700');
    expect(s.points.length).toBeGreaterThan(3000);
  });
});
