import { describe, expect, it } from 'vitest';
import { aggregateRows, bucketOf, BUCKET_MS, DAY_MS, mergeAggregates, retentionCutoff, type RawRow } from './retention.js';

const T0 = Date.UTC(2025, 6, 1, 8, 0, 0); // a bucket start

describe('retention logic', () => {
  it('puts a reading in the 15-minute bucket that starts at or before it', () => {
    expect(bucketOf(T0)).toBe(T0);
    expect(bucketOf(T0 + BUCKET_MS - 1)).toBe(T0);
    expect(bucketOf(T0 + BUCKET_MS)).toBe(T0 + BUCKET_MS);
  });

  it('cuts off rawRetentionDays ago, rounded down to a bucket start', () => {
    const now = T0 + 7 * 60_000 + 123;
    expect(retentionCutoff(now, 90)).toBe(T0 - 90 * DAY_MS);
    expect(retentionCutoff(T0, 1)).toBe(T0 - DAY_MS);
  });

  it('computes min/mean/max/count of good readings only, per sensor and bucket', () => {
    const rows: RawRow[] = [
      { sensorId: 'b', ts: T0 + 1_000, value: 2.0, quality: 'good' },
      { sensorId: 'a', ts: T0 + 60_000, value: 1.0, quality: 'good' },
      { sensorId: 'a', ts: T0 + 120_000, value: 3.0, quality: 'good' },
      { sensorId: 'a', ts: T0 + 180_000, value: 99, quality: 'out_of_range' },
      { sensorId: 'a', ts: T0 + 240_000, value: null, quality: 'comm_fail' },
      { sensorId: 'a', ts: T0 + 300_000, value: 2.0, quality: 'good' },
      { sensorId: 'a', ts: T0 + BUCKET_MS, value: 5.0, quality: 'good' },
      { sensorId: 'c', ts: T0, value: 7, quality: 'stale' },
    ];
    expect(aggregateRows(rows)).toEqual([
      { sensorId: 'a', bucket: T0, min: 1, mean: 2, max: 3, count: 3 },
      { sensorId: 'a', bucket: T0 + BUCKET_MS, min: 5, mean: 5, max: 5, count: 1 },
      { sensorId: 'b', bucket: T0, min: 2, mean: 2, max: 2, count: 1 },
    ]);
  });

  it('merging aggregates of split sets gives the same as aggregating all at once, in any order', () => {
    const values = [0.5, 1.25, 3.75, 2.0, 0.25, 4.5, 1.0];
    const rows: RawRow[] = values.map((value, i) => ({ sensorId: 's', ts: T0 + i * 60_000, value, quality: 'good' }));
    const whole = aggregateRows(rows)[0];
    for (let split = 1; split < rows.length; split++) {
      const left = aggregateRows(rows.slice(0, split))[0];
      const right = aggregateRows(rows.slice(split))[0];
      if (!left || !right || !whole) throw new Error('missing aggregate');
      for (const merged of [mergeAggregates(left, right), mergeAggregates(right, left)]) {
        expect(merged.min).toBe(whole.min);
        expect(merged.max).toBe(whole.max);
        expect(merged.count).toBe(whole.count);
        expect(merged.mean).toBeCloseTo(whole.mean, 12);
      }
    }
  });

  it('refuses to merge aggregates of different buckets or sensors', () => {
    const a = { sensorId: 's', bucket: T0, min: 1, mean: 1, max: 1, count: 1 };
    expect(() => mergeAggregates(a, { ...a, bucket: T0 + BUCKET_MS })).toThrow(/cannot merge/);
    expect(() => mergeAggregates(a, { ...a, sensorId: 't' })).toThrow(/cannot merge/);
  });
});
