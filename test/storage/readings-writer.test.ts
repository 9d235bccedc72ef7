import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, tempDir, waitFor } from './storage-helpers.js';
import { EventHub, type StoredBatchEvent } from '../../node-daemon/core/events.js';
import type { Reading } from '../../node-daemon/core/types.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { ReadingsWriter, type ReadingsWriterOptions } from '../../node-daemon/storage/readings-writer.js';
import { RetentionJob } from '../../node-daemon/storage/retention-job.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(extra: Partial<ReadingsWriterOptions> = {}, dataDir?: string) {
  const t = dataDir === undefined ? tempDir() : undefined;
  if (t) cleanups.push(t.cleanup);
  const dir = dataDir ?? t?.dir ?? '';
  const logs = captureLogger();
  const { db, path } = openDatabase({ dataDir: dir, log: logs.log });
  const hub = new EventHub();
  const stored: StoredBatchEvent[] = [];
  hub.stored$.subscribe((e) => stored.push(e));
  const writer = new ReadingsWriter({ db, hub, log: logs.log, batchSize: 5, flushIntervalMs: 60_000, ...extra });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await writer.stop();
    db.close();
  };
  cleanups.push(close);
  return { dir, db, path, hub, writer, stored, logs, close };
}

function reading(i: number, sensorId = 's1'): Reading {
  return { sensorId, ts: 1_700_000_000_000 + i * 60_000, value: 1 + i / 1000, quality: 'good' };
}

/**
 * Caps the file at its current size and fills the free room of the readings table and its index with filler rows
 * (sensor ids starting with `~filler`), so the next reading the writer stores hits SQLITE_FULL.
 */
function fillDisk(db: Db): void {
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  const put = db.prepare("INSERT INTO readings (sensor_id, ts, value, quality) VALUES (?, 0, NULL, 1)");
  for (const size of [500, 50, 5, 0]) {
    for (;;) {
      try {
        put.run(`~filler${'x'.repeat(size)}`);
      } catch (err) {
        expect((err as { code?: string }).code).toBe('SQLITE_FULL');
        break;
      }
    }
  }
}

const REAL = "sensor_id NOT LIKE '~filler%'";

