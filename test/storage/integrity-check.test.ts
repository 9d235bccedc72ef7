// The deferred quick_check (issue #16 item 2): a database too large for quick_check at open is opened at a constant
// cost and checked after start in a worker thread; damage found there is logged, shown as a storage error and
// marked, and the next open checks the whole file and moves it aside as before.
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, tempDir } from './storage-helpers.js';
import { DB_FILE_NAME, openDatabase } from '../../node-daemon/storage/database.js';
import { BackgroundIntegrityCheck, checkFailedMarker, integrityError } from '../../node-daemon/storage/integrity-check.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A database with readings and change-log rows; returns the page number of the readings index's root. */
function filledDatabase(dataDir: string): number {
  const first = openDatabase({ dataDir, log: captureLogger().log });
  const ins = first.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (1, 'readings', '{}')");
  for (let i = 0; i < 300; i++) ins.run();
  const filler = first.db.prepare("INSERT INTO readings (sensor_id, ts, value, quality) VALUES ('s', ?, ?, 0)");
  first.db.transaction(() => {
    for (let i = 0; i < 5_000; i++) filler.run(i, i / 7);
  })();
  const rootPage = first.db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'readings_sensor_ts'").pluck().get() as number;
  first.db.pragma('wal_checkpoint(TRUNCATE)');
  first.db.close();
  return rootPage;
}

function damagePage(path: string, page: number): void {
  const probe = new Database(path, { readonly: true });
  const pageSize = probe.pragma('page_size', { simple: true }) as number;
  probe.close();
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
}

describe('quick_check off the start path', () => {
  it('a large healthy file is opened without quick_check and passes the background check', async () => {
    const dataDir = dir();
    filledDatabase(dataDir);
    const { log, events } = captureLogger();
    const opened = openDatabase({ dataDir, log, quickCheckAtOpenMaxBytes: 0 });
    expect(opened.deferredCheck).toBe(true);
    expect(events('storage.quick_check')[0]?.result).toBe('deferred');
    const check = new BackgroundIntegrityCheck({ dbPath: opened.path, log, clock: () => 5, delayMs: 60_000 });
    await check.start();
    const status = await check.runNow();
    expect(status.state).toBe('ok');
    expect(integrityError(status)).toBeUndefined();
    expect(events('storage.quick_check').map((l) => l.result)).toEqual(['deferred', 'ok']);
    expect(existsSync(checkFailedMarker(opened.path))).toBe(false);
    await check.stop();
    opened.db.close();
  });

  it('a small file is still checked at open', () => {
    const dataDir = dir();
    filledDatabase(dataDir);
    const { log, events } = captureLogger();
    const opened = openDatabase({ dataDir, log });
    expect(opened.deferredCheck).toBe(false);
    expect(events('storage.quick_check')[0]?.result).toBe('ok');
    opened.db.close();
  });

  it('a damaged page found by the background check is reported, and the next open moves the file aside', async () => {
    const dataDir = dir();
    const rootPage = filledDatabase(dataDir);
    const path = join(dataDir, DB_FILE_NAME);
    damagePage(path, rootPage);

    // Open: the damage is in an index, which the constant-cost checks at open do not read.
    const run1 = captureLogger();
    const opened = openDatabase({ dataDir, log: run1.log, quickCheckAtOpenMaxBytes: 0, clock: () => 7 });
    expect(opened.deferredCheck).toBe(true);
    expect(opened.corruptMovedTo).toBeUndefined();
    const check = new BackgroundIntegrityCheck({ dbPath: opened.path, log: run1.log, clock: () => 1_000 });
    const status = await check.runNow();
    expect(status.state).toBe('failed');
    expect(status.problem).toBeTruthy();
    const found = run1.events('storage.corrupt_found');
    expect(found).toHaveLength(1);
    expect(found[0]?.level).toBe('error');
    expect(integrityError(status)).toMatch(/integrity check failed/);
    expect(existsSync(checkFailedMarker(path))).toBe(true);
    await check.stop();
    opened.db.close();

    // Next start: the marker asks for the full check at open, whatever the size; the file fails it and is moved aside.
    const run2 = captureLogger();
    const reopened = openDatabase({ dataDir, log: run2.log, quickCheckAtOpenMaxBytes: 0, clock: () => 42 });
    expect(reopened.corruptMovedTo).toBe(`${path}.corrupt-42`);
    expect(reopened.deferredCheck).toBe(false);
    expect(run2.events('storage.corrupt')).toHaveLength(1);
    expect(readdirSync(dataDir)).toContain(`${DB_FILE_NAME}.corrupt-42`);
    expect(existsSync(checkFailedMarker(path))).toBe(false);
    // Counters continue above the damaged file's, as for damage found at open.
    const seq = reopened.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (2, 'readings', '{}')").run().lastInsertRowid;
    expect(Number(seq)).toBe(301);
    reopened.db.close();
  });

  it('a file that is not a database is still moved aside at open, however large the threshold says it is', () => {
    const dataDir = dir();
    const path = join(dataDir, DB_FILE_NAME);
    const fd = openSync(path, 'w');
    writeSync(fd, Buffer.alloc(65_536, 0x5a));
    closeSync(fd);
    const { log, events } = captureLogger();
    const opened = openDatabase({ dataDir, log, quickCheckAtOpenMaxBytes: 0, clock: () => 9 });
    expect(opened.corruptMovedTo).toBe(`${path}.corrupt-9`);
    expect(String(events('storage.corrupt')[0]?.problem)).toMatch(/NOTADB|not a database/i);
    opened.db.close();
  });
});
