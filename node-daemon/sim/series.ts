import { parse } from 'csv-parse/sync';

/** One observation of a replayed series: UTC milliseconds and the level in metres. */
export interface SeriesPoint {
  readonly t: number;
  readonly m: number;
}

export interface Series {
  readonly station: string;
  readonly name?: string;
  /** In time order. */
  readonly points: readonly SeriesPoint[];
  /** Rows without a usable value (empty, non-numeric), skipped. */
  readonly skipped: number;
}

export class SeriesError extends Error {
  override readonly name = 'SeriesError';
}

const FT_TO_M = 0.3048;

/**
 * US time-zone codes as USGS writes them in RDB `tz_cd`, in hours from UTC. Each row carries its own code, so
 * a series crossing a DST change (EST rows, then EDT rows) converts correctly without a zone database.
 */
const TZ_OFFSET_H: Readonly<Record<string, number>> = {
  UTC: 0,
  GMT: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
  AKST: -9,
  AKDT: -8,
  HST: -10,
};

function finish(station: string, name: string | undefined, points: SeriesPoint[], skipped: number): Series {
  if (points.length === 0) throw new SeriesError(`station ${station}: no usable values`);
  points.sort((a, b) => a.t - b.t);
  return { station, ...(name ? { name } : {}), points, skipped };
}

/**
 * USGS RDB (tab-separated): `#` comment lines, a column-name line, a field-format line (`5s 15s 20d …`), then
 * rows. The level is the first gage-height column (`…_00065`), in feet; times are local with a `tz_cd` per row.
 */
export function parseRdb(text: string, station?: string): Series {
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && (lines[i]!.startsWith('#') || lines[i]!.trim() === '')) i++;
  const header = lines[i]?.split('\t');
  if (!header) throw new SeriesError('RDB: no column-name line');
  const col = (name: string): number => header.indexOf(name);
  const [site, datetime, tz] = [col('site_no'), col('datetime'), col('tz_cd')];
  const value = header.findIndex((h) => /_00065$/.test(h));
  if (site < 0 || datetime < 0 || tz < 0 || value < 0) {
    throw new SeriesError(`RDB line ${i + 1}: expected columns site_no, datetime, tz_cd and a gage-height column (*_00065)`);
  }
  i += 2; // the column names and the field formats
  const points: SeriesPoint[] = [];
  let skipped = 0;
  let stationSeen: string | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) continue;
    const cells = line.split('\t');
    const rowStation = cells[site] ?? '';
    if (station !== undefined && rowStation !== station) continue;
    stationSeen ??= rowStation;
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(cells[datetime] ?? '');
    if (!m) throw new SeriesError(`RDB line ${i + 1}: datetime "${cells[datetime] ?? ''}" is not YYYY-MM-DD HH:MM`);
    const code = cells[tz] ?? '';
    const offsetH = TZ_OFFSET_H[code];
    if (offsetH === undefined) {
      throw new SeriesError(`RDB line ${i + 1}: unknown time-zone code "${code}" (known: ${Object.keys(TZ_OFFSET_H).join(', ')})`);
    }
    const ft = Number(cells[value]);
    if (cells[value] === '' || !Number.isFinite(ft)) {
      skipped++;
      continue;
    }
    const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
    points.push({ t: Date.UTC(y, mo - 1, d, h, mi) - offsetH * 3_600_000, m: ft * FT_TO_M });
  }
  return finish(station ?? stationSeen ?? 'unknown', undefined, points, skipped);
}

/** CSV with `timestamp` (ISO 8601 with offset), `station_id`, `station_name`, `gage_height_ft`; stations interleaved. */
export function parseCsv(text: string, station?: string): Series {
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string | undefined>[];
  const first = rows[0];
  if (!first || !('timestamp' in first) || !('station_id' in first) || !('gage_height_ft' in first)) {
    throw new SeriesError('CSV: expected columns timestamp, station_id, gage_height_ft');
  }
  const wanted = station ?? first.station_id ?? '';
  const points: SeriesPoint[] = [];
  let skipped = 0;
  let name: string | undefined;
  rows.forEach((r, index) => {
    if (r.station_id !== wanted) return;
    name ??= r.station_name;
    const t = Date.parse(r.timestamp ?? '');
    if (!Number.isFinite(t) || !/([+-]\d{2}:?\d{2}|Z)$/.test(r.timestamp ?? '')) {
      throw new SeriesError(`CSV line ${index + 2}: timestamp "${r.timestamp ?? ''}" is not ISO 8601 with an offset`);
    }
    const ft = Number(r.gage_height_ft);
    if (r.gage_height_ft === '' || !Number.isFinite(ft)) {
      skipped++;
      return;
    }
    points.push({ t, m: ft * FT_TO_M });
  });
  if (points.length === 0) throw new SeriesError(`CSV: no values for station "${wanted}"`);
  return finish(wanted, name, points, skipped);
}

/** Either format, told apart by content: RDB files start with `#` comments or an `agency_cd` header. */
export function parseSeries(text: string, station?: string): Series {
  const head = text.trimStart();
  return head.startsWith('#') || head.startsWith('agency_cd') ? parseRdb(text, station) : parseCsv(text, station);
}
