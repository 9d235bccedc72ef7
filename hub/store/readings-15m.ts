import type { Bucket15m, ReadingsQuery } from './types.js';

export const BUCKET_MS = 15 * 60_000;

/** Start (UTC ms) of the 15-minute bucket holding `ts` (the box's bucketOf). */
export function bucketOf(ts: number): number {
  return Math.floor(ts / BUCKET_MS) * BUCKET_MS;
}

export const DEFAULT_LIMIT = 10_000;
/** Far enough in both directions for any UTC ms a box sends, small enough for a BIGINT and a double. */
const FAR = 8_640_000_000_000_000;

export interface TimeRange {
  readonly from: number;
  readonly to: number;
  readonly limit: number;
}

/** [from, to) and the limit, defaulted. */
export function rawRange(q: ReadingsQuery): TimeRange {
  return { from: q.from ?? -FAR, to: q.to ?? FAR, limit: limitOf(q) };
}

/**
 * Every bucket overlapping [q.from, q.to), as a range [from, to) on bucket boundaries: it holds exactly those
 * buckets' starts and exactly their readings.
 */
export function bucketRange(q: ReadingsQuery): TimeRange {
  const from = q.from === undefined ? -FAR : bucketOf(q.from);
  const to = q.to === undefined ? FAR : bucketOf(q.to + BUCKET_MS - 1);
  return { from, to, limit: limitOf(q) };
}

function limitOf(q: ReadingsQuery): number {
  const l = q.limit ?? DEFAULT_LIMIT;
  return Math.max(0, Math.min(Math.floor(l), 1_000_000));
}

/** One part of a bucket: the raw readings of the bucket (`raw`), or one batch's partial aggregate. */
export type BucketPart = Omit<Bucket15m, 'source'> & { readonly raw: boolean };

/**
 * Merges the raw part of each bucket (from the readings the hub holds) with the partial aggregates of the batches
 * whose raw readings it does not hold: min of mins, max of maxes, count summed, mean weighted by count.
 * Oldest first, at most `limit` buckets.
 */
export function mergeBuckets(parts: readonly BucketPart[], limit: number): Bucket15m[] {
  const acc = new Map<number, { min: number; max: number; sum: number; count: number; raw: boolean; agg: boolean }>();
  for (const p of parts) {
    const count = Number(p.count);
    if (!(count > 0)) continue;
    const a = acc.get(p.bucket);
    if (a === undefined) {
      acc.set(p.bucket, { min: p.min, max: p.max, sum: p.mean * count, count, raw: p.raw, agg: !p.raw });
      continue;
    }
    a.min = Math.min(a.min, p.min);
    a.max = Math.max(a.max, p.max);
    a.sum += p.mean * count;
    a.count += count;
    if (p.raw) a.raw = true;
    else a.agg = true;
  }
  return [...acc.entries()]
    .sort((x, y) => x[0] - y[0])
    .slice(0, limit)
    .map(([bucket, a]) => ({
      bucket,
      min: a.min,
      mean: a.sum / a.count,
      max: a.max,
      count: a.count,
      source: a.raw && a.agg ? 'mixed' : a.raw ? 'raw' : 'aggregates',
    }));
}
