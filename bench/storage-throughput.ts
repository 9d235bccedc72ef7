/**
 * Stored readings per second through the real ReadingsWriter (events in on hub.reading$, committed out on
 * hub.stored$) against a bare better-sqlite3 prepared INSERT of the same rows in one transaction. Both use a file in
 * a temp dir opened by openDatabase (same schema, WAL, synchronous=FULL). Best of 3 runs each, interleaved.
 * Standalone: `node dist/bench/storage-throughput.js` prints the result as JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventHub } from '../node-daemon/core/events.js';
import { silentLogger } from '../node-daemon/core/log.js';
import type { Reading } from '../node-daemon/core/types.js';
import { openDatabase } from '../node-daemon/storage/database.js';
import { ReadingsWriter } from '../node-daemon/storage/readings-writer.js';
import type { BenchResult } from './result.js';


const SENSORS = 16;

function makeReadings(rows: number): Reading[] {
  const t0 = Date.UTC(2025, 0, 1);
  return Array.from({ length: rows }, (_, i) => ({
    sensorId: `sensor-${String(i % SENSORS).padStart(2, '0')}`,
    ts: t0 + Math.floor(i / SENSORS) * 60_000,
    value: 1 + (i % 1000) / 1000,
    quality: 'good' as const,
  }));
}

function withTempDb<T>(fn: (db: ReturnType<typeof openDatabase>['db']) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-'));
  const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
  return fn(db).finally(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

async function oursOnce(readings: readonly Reading[], batchSize: number): Promise<number> {
  return withTempDb(async (db) => {
    const hub = new EventHub();
    const writer = new ReadingsWriter({ db, hub, log: silentLogger(), batchSize, flushIntervalMs: 500 });
    await writer.start();
    let committed = 0;
    const done = new Promise<void>((resolve) =>
      hub.stored$.subscribe((e) => {
        committed += e.readings.length;
        if (committed >= readings.length) resolve();
      }),
    );
    const start = performance.now();
    for (const r of readings) hub.reading$.next(r);
    await done;
    const seconds = (performance.now() - start) / 1000;
    await writer.stop();
    return readings.length / seconds;
  });
}

async function peerOnce(readings: readonly Reading[]): Promise<number> {
  return withTempDb(async (db) => {
    const insert = db.prepare('INSERT INTO readings (sensor_id, ts, value, quality) VALUES (?, ?, ?, ?)');
    const start = performance.now();
    db.transaction(() => {
      for (const r of readings) insert.run(r.sensorId, r.ts, r.value, 0);
    })();
    const seconds = (performance.now() - start) / 1000;
    return readings.length / seconds;
  });
}

export async function benchStorage(opts: { rows?: number; batchSize?: number } = {}): Promise<BenchResult> {
  const rows = opts.rows ?? 100_000;
  // The largest batch the config allows: the writer's cost per reading, not the fsync per batch, is what we measure.
  const batchSize = opts.batchSize ?? 10_000;
  const readings = makeReadings(rows);
  await oursOnce(readings.slice(0, 5_000), batchSize); // warm-up (JIT, page cache)
  await peerOnce(readings.slice(0, 5_000));
  let ours = 0;
  let peer = 0;
  for (let i = 0; i < 3; i++) {
    ours = Math.max(ours, await oursOnce(readings, batchSize));
    peer = Math.max(peer, await peerOnce(readings));
  }
  return {
    name: `storage: ${rows} readings via ReadingsWriter (batch ${batchSize}) vs bare prepared insert in one transaction`,
    ours: Math.round(ours),
    peer: Math.round(peer),
    ratio: Math.round((ours / peer) * 100) / 100,
    unit: 'readings/s',
    aim: '>= 0.5',
    note: 'at the default batch of 256 each batch pays its own fsync; that cost is durability, not the writer',
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchStorage().then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
