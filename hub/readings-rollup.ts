import type { Bucket15m } from './store/types.js';

/**
 * Coarser buckets rolled up from the store's 15-minute ones (GET /api/v1/boxes/:id/readings?resolution=1h|1d). Pure.
 * Each coarse bucket merges the 15-minute buckets whose start falls in it: min of mins, max of maxes, counts summed,
 * mean weighted by count (the same rule that made the 15-minute buckets), `source` raw/aggregates/mixed as theirs.
 * Hours are UTC hours (every zone in use is a whole or half hour off UTC: 15-minute buckets never straddle one
 * where it matters here); days are calendar days of the hub's time zone (cap.timeZone), as a county reads a daily
 * table.
 */

export const RESOLUTIONS = ['raw', '15m', '1h', '1d'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** How many 15-minute buckets at most go into one coarse bucket. */
export const FACTOR: Readonly<Record<'15m' | '1h' | '1d', number>> = { '15m': 1, '1h': 4, '1d': 96 };

export type Rolled = Bucket15m;

/** The UTC offset (ms) of `zone` at `ts`. */
export function zoneOffsetMs(ts: number, zone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(ts).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT([+-])(\d\d):(\d\d)$/.exec(name);
  if (m === null) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR_MS + Number(m[3]) * 60_000);
}

/** The start (UTC ms) of the coarse bucket holding `ts`. */
export function bucketStarter(resolution: '15m' | '1h' | '1d', zone: string): (ts: number) => number {
  if (resolution === '15m') return (ts) => Math.floor(ts / 900_000) * 900_000;
  if (resolution === '1h') return (ts) => Math.floor(ts / HOUR_MS) * HOUR_MS;
  return (ts) => {
    const off = zoneOffsetMs(ts, zone);
    return Math.floor((ts + off) / DAY_MS) * DAY_MS - off;
  };
}

/** Merges 15-minute buckets (any order) into coarse ones, oldest first. */
export function rollUp(buckets: readonly Bucket15m[], startOf: (ts: number) => number): Rolled[] {
  const acc = new Map<number, { min: number; max: number; sum: number; count: number; raw: boolean; agg: boolean }>();
  for (const b of buckets) {
    if (!(b.count > 0)) continue;
    const start = startOf(b.bucket);
    const hasRaw = b.source !== 'aggregates';
    const hasAgg = b.source !== 'raw';
    const a = acc.get(start);
    if (a === undefined) {
      acc.set(start, { min: b.min, max: b.max, sum: b.mean * b.count, count: b.count, raw: hasRaw, agg: hasAgg });
      continue;
    }
    a.min = Math.min(a.min, b.min);
    a.max = Math.max(a.max, b.max);
    a.sum += b.mean * b.count;
    a.count += b.count;
    a.raw ||= hasRaw;
    a.agg ||= hasAgg;
  }
  return [...acc.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([bucket, a]) => ({ bucket, min: a.min, mean: a.sum / a.count, max: a.max, count: a.count, source: a.raw && a.agg ? 'mixed' : a.raw ? 'raw' : 'aggregates' }));
}

export interface RolledPage {
  readonly buckets: readonly Rolled[];
  readonly truncated: boolean;
  /** Where the next page starts (the first bucket left out), when truncated. */
  readonly nextFrom?: number;
}

/**
 * One page of coarse buckets from 15-minute buckets read oldest first with a limit of `fetched` (ask the store for
 * `limit · FACTOR + 1`): when the store had more than `fetched - 1`, the coarse bucket the cut fell in may be
 * incomplete, so it and everything after it are left for the next page. At most `limit` buckets.
 */
export function rolledPage(buckets15m: readonly Bucket15m[], fetchLimit: number, limit: number, startOf: (ts: number) => number): RolledPage {
  const sorted = [...buckets15m].sort((a, b) => a.bucket - b.bucket);
  let usable = sorted;
  let cut: number | undefined;
  if (sorted.length > fetchLimit) {
    const first = sorted[fetchLimit];
    cut = first === undefined ? undefined : startOf(first.bucket);
    usable = cut === undefined ? sorted : sorted.filter((b) => startOf(b.bucket) < cut!);
  }
  const rolled = rollUp(usable, startOf);
  if (rolled.length > limit) {
    const next = rolled[limit];
    return { buckets: rolled.slice(0, limit), truncated: true, ...(next === undefined ? {} : { nextFrom: next.bucket }) };
  }
  return cut === undefined ? { buckets: rolled, truncated: false } : { buckets: rolled, truncated: true, nextFrom: cut };
}

/**
 * The range a coarse page reads: `from` back to the start of its bucket and `to` on to the end of its bucket, so the
 * first and the last bucket are whole (as the store answers 15-minute buckets whole).
 */
export function coverRange(from: number, to: number, resolution: '15m' | '1h' | '1d', zone: string): { from: number; to: number } {
  const startOf = bucketStarter(resolution, zone);
  const start = startOf(from);
  const last = startOf(to - 1);
  // The next bucket's start: a little past one span on (a day of a zone changing its offset is 23 or 25 hours).
  const span = resolution === '1d' ? DAY_MS + 3 * HOUR_MS : resolution === '1h' ? HOUR_MS : 900_000;
  const end = resolution === '1d' ? startOf(last + span) : last + span;
  return { from: start, to: Math.max(end, start) };
}