function count(db: Db, table: string): number {
  return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

describe('ReadingsWriter', () => {
  it('commits batchSize readings in one transaction and announces them only after the commit', async () => {
    const s = setup();
    const other = new Database(s.path, { readonly: true });
    cleanups.push(() => void other.close());
    const seenByOtherConnection: number[] = [];
    s.hub.stored$.subscribe((e) => {
      const ids = e.readings.map((r) => r.id);
      seenByOtherConnection.push(
        other.prepare(`SELECT count(*) FROM readings WHERE id IN (${ids.join(',')})`).pluck().get() as number,
      );
    });
    await s.writer.start();
    for (let i = 0; i < 4; i++) s.hub.reading$.next(reading(i, i % 2 === 0 ? 'b' : 'a'));
    expect(s.stored).toHaveLength(0);
    expect(count(s.db, 'readings')).toBe(0);
    expect(s.writer.status().pendingWrites).toBe(4);

    s.hub.reading$.next(reading(4, 'b'));
    expect(s.stored).toHaveLength(1);
    expect(seenByOtherConnection).toEqual([5]); // committed: visible to another connection when announced
    const batch = s.stored[0];
    expect(batch?.readings.map((r) => r.sensorId)).toEqual(['b', 'a', 'b', 'a', 'b']);
    expect(batch?.readings.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(count(s.db, 'change_log')).toBe(1);
    const log = s.db.prepare('SELECT seq, kind, payload FROM change_log').get() as { seq: number; kind: string; payload: string };
    expect(batch?.seq).toBe(log.seq);
    expect(log.kind).toBe('readings');
    expect(JSON.parse(log.payload)).toEqual({ firstId: 1, lastId: 5, count: 5 });
    expect(s.logs.events('readings.stored')).toEqual([
      expect.objectContaining({ event: 'readings.stored', count: 5, lastId: 5, seq: log.seq }),
    ]);
    expect(s.writer.status()).toMatchObject({ ok: true, pendingWrites: 0, lastSeq: log.seq, lastError: null });
  });

  it('flushes a partial batch after flushIntervalMs, and stop() flushes what is pending', async () => {
    const s = setup({ batchSize: 100, flushIntervalMs: 30 });
    await s.writer.start();
    s.hub.reading$.next(reading(1));
    s.hub.reading$.next({ ...reading(2), value: null, quality: 'comm_fail', detail: 'timeout' });
    await waitFor(() => s.stored.length === 1, 5_000, 'timer flush');
    expect(s.stored[0]?.readings).toEqual([
      { id: 1, ...reading(1) },
      { id: 2, sensorId: 's1', ts: reading(2).ts, value: null, quality: 'comm_fail' },
    ]);
    s.hub.reading$.next(reading(3));
    await s.writer.stop();
    expect(s.stored).toHaveLength(2);
    expect(count(s.db, 'readings')).toBe(3);
    s.hub.reading$.next(reading(4)); // after stop: not listening
    expect(s.writer.status().pendingWrites).toBe(0);
  });

  it('rejects malformed readings with an error log and keeps the rest', async () => {
    const s = setup({ batchSize: 2 });
    await s.writer.start();
    s.hub.reading$.next({ ...reading(1), value: Number.NaN });
    s.hub.reading$.next({ ...reading(2), ts: 1.5 });
    s.hub.reading$.next(reading(3));
    s.hub.reading$.next(reading(4));
    expect(s.logs.events('readings.rejected')).toHaveLength(2);
    expect(s.stored.flatMap((b) => b.readings.map((r) => r.ts))).toEqual([reading(3).ts, reading(4).ts]);
  });

  it('keeps change-log seq and reading ids strictly increasing across restarts, even after retention empties the table', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const seqs: number[] = [];
    const ids: number[] = [];
    for (let run = 0; run < 3; run++) {
      const s = setup({ batchSize: 3 }, t.dir);
      await s.writer.start();
      for (let i = 0; i < 7; i++) s.hub.reading$.next(reading(run * 10 + i));
      await s.close();
      seqs.push(...s.stored.map((b) => b.seq));
      ids.push(...s.stored.flatMap((b) => b.readings.map((r) => r.id)));
      if (run === 1) {
        // Everything is old: retention folds and deletes every raw reading and prunes the change log.
        const { log } = captureLogger();
        const { db } = openDatabase({ dataDir: t.dir, log });
        const job = new RetentionJob({ db, log, rawRetentionDays: 1, clock: () => Date.UTC(2030, 0, 1) });
        const result = await job.runOnce();
        expect(result?.deletedReadings).toBe(14);
        expect(count(db, 'readings')).toBe(0);
        db.prepare('DELETE FROM change_log').run();
        db.close();
      }
    }
    expect(seqs.length).toBe(9);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? Infinity);
    expect(ids).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('survives a full disk: keeps the batch, reports the error, retries and loses nothing', async () => {
    const s = setup({ batchSize: 50, retryInitialMs: 20, retryMaxMs: 80 });
    await s.writer.start();
    for (let i = 0; i < 50; i++) s.hub.reading$.next(reading(i));
    expect(s.stored).toHaveLength(1);
    fillDisk(s.db);

    for (let i = 50; i < 2_050; i++) s.hub.reading$.next(reading(i, `sensor-with-a-long-name-${i % 7}`));
    await waitFor(() => s.writer.status().consecutiveFailures >= 2, 5_000, 'retries');
    const failing = s.writer.status();
    expect(failing.ok).toBe(false);
    expect(failing.lastError?.code).toBe('SQLITE_FULL');
    expect(failing.pendingWrites).toBe(2_000);
    expect(failing.droppedReadings).toBe(0);
    expect(s.stored).toHaveLength(1);
    expect(s.logs.events('storage.write_failed')[0]).toMatchObject({ level: 'error', code: 'SQLITE_FULL', pending: 50 });

    s.db.pragma('max_page_count = 1000000');
    await waitFor(() => s.writer.status().pendingWrites === 0, 5_000, 'recovery');
    const recovered = s.writer.status();
    expect(recovered).toMatchObject({ ok: true, consecutiveFailures: 0, droppedReadings: 0 });
    expect(recovered.lastError?.code).toBe('SQLITE_FULL');
    expect(s.db.prepare(`SELECT count(*) FROM readings WHERE ${REAL}`).pluck().get()).toBe(2_050);
    const storedTs = s.stored.flatMap((b) => b.readings.map((r) => r.ts)).sort((a, b) => a - b);
    expect(storedTs).toEqual(Array.from({ length: 2_050 }, (_, i) => reading(i).ts));
    expect(s.logs.events('storage.recovered')).toHaveLength(1);
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('bounds the in-memory backlog while writes fail, dropping the oldest with an error log', async () => {
    const s = setup({ batchSize: 10, maxPending: 40, retryInitialMs: 20, retryMaxMs: 40 });
    await s.writer.start();
    fillDisk(s.db);
    for (let i = 0; i < 200; i++) s.hub.reading$.next(reading(i, `a-sensor-name-long-enough-to-fill-pages-${i}`));
    const st = s.writer.status();
    expect(st.pendingWrites).toBe(40);
    expect(st.droppedReadings).toBe(160);
    expect(s.logs.events('storage.backlog_full')).toHaveLength(1);
    expect(s.logs.events('storage.backlog_full')[0]?.level).toBe('error');

    s.db.pragma('max_page_count = 1000000');
    await waitFor(() => s.writer.status().pendingWrites === 0, 5_000, 'recovery');
    const tsStored = s.db.prepare(`SELECT ts FROM readings WHERE ${REAL} ORDER BY ts`).pluck().all();
    expect(tsStored).toEqual(Array.from({ length: 40 }, (_, i) => reading(160 + i).ts));
  });
});
