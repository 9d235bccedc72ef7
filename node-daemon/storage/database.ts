import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/types.js';
import { checkFailedMarker, clearCheckFailedMarker } from './integrity-check.js';
import { migrate } from './migrations.js';

export type Db = Database.Database;

export const DB_FILE_NAME = 'fenghuo.db';

export interface OpenDatabaseOptions {
  /** Directory holding `fenghuo.db` (created if missing). */
  readonly dataDir: string;
  readonly log: Logger;
  /** Names the file a corrupt database is moved to. */
  readonly clock?: Clock;
  /** How long a statement waits for a lock held by another connection (e.g. the CLI) before SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
  /**
   * A file (with its WAL) up to this size gets the full quick_check at open; a larger one only the checks whose cost
   * does not grow with it, and its quick_check is left to the caller (`deferredCheck`). Default 4 MiB.
   */
  readonly quickCheckAtOpenMaxBytes?: number;
}

export interface OpenedDatabase {
  readonly db: Db;
  readonly path: string;
  /** Where a corrupt database found at boot was moved to (a fresh one was created), if that happened. */
  readonly corruptMovedTo?: string;
  /**
   * True when the file was too large for quick_check at open: the caller runs it in the background
   * (integrity-check.ts, BackgroundIntegrityCheck; compose.ts does).
   */
  readonly deferredCheck: boolean;
}

/**
 * See OpenDatabaseOptions.quickCheckAtOpenMaxBytes: a bound on what the open reads (quick_check of a 33 MB year of
 * readings took 118 ms on the bench machine with the file cached; 4 MB reads in ~0.2 s from a slow SD card, cold).
 */
export const QUICK_CHECK_AT_OPEN_MAX_BYTES = 4 * 2 ** 20;

/**
 * Opens (or creates) `<dataDir>/fenghuo.db`, sets the durability pragmas, checks integrity and migrates the schema.
 *
 * Start-up does not grow with the data: `PRAGMA quick_check` reads every page, so it runs at open only while the file
 * is small (quickCheckAtOpenMaxBytes) or when the previous run's background check found damage (`<db>.check-failed`,
 * integrity-check.ts). Otherwise the open checks what it can at a constant cost (the header, the schema, a read of
 * every table's first rows, the migrations) and reports `deferredCheck` for a quick_check after start.
 *
 * A database that fails `PRAGMA quick_check` (or cannot be opened as a database at all) is moved aside, with its
 * -wal and -shm files, to `fenghuo.db.corrupt-<utc ms>` and a fresh one is created, with an error log line
 * `storage.corrupt`. We choose availability: during a flood the box must keep recording and alarming, and a restart
 * loop on a damaged file would record nothing. The damaged file is kept for a technician to recover. The change-log
 * sequence and reading ids of the fresh database are started above the highest ones still readable in the old file,
 * so consumers never see a number reused.
 */
export function openDatabase(opts: OpenDatabaseOptions): OpenedDatabase {
  const clock = opts.clock ?? systemClock;
  mkdirSync(opts.dataDir, { recursive: true });
  const path = join(opts.dataDir, DB_FILE_NAME);
  const fullCheck = !existsSync(path) || existsSync(checkFailedMarker(path)) || sizeWithWal(path) <= (opts.quickCheckAtOpenMaxBytes ?? QUICK_CHECK_AT_OPEN_MAX_BYTES);
  const problem = checkFile(path, opts.busyTimeoutMs, fullCheck);
  if (problem === undefined) {
    opts.log.info({ event: 'storage.quick_check', path, result: fullCheck ? 'ok' : 'deferred' }, fullCheck ? 'database quick_check ok' : 'database opened; quick_check runs after start');
    const db = openConfigured(path, opts.busyTimeoutMs);
    migrate(db, opts.log);
    if (fullCheck) clearCheckFailedMarker(path);
    return { db, path, deferredCheck: !fullCheck };
  }
  const movedTo = `${path}.corrupt-${clock()}`;
  const floor = readableCounters(path);
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  clearCheckFailedMarker(path);
  opts.log.error(
    { event: 'storage.corrupt', path, movedTo, problem, seqFloor: floor.seq, idFloor: floor.readingId },
    'database failed its integrity check: moved aside, starting a fresh one',
  );
  const db = openConfigured(path, opts.busyTimeoutMs);
  migrate(db, opts.log);
  seedCounters(db, floor);
  return { db, path, corruptMovedTo: movedTo, deferredCheck: false };
}

/** SQLite's page cache for the daemon's connection, KiB (upstream SQLite's default). */
export const PAGE_CACHE_KIB = 2048;

