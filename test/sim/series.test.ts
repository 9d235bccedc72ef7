import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { parseCsv, parseRdb, parseSeries, SeriesError, type Series } from '../../node-daemon/sim/series.js';

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

  it('reads one site of a multi-site export (headers repeated per site, different DD column); names it from the header', () => {
    const text = [
      '# Data for the following 2 site(s) are contained in this file',
      '#    USGS 01 FIRST CREEK AT A, KY',
      '#    USGS 02 SECOND RIVER AT B, KY',
      ...RDB_HEADER,
      'USGS\t01\t2015-03-08 01:30\tEST\t1.00\tP',
      '#',
      '# Data provided for site 02',
      'agency_cd\tsite_no\tdatetime\ttz_cd\t07_00065\t07_00065_cd\t03_00060',
      '5s\t15s\t20d\t6s\t14n\t10s\t14n',
      'USGS\t02\t2015-03-08 01:30\tEST\t7.00\tP\t100',
      'USGS\t02\t2015-03-08 01:45\tEST\tIce\tP\t100',
      'USGS\t02\t2015-03-08 03:00\tEDT\t8.00\tP\t100',
    ].join('\n');
    const second = parseRdb(text, '02');
    expect(second.name).toBe('SECOND RIVER AT B, KY');
    expect(second.points.map((p) => p.m)).toEqual([7 * FT, 8 * FT]);
    expect(second.skipped).toBe(1);
    expect(parseRdb(text).station).toBe('01');
    expect(() => parseRdb(text, '99')).toThrow(/no rows for station "99"/);
  });

  it('rejects a datetime that is not a real time, naming the line', () => {
    expect(() => parseRdb(rdb(['2015-02-30 01:30\tEST\t1\tP']))).toThrow(/line 4: datetime "2015-02-30 01:30" is not a real date/);
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

  it.skipIf(!hasShared)('reads the other demo gauges of the Llano file: Junction 28.39 ft at 08:20, Llano 40.14 ft at 07:20 CDT', () => {
    const text = read('usgs_llano_river_2018.csv');
    expect(peak(parseCsv(text, '08150000'))).toEqual({ t: Date.parse('2018-10-16T13:20:00Z'), ft: 28.39 });
    expect(peak(parseCsv(text, '08151500'))).toEqual({ t: Date.parse('2018-10-16T12:20:00Z'), ft: 40.14 });
  });

  it('skips and counts rows without a level; names the line of a bad timestamp after quoted multi-line names', () => {
    const head = 'timestamp,station_id,station_name,gage_height_ft\n';
    const ok = parseCsv(`${head}2018-10-16T05:30:00-05:00,1,x,3\n2018-10-16T05:35:00-05:00,1,x,\n2018-10-16T05:40:00-05:00,2,y,9\n`, '1');
    expect(ok.points).toEqual([{ t: Date.parse('2018-10-16T10:30:00Z'), m: 3 * FT }]);
    expect(ok.skipped).toBe(1);
    expect(() => parseCsv(`${head}2018-10-16T05:30:00-05:00,1,"a\nb",3\nyesterday,1,x,3\n`)).toThrow(/line 4: timestamp "yesterday"/);
  });

  it('turns malformed CSV into a SeriesError', () => {
    expect(() => parseCsv('timestamp,station_id,station_name,gage_height_ft\n2018-10-16T05:30:00-05:00,1\n')).toThrow(SeriesError);
    expect(() => parseCsv('timestamp,station_id,gage_height_ft\n2018-10-16T05:30:00Z,1,3\n', '2')).toThrow(/no rows for station "2"/);
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
