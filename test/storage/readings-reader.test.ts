import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, tempDir } from './storage-helpers.js';
import { EventHub } from '../../node-daemon/core/events.js';
import type { Reading } from '../../node-daemon/core/types.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { BUCKET_MS } from '../../node-daemon/storage/retention.js';

const T0 = Date.UTC(2025, 0, 1);
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function storeAll(readings: Reading[]) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const { db } = openDatabase({ dataDir: t.dir, log: captureLogger().log });
  cleanups.push(() => db.close());
  const hub = new EventHub();
  const writer = new ReadingsWriter({ db, hub, log: captureLogger().log, batchSize: 1_000, flushIntervalMs: 60_000 });
  await writer.start();
  for (const r of readings) hub.reading$.next(r);
  await writer.stop();
  return new SqliteReadingsReader(db);
}

describe('SqliteReadingsReader', () => {
  it('returns raw readings in [from, to), oldest first, limited, per sensor', async () => {
    const readings: Reading[] = [];
    for (let i = 0; i < 10; i++) readings.push({ sensorId: 'a', ts: T0 + i * 1_000, value: i, quality: 'good' });
    readings.push({ sensorId: 'b', ts: T0 + 500, value: 42, quality: 'good' });
    const reader = await storeAll(readings.reverse());
    const got = reader.readings({ sensorId: 'a', from: T0 + 2_000, to: T0 + 6_000, limit: 100 });
    expect(got.map((r) => r.value)).toEqual([2, 3, 4, 5]);
    expect(got[0]).toMatchObject({ sensorId: 'a', ts: T0 + 2_000, quality: 'good' });
    expect(typeof got[0]?.id).toBe('number');
    expect(reader.readings({ sensorId: 'a', from: T0, to: T0 + 60_000, limit: 3 }).map((r) => r.value)).toEqual([0, 1, 2]);
    expect(reader.readings({ sensorId: 'a', from: T0, to: T0 + 60_000, limit: -5 })).toEqual([]);
    expect(reader.readings({ sensorId: 'nobody', from: 0, to: Number.MAX_SAFE_INTEGER, limit: 10 })).toEqual([]);
  });

  it('finds the newest reading and the newest good reading', async () => {
    const reader = await storeAll([
      { sensorId: 's', ts: T0, value: 1.2, quality: 'good' },
      { sensorId: 's', ts: T0 + 3_000, value: null, quality: 'comm_fail' },
      { sensorId: 's', ts: T0 + 1_000, value: 1.3, quality: 'good' },
      { sensorId: 's', ts: T0 + 2_000, value: 50, quality: 'out_of_range' },
    ]);
    expect(reader.latest('s')).toMatchObject({ ts: T0 + 3_000, value: null, quality: 'comm_fail' });
    expect(reader.latestGood('s')).toMatchObject({ ts: T0 + 1_000, value: 1.3, quality: 'good' });
    expect(reader.latest('none')).toBeUndefined();
    expect(reader.latestGood('none')).toBeUndefined();
  });

  it('computes aggregates of not-yet-folded raw readings for buckets starting in [from, to)', async () => {
    const readings: Reading[] = [];
    for (let i = 0; i < 60; i++) readings.push({ sensorId: 's', ts: T0 + i * 60_000, value: i, quality: 'good' });
    readings.push({ sensorId: 's', ts: T0 + 61_000, value: 1_000, quality: 'out_of_range' });
    const reader = await storeAll(readings);
    expect(reader.aggregates({ sensorId: 's', from: T0 + 1, to: T0 + 3 * BUCKET_MS, limit: 10 })).toEqual([
      { sensorId: 's', bucket: T0 + BUCKET_MS, min: 15, mean: 22, max: 29, count: 15 },
      { sensorId: 's', bucket: T0 + 2 * BUCKET_MS, min: 30, mean: 37, max: 44, count: 15 },
    ]);
    expect(reader.aggregates({ sensorId: 's', from: T0, to: T0 + 4 * BUCKET_MS, limit: 1 })).toEqual([
      { sensorId: 's', bucket: T0, min: 0, mean: 7, max: 14, count: 15 },
    ]);
  });
});