function openConfigured(path: string, busyTimeoutMs = 5_000): Db {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL');
    // In WAL mode synchronous=NORMAL only fsyncs the WAL at checkpoints, so the last commits before a power cut can
    // vanish (the file stays consistent, but a reading we already reported as stored would be gone). FULL fsyncs the
    // WAL on every commit, which is what lets `stored$` mean "on the medium". (This build defaults WAL to NORMAL.)
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Truncate the WAL after checkpoints so one burst does not leave a large file on the flash card.
    db.pragma('journal_size_limit = 16777216');
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection (upstream's default is 2 MiB): it fills
    // as readings accumulate, a slow 16 MB climb in resident memory over the first day (issue #16). The kernel's
    // page cache keeps the file's hot pages anyway; SQLite's own cache only saves it re-reading them.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function sizeWithWal(path: string): number {
  const size = (p: string): number => (existsSync(p) ? statSync(p).size : 0);
  return size(path) + size(`${path}-wal`);
}

/**
 * Returns why the file at `path` is unusable, or undefined if it is fine or absent. `full`: quick_check; otherwise
 * only what costs the same whatever the size: the header and schema (reading sqlite_master) and the root pages of
 * every table (its first row).
 */
function checkFile(path: string, busyTimeoutMs: number | undefined, full: boolean): string | undefined {
  if (!existsSync(path)) return undefined;
  let db: Db | undefined;
  try {
    db = openConfigured(path, busyTimeoutMs);
    if (!full) {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
      for (const t of tables) db.prepare(`SELECT * FROM "${t.replaceAll('"', '""')}" LIMIT 1`).all();
      return undefined;
    }
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const messages = rows.map((r) => r.quick_check);
    return messages.length === 1 && messages[0] === 'ok' ? undefined : messages.slice(0, 10).join('; ');
  } catch (err) {
    if (isCorruptionError(err)) return describe(err);
    throw err;
  } finally {
    db?.close();
  }
}

function isCorruptionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

interface Counters {
  readonly seq: number;
  readonly readingId: number;
}

/** Best effort: the highest sequence numbers a damaged file still lets us read (0 when it does not). */
function readableCounters(path: string): Counters {
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT name, seq FROM sqlite_sequence').all() as { name: string; seq: number }[];
    const get = (name: string): number => rows.find((r) => r.name === name)?.seq ?? 0;
    return { seq: get('change_log'), readingId: get('readings') };
  } catch {
    return { seq: 0, readingId: 0 };
  } finally {
    try {
      db?.close();
    } catch {
      // a damaged file may refuse to close cleanly; nothing more to do
    }
  }
}

/** The AUTOINCREMENT counters whose numbers leave the box (change-log seq, reading, alarm and transition ids). */
export const EXPORTED_COUNTER_TABLES = ['change_log', 'readings', 'alarms', 'alarm_transitions', 'settings_audit'] as const;
export type CounterTable = (typeof EXPORTED_COUNTER_TABLES)[number];
export type CounterValues = Readonly<Record<CounterTable, number>>;

/** The last number each exported counter gave out (0: none yet). */
export function readCounters(db: Db): CounterValues {
  const rows = db.prepare('SELECT name, seq FROM sqlite_sequence').all() as { name: string; seq: number }[];
  const get = (name: string): number => Number(rows.find((r) => r.name === name)?.seq ?? 0);
  return Object.fromEntries(EXPORTED_COUNTER_TABLES.map((t) => [t, get(t)])) as Record<CounterTable, number>;
}

/**
 * Raises each counter to at least its `floor` (the next number given out is above it), never lowers one: the same
 * floor mechanism as a corrupt file's replacement (seedCounters), for any of the exported counters. In one
 * transaction.
 */
export function raiseCounters(db: Db, floor: Partial<CounterValues>): void {
  const current = readCounters(db);
  const del = db.prepare('DELETE FROM sqlite_sequence WHERE name = ?');
  const put = db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');
  db.transaction(() => {
    for (const table of EXPORTED_COUNTER_TABLES) {
      const want = floor[table];
      if (want === undefined || want <= current[table]) continue;
      del.run(table);
      put.run(table, want);
    }
  })();
}

function seedCounters(db: Db, floor: Counters): void {
  const put = db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');
  db.transaction(() => {
    db.prepare("DELETE FROM sqlite_sequence WHERE name IN ('change_log', 'readings')").run();
    if (floor.seq > 0) put.run('change_log', floor.seq);
    if (floor.readingId > 0) put.run('readings', floor.readingId);
  })();
}
