import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger, tempDir } from './storage-helpers.js';
import { DB_FILE_NAME, openDatabase, PAGE_CACHE_KIB } from '../../node-daemon/storage/database.js';
import { databaseId, MIGRATIONS, migrate, userVersion } from '../../node-daemon/storage/migrations.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('openDatabase', () => {
  it('creates the schema from empty with durable pragmas, and re-opens without migrating again', () => {
    const dataDir = join(dir(), 'nested', 'data');
    const first = captureLogger();
    const a = openDatabase({ dataDir, log: first.log });
    expect(a.path).toBe(join(dataDir, DB_FILE_NAME));
    expect(userVersion(a.db)).toBe(MIGRATIONS.length);
    expect(a.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(a.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(a.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(a.db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    // SQLite's own 2 MiB page cache, not better-sqlite3's 16 MiB (which filled over a day: issue #16).
    expect(new Database(':memory:').pragma('cache_size', { simple: true })).toBe(-16000);
    expect(a.db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(PAGE_CACHE_KIB).toBe(2048);
    const tables = a.db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['readings', 'readings_sensor_ts', 'change_log', 'aggregates_15m', 'meta']));
    expect(first.events('storage.migrated').map((l) => l.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const id = databaseId(a.db);
    a.db.prepare("INSERT INTO readings (sensor_id, ts, value, quality) VALUES ('s', 1, 1.5, 0)").run();
    a.db.close();

    const second = captureLogger();
    const b = openDatabase({ dataDir, log: second.log });
    expect(second.events('storage.migrated')).toHaveLength(0);
    expect(second.events('storage.quick_check')[0]?.result).toBe('ok');
    expect(databaseId(b.db)).toBe(id);
    expect(b.db.prepare('SELECT count(*) FROM readings').pluck().get()).toBe(1);
    b.db.close();
  });

  it('moves a corrupt database aside, logs an error and starts fresh', () => {
    const dataDir = dir();
    writeFileSync(join(dataDir, DB_FILE_NAME), Buffer.alloc(8192, 0x5a));
    const { log, events } = captureLogger();
    const opened = openDatabase({ dataDir, log, clock: () => 1_700_000_000_000 });
    expect(opened.corruptMovedTo).toBe(join(dataDir, `${DB_FILE_NAME}.corrupt-1700000000000`));
    expect(existsSync(opened.corruptMovedTo ?? '')).toBe(true);
    const err = events('storage.corrupt')[0];
    expect(err?.level).toBe('error');
    expect(String(err?.problem)).toMatch(/NOTADB|not a database/i);
    expect(opened.db.pragma('quick_check', { simple: true })).toBe('ok');
    expect(userVersion(opened.db)).toBe(MIGRATIONS.length);
    opened.db.close();
  });

  it('keeps sequence numbers above those of a damaged file it can still read', () => {
    const dataDir = dir();
    const first = openDatabase({ dataDir, log: captureLogger().log });
    const ins = first.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (1, 'readings', '{}')");
    for (let i = 0; i < 500; i++) ins.run();
    const filler = first.db.prepare("INSERT INTO readings (sensor_id, ts, value, quality) VALUES ('s', ?, ?, 0)");
    first.db.transaction(() => {
      for (let i = 0; i < 5_000; i++) filler.run(i, i / 7);
    })();
    const rootPage = first.db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'readings_sensor_ts'").pluck().get() as number;
    first.db.pragma('wal_checkpoint(TRUNCATE)');
    first.db.close();
    // Damage the index's root page: quick_check fails, but sqlite_sequence is still readable.
    const path = join(dataDir, DB_FILE_NAME);
    const fd = new Database(path);
    const pageSize = fd.pragma('page_size', { simple: true }) as number;
    fd.close();
    const handle = openSync(path, 'r+');
    writeSync(handle, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootPage - 1) * pageSize);
    closeSync(handle);

    const { log, events } = captureLogger();
    const reopened = openDatabase({ dataDir, log, clock: () => 42 });
    expect(events('storage.corrupt')).toHaveLength(1);
    expect(readdirSync(dataDir)).toContain(`${DB_FILE_NAME}.corrupt-42`);
    const seq = reopened.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (2, 'readings', '{}')").run().lastInsertRowid;
    expect(Number(seq)).toBe(501);
    const id = reopened.db.prepare("INSERT INTO readings (sensor_id, ts, value, quality) VALUES ('s', 1, 1, 0)").run().lastInsertRowid;
    expect(Number(id)).toBe(5_001);
    reopened.db.close();
  });

  it('refuses a database made by newer software', () => {
    const dataDir = dir();
    const a = openDatabase({ dataDir, log: captureLogger().log });
    a.db.pragma('user_version = 99');
    expect(() => migrate(a.db, captureLogger().log)).toThrow(/newer than this software/);
    a.db.close();
  });
});
