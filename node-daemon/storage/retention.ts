import type { Quality } from '../core/types.js';
import type { Aggregate } from './types.js';

export const BUCKET_MS = 15 * 60_000;
export const DAY_MS = 86_400_000;

/** Start (UTC ms) of the 15-minute bucket holding `ts`. */
export function bucketOf(ts: number): number {
  return Math.floor(ts / BUCKET_MS) * BUCKET_MS;
}

/**
 * Raw readings with `ts < cutoff` are folded into aggregates and deleted. The cutoff is `now - rawRetentionDays`
 * rounded down to a bucket start, so a bucket is folded whole rather than half in raw and half in aggregates.
 */
export function retentionCutoff(now: number, rawRetentionDays: number): number {
  return bucketOf(now - rawRetentionDays * DAY_MS);
}

export interface RawRow {
  readonly sensorId: string;
  readonly ts: number;
  readonly value: number | null;
  readonly quality: Quality;
}

function counts(row: RawRow): row is RawRow & { value: number } {
  return row.quality === 'good' && row.value !== null && Number.isFinite(row.value);
}

/**
 * min/mean/max/count of the good readings per (sensor, bucket), ordered by sensor then bucket. Readings of any
 * other quality, or without a finite value, are left out; a bucket with none left has no aggregate.
 */
export function aggregateRows(rows: Iterable<RawRow>): Aggregate[] {
  const acc = new Map<string, { sensorId: string; bucket: number; min: number; max: number; sum: number; count: number }>();
  for (const row of rows) {
    if (!counts(row)) continue;
    const bucket = bucketOf(row.ts);
    const key = `${bucket}\u0000${row.sensorId}`;
    const a = acc.get(key);
    if (a === undefined) {
      acc.set(key, { sensorId: row.sensorId, bucket, min: row.value, max: row.value, sum: row.value, count: 1 });
    } else {
      a.min = Math.min(a.min, row.value);
      a.max = Math.max(a.max, row.value);
      a.sum += row.value;
      a.count += 1;
    }
  }
  return [...acc.values()]
    .map((a) => ({ sensorId: a.sensorId, bucket: a.bucket, min: a.min, mean: a.sum / a.count, max: a.max, count: a.count }))
    .sort((x, y) => (x.sensorId < y.sensorId ? -1 : x.sensorId > y.sensorId ? 1 : x.bucket - y.bucket));
}

/**
 * Combines two aggregates of the same sensor and bucket built from disjoint sets of readings (a bucket folded in two
 * chunks, or a late reading folded after its bucket). The result is what one pass over both sets would give; the
 * order of merging does not matter. Folding and deleting the raw rows in one transaction guarantees each reading is
 * merged exactly once.
 */
export function mergeAggregates(existing: Aggregate, added: Aggregate): Aggregate {
  if (existing.sensorId !== added.sensorId || existing.bucket !== added.bucket) {
    throw new Error(
      `fenghuo: cannot merge aggregates of ${existing.sensorId}@${existing.bucket} and ${added.sensorId}@${added.bucket}`,
    );
  }
  const count = existing.count + added.count;
  if (count === 0) return existing;
  return {
    sensorId: existing.sensorId,
    bucket: existing.bucket,
    min: Math.min(existing.min, added.min),
    max: Math.max(existing.max, added.max),
    mean: (existing.mean * existing.count + added.mean * added.count) / count,
    count,
  };
}
