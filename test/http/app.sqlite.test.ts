import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, expect, it } from 'vitest';
import { configSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { Reading } from '../../node-daemon/core/types.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { storageHealthFrom } from '../../node-daemon/health/storage-health.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { createApp } from '../../node-daemon/http/app.js';
import type { AggregatesResponse, RawReadingsResponse } from '../../node-daemon/http/schemas.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('serves readings written to a real SQLite file, raw and as 15-minute aggregates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-api-sqlite-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = silentLogger();
  const t0 = Date.UTC(2024, 6, 1, 0, 0, 0);
  const now = t0 + 3_600_000;
  const { db } = openDatabase({ dataDir: dir, log });
  cleanups.push(() => void db.close());
  const hub = new EventHub();
  const writer = new ReadingsWriter({ db, hub, log, batchSize: 60, flushIntervalMs: 50, clock: () => now });
  await writer.start();
  cleanups.push(() => writer.stop());

  const config = configSchema.parse({
    buses: [{ id: 'gw', type: 'tcp', host: '127.0.0.1' }],
    sensors: [{ id: 'river', bus: 'gw', slave: 1, profile: 'submersible-level', pollIntervalMs: 60_000 }],
  });
  const registry = new StatusRegistry({
    config,
    hub,
    busCounters: new Map(),
    storageStatus: () => storageHealthFrom(writer.status()),
    dataDir: dir,
    clock: () => now,
  });
  cleanups.push(() => registry.stop());
  const app = createApp({ sensors: config.sensors, health: registry, readings: new SqliteReadingsReader(db), log, clock: () => now });

  const committed = firstValueFrom(hub.stored$.pipe(filter((e) => e.readings.some((r) => r.ts === t0 + 59 * 60_000))));
  for (let i = 0; i < 60; i++) {
    const reading: Reading = { sensorId: 'river', ts: t0 + i * 60_000, value: i / 4, quality: 'good' };
    hub.reading$.next(reading);
  }
  await committed;

  const raw = (await (await app.request(`/api/v1/sensors/river/readings?from=2024-07-01T08:10:00%2B08:00&limit=5`)).json()) as RawReadingsResponse;
  expect(raw.readings.map((r) => [r.iso, r.value])).toEqual([
    ['2024-07-01T00:10:00.000Z', 2.5],
    ['2024-07-01T00:11:00.000Z', 2.75],
    ['2024-07-01T00:12:00.000Z', 3],
    ['2024-07-01T00:13:00.000Z', 3.25],
    ['2024-07-01T00:14:00.000Z', 3.5],
  ]);
  expect(raw).toMatchObject({ truncated: true, nextFrom: t0 + 15 * 60_000 });

  const agg = (await (await app.request(`/api/v1/sensors/river/readings?resolution=15m&from=${t0}`)).json()) as AggregatesResponse;
  expect(agg.aggregates.map((a) => [a.bucket - t0, a.count, a.min, a.max])).toEqual([
    [0, 15, 0, 3.5],
    [15 * 60_000, 15, 3.75, 7.25],
    [30 * 60_000, 15, 7.5, 11],
    [45 * 60_000, 15, 11.25, 14.75],
  ]);

  const health = (await (await app.request('/api/v1/health')).json()) as { storage: { lastCommitTs?: number; pendingWrites: number } };
  expect(health.storage).toEqual({ lastCommitTs: now, pendingWrites: 0 });
});
