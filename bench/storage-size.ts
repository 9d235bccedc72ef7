/**
 * Size of the database per sensor-year: `sensors` sensors polled every 60 s for a simulated year through the real
 * ReadingsWriter (one batch per poll round, as in the field), with the real RetentionJob run once a simulated day
 * (raw kept 90 days, older folded into 15-minute aggregates). Reports bytes per raw reading, per aggregate, per
 * sensor-year and how many sensor-years fit in 16 GB. `synchronous` is turned off here: it changes speed, not size.
 * Standalone: `node dist/bench/storage-size.js [sensors] [days]` prints JSON.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventHub } from '../node-daemon/core/events.js';
import { silentLogger } from '../node-daemon/core/log.js';
import { openDatabase } from '../node-daemon/storage/database.js';
import { ReadingsWriter } from '../node-daemon/storage/readings-writer.js';
import { RetentionJob } from '../node-daemon/storage/retention-job.js';
import { DAY_MS } from '../node-daemon/storage/retention.js';

export interface StorageSizeResult {
  sensors: number;
  days: number;
  pollSeconds: number;
  rawRetentionDays: number;
  rawRows: number;
  aggregateRows: number;
  changeLogRows: number;
  fileBytes: number;
  freelistBytes: number;
  bytesPerRawReading: number;
  bytesPerAggregate: number;
  changeLogBytesPerRawReading: number;
  bytesPerSensorYear: number;
  sensorYearsIn16GB: number;
  objects: Record<string, number>;
}

export async function measureStorageSize(opts: { sensors?: number; days?: number } = {}): Promise<StorageSizeResult> {
  const sensors = opts.sensors ?? 4;
  const days = opts.days ?? 365;
  const pollSeconds = 60;
  const rawRetentionDays = 90;
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-size-'));
  const { db, path } = openDatabase({ dataDir: dir, log: silentLogger() });
  try {
    db.pragma('synchronous = OFF');
    const t0 = Date.UTC(2024, 0, 1);
    let now = t0;
    const clock = (): number => now;
    const hub = new EventHub();
    const writer = new ReadingsWriter({ db, hub, log: silentLogger(), batchSize: sensors, flushIntervalMs: 500, clock });
    const retention = new RetentionJob({ db, log: silentLogger(), rawRetentionDays, clock });
    await writer.start();
    const ids = Array.from({ length: sensors }, (_, k) => `river-gauge-${k + 1}`);
    let seed = 12345;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const rounds = (days * DAY_MS) / (pollSeconds * 1000);
    for (let i = 0; i < rounds; i++) {
      now = t0 + i * pollSeconds * 1000;
      for (let k = 0; k < sensors; k++) {
        const level = 2 + Math.sin(now / (DAY_MS * 3) + k) * 0.8 + noise() * 0.02;
        if (noise() < -0.49) hub.reading$.next({ sensorId: ids[k] ?? 'x', ts: now, value: null, quality: 'comm_fail' });
        else hub.reading$.next({ sensorId: ids[k] ?? 'x', ts: now, value: Math.round(level * 1000) / 1000, quality: 'good' });
      }
      if ((i + 1) % (DAY_MS / (pollSeconds * 1000)) === 0) await retention.runOnce();
    }
    await writer.stop();
    await retention.runOnce();
    db.pragma('wal_checkpoint(TRUNCATE)');

    const objects = Object.fromEntries(
      (db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[]).map(
        (r) => [r.name, r.bytes],
      ),
    );
    const count = (t: string): number => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    const rawRows = count('readings');
    const aggregateRows = count('aggregates_15m');
    const changeLogRows = count('change_log');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const freelistBytes = (db.pragma('freelist_count', { simple: true }) as number) * pageSize;
    const fileBytes = statSync(path).size;
    const rawBytes = (objects.readings ?? 0) + (objects.readings_sensor_ts ?? 0);
    const perSensorYear = (fileBytes * 365) / days / sensors;
    return {
      sensors,
      days,
      pollSeconds,
      rawRetentionDays,
      rawRows,
      aggregateRows,
      changeLogRows,
      fileBytes,
      freelistBytes,
      bytesPerRawReading: Math.round((rawBytes / rawRows) * 10) / 10,
      bytesPerAggregate: Math.round(((objects.aggregates_15m ?? 0) / aggregateRows) * 10) / 10,
      changeLogBytesPerRawReading: Math.round(((objects.change_log ?? 0) / rawRows) * 10) / 10,
      bytesPerSensorYear: Math.round(perSensorYear),
      sensorYearsIn16GB: Math.floor(16e9 / perSensorYear),
      objects,
    };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [sensors, days] = process.argv.slice(2).map(Number);
  measureStorageSize({ sensors, days }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
