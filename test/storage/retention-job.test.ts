import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, tempDir } from './storage-helpers.js';
import { EventHub } from '../../node-daemon/core/events.js';
import type { Reading } from '../../node-daemon/core/types.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { RetentionJob } from '../../node-daemon/storage/retention-job.js';
import { BUCKET_MS, DAY_MS } from '../../node-daemon/storage/retention.js';

const NOW = Date.UTC(2025, 8, 1, 12, 0, 0);
const OLD = NOW - 100 * DAY_MS; // a bucket start, 100 days back

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function open(): { db: Db; hub: EventHub } {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const { db } = openDatabase({ dataDir: t.dir, log: captureLogger().log });
  cleanups.push(() => db.close());
  return { db, hub: new EventHub() };
}

async function write(db: Db, readings: Reading[], commitTs: number): Promise<void> {
  const hub = new EventHub();
  const writer = new ReadingsWriter({ db, hub, log: captureLogger().log, batchSize: 4, flushIntervalMs: 60_000, clock: () => commitTs });
  await writer.start();
  for (const r of readings) hub.reading$.next(r);
  await writer.stop();
}

const g = (sensorId: string, ts: number, value: number): Reading => ({ sensorId, ts, value, quality: 'good' });

describe('RetentionJob', () => {
  it('folds readings older than rawRetentionDays into correct aggregates, deletes them, keeps recent ones', async () => {
    const { db } = open();
    const old: Reading[] = [
      g('river', OLD + 0, 1.0),
      g('river', OLD + 60_000, 1.5),
      { sensorId: 'river', ts: OLD + 120_000, value: null, quality: 'comm_fail' },
      { sensorId: 'river', ts: OLD + 180_000, value: 9.9, quality: 'out_of_range' },
      g('river', OLD + 240_000, 2.0),
      g('river', OLD + 300_000, 0.5),
      g('river', OLD + BUCKET_MS + 1, 3.0),
      g('river', OLD + BUCKET_MS + 60_000, 4.0),
      g('river', OLD + 2 * BUCKET_MS + 5, 6.0),
      g('creek', OLD + 30_000, 0.25),
      g('creek', OLD + 90_000, 0.75),
    ];
    const recent: Reading[] = [g('river', NOW - 10 * DAY_MS, 2.5), g('river', NOW - 60_000, 2.75), g('creek', NOW - 1_000, 0.5)];
    await write(db, old, OLD + 10 * 60_000);
    await write(db, recent, NOW - 1_000);
    const changeLogBefore = db.prepare('SELECT count(*) FROM change_log').pluck().get() as number;

    const logs = captureLogger();
    // Chunks of 3 rows split buckets across transactions, so merging with an existing aggregate is exercised.
    const job = new RetentionJob({ db, log: logs.log, rawRetentionDays: 90, clock: () => NOW, chunkRows: 3 });
    const result = await job.runOnce();
    expect(result).toMatchObject({ cutoff: NOW - 90 * DAY_MS, deletedReadings: old.length });
    expect(result?.prunedChangeLog).toBe(3); // the three batches committed 100 days ago
    expect(logs.events('storage.retention')).toHaveLength(1);

    const reader = new SqliteReadingsReader(db);
    const range = { from: 0, to: NOW + DAY_MS, limit: 1_000 };
    expect(reader.readings({ sensorId: 'river', ...range }).map((r) => r.value)).toEqual([2.5, 2.75]);
    expect(reader.readings({ sensorId: 'creek', ...range }).map((r) => r.value)).toEqual([0.5]);
    const stored = db
      .prepare('SELECT sensor_id AS sensorId, bucket, min, mean, max, count FROM aggregates_15m ORDER BY sensor_id, bucket')
      .all();
    expect(stored).toEqual([
      { sensorId: 'creek', bucket: OLD, min: 0.25, mean: 0.5, max: 0.75, count: 2 },
      { sensorId: 'river', bucket: OLD, min: 0.5, mean: 1.25, max: 2.0, count: 4 },
      { sensorId: 'river', bucket: OLD + BUCKET_MS, min: 3.0, mean: 3.5, max: 4.0, count: 2 },
      { sensorId: 'river', bucket: OLD + 2 * BUCKET_MS, min: 6.0, mean: 6.0, max: 6.0, count: 1 },
    ]);
    const kinds = db.prepare('SELECT kind, count(*) AS n FROM change_log GROUP BY kind ORDER BY kind').all();
    expect(kinds).toEqual([
      { kind: 'readings', n: changeLogBefore - 3 },
      { kind: 'retention', n: 4 }, // 9 old river rows in chunks of 3, 2 creek rows in one; one row per chunk
    ]);

    // Idempotent: a second pass changes nothing.
    const again = await job.runOnce();
    expect(again).toMatchObject({ deletedReadings: 0, aggregatesWritten: 0 });
    expect(db.prepare('SELECT sensor_id AS sensorId, bucket, min, mean, max, count FROM aggregates_15m ORDER BY sensor_id, bucket').all()).toEqual(stored);

    // A late reading for an already folded bucket is merged into it by the next pass.
    await write(db, [g('river', OLD + 2 * BUCKET_MS + 60_000, 8.0)], NOW);
    await job.runOnce();
    expect(reader.aggregates({ sensorId: 'river', from: OLD + 2 * BUCKET_MS, to: OLD + 3 * BUCKET_MS, limit: 10 })).toEqual([
      { sensorId: 'river', bucket: OLD + 2 * BUCKET_MS, min: 6.0, mean: 7.0, max: 8.0, count: 2 },
    ]);

    // The reader's aggregates cover folded and not yet folded data alike.
    const all = reader.aggregates({ sensorId: 'river', ...range });
    expect(all.map((a) => [a.bucket, a.count])).toEqual([
      [OLD, 4],
      [OLD + BUCKET_MS, 2],
      [OLD + 2 * BUCKET_MS, 2],
      [NOW - 10 * DAY_MS, 1],
      [NOW - BUCKET_MS, 1],
    ]);
  });

  it('runs at start and on its interval, and stops cleanly', async () => {
    const { db } = open();
    await write(db, [g('s', OLD, 1)], OLD);
    const logs = captureLogger();
    let now = NOW;
    const job = new RetentionJob({ db, log: logs.log, rawRetentionDays: 90, clock: () => now, intervalMs: 50 });
    await job.start();
    const until = Date.now() + 5_000;
    while (logs.events('storage.retention').length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await job.stop();
    const passes = logs.events('storage.retention');
    expect(passes.length).toBeGreaterThanOrEqual(2);
    expect(passes[0]).toMatchObject({ deletedReadings: 1 });
    expect(db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(0);
    now += DAY_MS;
    const n = passes.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(logs.events('storage.retention').length).toBe(n);
  });
});
