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
  if (points.length === 0) throw new SeriesError(`station ${station}: no usable values (${skipped} rows without one)`);
  points.sort((a, b) => a.t - b.t);
  return { station, ...(name ? { name } : {}), points, skipped };
}

interface RdbColumns {
  readonly site: number;
  readonly datetime: number;
  readonly tz: number;
  readonly value: number;
}

function rdbColumns(headerLine: string, lineNo: number): RdbColumns {
  const header = headerLine.split('\t');
  const col = (name: string): number => header.indexOf(name);
  const columns = { site: col('site_no'), datetime: col('datetime'), tz: col('tz_cd'), value: header.findIndex((h) => /_00065$/.test(h)) };
  if (Object.values(columns).some((i) => i < 0)) {
    throw new SeriesError(`RDB line ${lineNo}: expected columns site_no, datetime, tz_cd and a gage-height column (*_00065)`);
  }
  return columns;
}

/**
 * USGS RDB (tab-separated): `#` comment lines, a column-name line, a field-format line (`5s 15s 20d …`), then
 * rows. The level is the first gage-height column (`…_00065`), in feet; times are local with a `tz_cd` per row.
 * A multi-site NWIS export repeats the comments and both header lines before each site; `station` picks one
 * (default: the first site in the file).
 */
export function parseRdb(text: string, station?: string): Series {
  const lines = text.split(/\r?\n/);
  let columns: RdbColumns | undefined;
  const points: SeriesPoint[] = [];
  let skipped = 0;
  let wanted = station;
  let rowsSeen = 0;
  const names = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const siteLine = /^#\s+USGS (\d+) (.+?)\s*$/.exec(line);
    if (siteLine) names.set(siteLine[1]!, siteLine[2]!);
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (line.startsWith('agency_cd\t')) {
      columns = rdbColumns(line, i + 1);
      i++; // the field-format line
      continue;
    }
    if (!columns) throw new SeriesError(`RDB line ${i + 1}: data before the column-name line (agency_cd, site_no, ...)`);
    const cells = line.split('\t');
    const rowStation = cells[columns.site] ?? '';
    wanted ??= rowStation;
    if (rowStation !== wanted) continue;
    rowsSeen++;
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/.exec(cells[columns.datetime] ?? '');
    if (!m) throw new SeriesError(`RDB line ${i + 1}: datetime "${cells[columns.datetime] ?? ''}" is not YYYY-MM-DD HH:MM`);
    const code = cells[columns.tz] ?? '';
    const offsetH = TZ_OFFSET_H[code];
    if (offsetH === undefined) {
      throw new SeriesError(`RDB line ${i + 1}: unknown time-zone code "${code}" (known: ${Object.keys(TZ_OFFSET_H).join(', ')})`);
    }
    // Empty, or a USGS status word instead of a number (Eqp, Ice, Ssn, ***): no value at that time.
    const ft = Number(cells[columns.value]);
    if (cells[columns.value]?.trim() === '' || !Number.isFinite(ft)) {
      skipped++;
      continue;
    }
    const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
    const local = Date.UTC(y, mo - 1, d, h, mi);
    if (new Date(local).toISOString().slice(0, 16) !== `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}`) {
      throw new SeriesError(`RDB line ${i + 1}: datetime "${m[0]}" is not a real date and time`);
    }
    points.push({ t: local - offsetH * 3_600_000, m: ft * FT_TO_M });
  }
  if (!columns) throw new SeriesError('RDB: no column-name line (agency_cd, site_no, datetime, tz_cd, ...)');
  if (wanted === undefined) throw new SeriesError('RDB: no data rows');
  if (rowsSeen === 0) throw new SeriesError(`RDB: no rows for station "${wanted}"`);
  return finish(wanted, names.get(wanted), points, skipped);
}

interface CsvRow {
  readonly record: Record<string, string | undefined>;
  readonly info: { readonly lines: number };
}

function readCsv(text: string): CsvRow[] {
  try {
    return parse(text, { columns: true, skip_empty_lines: true, info: true, bom: true }) as CsvRow[];
  } catch (err) {
    throw new SeriesError(`CSV: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * CSV with `timestamp` (ISO 8601 with offset), `station_id`, `station_name`, `gage_height_ft` (feet); stations
 * interleaved. `station` picks one (default: the station of the first row).
 */
export function parseCsv(text: string, station?: string): Series {
  const rows = readCsv(text);
  const first = rows[0]?.record;
  if (!first || !('timestamp' in first) || !('station_id' in first) || !('gage_height_ft' in first)) {
    throw new SeriesError('CSV: expected columns timestamp, station_id, gage_height_ft');
  }
  const wanted = station ?? first.station_id ?? '';
  const points: SeriesPoint[] = [];
  let skipped = 0;
  let rowsSeen = 0;
  let name: string | undefined;
  for (const { record: r, info } of rows) {
    if (r.station_id !== wanted) continue;
    rowsSeen++;
    name ??= r.station_name;
    const t = Date.parse(r.timestamp ?? '');
    if (!Number.isFinite(t) || !/([+-]\d{2}:?\d{2}|Z)$/.test(r.timestamp ?? '')) {
      throw new SeriesError(`CSV line ${info.lines}: timestamp "${r.timestamp ?? ''}" is not ISO 8601 with an offset`);
    }
    const ft = Number(r.gage_height_ft);
    if ((r.gage_height_ft ?? '').trim() === '' || !Number.isFinite(ft)) {
      skipped++;
      continue;
    }
    points.push({ t, m: ft * FT_TO_M });
  }
  if (rowsSeen === 0) throw new SeriesError(`CSV: no rows for station "${wanted}"`);
  return finish(wanted, name, points, skipped);
}

/** Either format, told apart by content: RDB files start with `#` comments or an `agency_cd` header. */
export function parseSeries(text: string, station?: string): Series {
  const head = text.trimStart();
  return head.startsWith('#') || head.startsWith('agency_cd') ? parseRdb(text, station) : parseCsv(text, station);
}
