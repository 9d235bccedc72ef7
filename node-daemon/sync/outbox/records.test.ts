import { describe, expect, it } from 'vitest';
import { aggregateRows, BUCKET_MS, mergeAggregates } from '../../storage/retention.js';
import type { Aggregate } from '../../storage/types.js';
import { aggregatesPayload, newestReadingTs, parseAlarmRef, parseBatchRef, readingsPayload, recordBytes, type ReadingTuple } from './records.js';

const T0 = Date.UTC(2025, 6, 1, 0, 0, 0);

function batch(firstId: number, n: number, t0: number): ReadingTuple[] {
  return Array.from({ length: n }, (_, i): ReadingTuple => {
    const sensor = i % 2 === 0 ? 'river' : 'dam';
    const quality = i % 11 === 5 ? 'comm_fail' : 'good';
    return [firstId + i, sensor, t0 + i * 60_000, quality === 'good' ? 1 + ((i * 37) % 17) / 10 : null, quality];
  });
}

describe('records', () => {
  it('reads the change log\'s references', () => {
    expect(parseBatchRef({ firstId: 10, lastId: 17, count: 8 })).toEqual({ firstId: 10, lastId: 17, count: 8 });
    expect(parseBatchRef({ count: 0 })).toEqual({ firstId: 0, lastId: -1, count: 0 });
    expect(parseBatchRef({ firstId: 10, lastId: 9, count: 8 })).toBeUndefined();
    expect(parseBatchRef('x')).toBeUndefined();
    expect(parseAlarmRef({ alarmId: 3, transitionId: 12, type: 'raised' })).toEqual({ alarmId: 3, transitionId: 12, type: 'raised' });
    expect(parseAlarmRef({ alarmId: 3 })).toBeUndefined();
  });

  it('a batch with readings missing says how many', () => {
    const rows = batch(1, 5, T0);
    expect(readingsPayload(rows, 5)).toEqual({ readings: rows });
    expect(readingsPayload(rows.slice(2), 5)).toEqual({ readings: rows.slice(2), missing: 2 });
    expect(aggregatesPayload([], 5)).toEqual({ aggregates: [], missing: 5 });
    expect(newestReadingTs(rows)).toBe(T0 + 4 * 60_000);
    expect(newestReadingTs([])).toBeUndefined();
  });

  it('aggregates are the retention folding of the batch, and batches merged by count give the folding of them all', () => {
    // Three batches whose 15-minute buckets straddle the batch boundaries.
    const batches = [batch(1, 40, T0 + 7 * 60_000), batch(41, 40, T0 + 47 * 60_000), batch(81, 13, T0 + 87 * 60_000)];
    const all = batches.flat();
    const asRaw = (rows: readonly ReadingTuple[]) => rows.map(([, sensorId, ts, value, quality]) => ({ sensorId, ts, value, quality }));
    for (const b of batches) {
      expect(aggregatesPayload(b, b.length).aggregates).toEqual(aggregateRows(asRaw(b)).map((a) => [a.sensorId, a.bucket, a.min, a.mean, a.max, a.count]));
    }
    // What a hub does: merge the buckets of every batch by count.
    const merged = new Map<string, Aggregate>();
    for (const b of batches) {
      for (const [sensorId, bucket, min, mean, max, count] of aggregatesPayload(b, b.length).aggregates) {
        const a = { sensorId, bucket, min, mean, max, count };
        const key = `${sensorId}@${bucket}`;
        const old = merged.get(key);
        merged.set(key, old === undefined ? a : mergeAggregates(old, a));
      }
    }
    const expected = aggregateRows(asRaw(all));
    const got = [...merged.values()].sort((x, y) => (x.sensorId < y.sensorId ? -1 : x.sensorId > y.sensorId ? 1 : x.bucket - y.bucket));
    expect(got.map((a) => [a.sensorId, a.bucket, a.min, a.max, a.count])).toEqual(expected.map((a) => [a.sensorId, a.bucket, a.min, a.max, a.count]));
    got.forEach((a, i) => expect(a.mean).toBeCloseTo(expected[i]!.mean, 12));
    expect(got.some((a) => a.bucket % BUCKET_MS === 0)).toBe(true);
  });

  it('counts a record\'s bytes as UTF-8 JSON', () => {
    const r = { seq: 1, kind: 'health', ts: 0, payload: { name: '清水' } } as const;
    expect(recordBytes(r)).toBe(Buffer.byteLength(JSON.stringify(r)));
    expect(recordBytes(r)).toBe(JSON.stringify(r).length + 4);
  });
});
