import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { silentLogger } from '../core/log.js';
import { DB_FILE_NAME, openDatabase, raiseCounters, readCounters } from '../storage/database.js';
import { MIGRATIONS } from '../storage/migrations.js';
import { ensureSyncDir, enrolmentPaths, writeFileAtomic } from '../sync/enrol/files.js';
import { RESTORE_META_KEY, restoreMark } from '../sync/restore-floor.js';
import { decryptFile, deriveKey } from './encrypt.js';
import { BackupRefused, readManifest, verifyFiles, type Manifest } from './manifest.js';

/**
 * `fenghuo restore FROM`: checks the backup (manifest, every file's size and sha256, schema version, passphrase)
 * before touching the data dir, then puts the database and the identity in place. An existing database is moved
 * aside (`fenghuo.db.before-restore-<utc ms>`), never deleted, and only with `force`. The daemon must be stopped: a
 * database some process has open (the daemon holds its connection for as long as it runs) is refused.
 */

/** The daemon (or another program) has the data dir's database open. */
export class DatabaseInUse extends Error {}

export interface RestoreOptions {
  readonly from: string;
  readonly dataDir: string;
  readonly passphrase?: string;
  readonly force?: boolean;
  readonly now?: () => number;
}

export interface RestoreResult {
  readonly dataDir: string;
  readonly manifest: Manifest;
  readonly schemaFrom: number;
  readonly schemaTo: number;
  readonly readings: number;
  readonly openAlarms: number;
  readonly users: number;
  readonly identity: readonly string[];
  readonly movedAside: readonly string[];
}

export function latestSchemaVersion(): number {
  return MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws DatabaseInUse when any connection has `path` open: an exclusive lock (locking_mode EXCLUSIVE, BEGIN
 * EXCLUSIVE, no busy wait) cannot be had while another connection holds even the shared lock a WAL reader keeps from
 * its first read until it closes; the running daemon always has one.
 */
export function assertNotInUse(path: string): void {
  if (!existsSync(path)) return;
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('SQLITE_BUSY')) {
      throw new DatabaseInUse(`${path} is in use: stop the daemon first (sudo systemctl stop fenghuo), then restore`);
    }
    throw err;
  } finally {
    db.close();
  }
}

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const now = opts.now ?? Date.now;
  const from = resolve(opts.from);
  const dataDir = resolve(opts.dataDir);

  // 1. The backup, checked whole before anything is touched.
  const manifest = readManifest(from);
  await verifyFiles(from, manifest);
  const latest = latestSchemaVersion();
  if (manifest.schemaVersion > latest) {
    throw new BackupRefused(
      `${from} comes from a newer fenghuo (${manifest.fenghuoVersion}, database schema ${manifest.schemaVersion}); this one knows schema ${latest}: update fenghuo first, then restore`,
    );
  }
  const identity = new Map<string, Buffer>();
  if (manifest.identity.state === 'encrypted') {
    if (opts.passphrase === undefined) throw new BackupRefused(`the box's identity in ${from} is encrypted: give its passphrase with --passphrase-file FILE or --passphrase-env VAR`);
    const key = deriveKey(opts.passphrase, manifest.identity.kdf);
    try {
      for (const rel of manifest.identity.files) {
        const name = rel.replace(/^sync\//, '').replace(/\.enc$/, '');
        if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) throw new BackupRefused(`${from}: identity file ${rel} has a bad name`);
        identity.set(name, decryptFile(key, rel, readFileSync(join(from, ...rel.split('/')))));
      }
    } finally {
      key.fill(0);
    }
  }
  // Check the database copy itself (its schema version may differ from what the manifest says if it was edited).
  const probe = new Database(join(from, manifest.database.file), { readonly: true, fileMustExist: true });
  let schemaFrom: number;
  try {
    schemaFrom = probe.pragma('user_version', { simple: true }) as number;
  } finally {
    probe.close();
  }
  if (schemaFrom > latest) throw new BackupRefused(`${from}: its database has schema ${schemaFrom}, newer than this fenghuo knows (${latest}): update fenghuo first, then restore`);

  // 2. The data dir: empty, or --force (and not in use).
  const dbPath = join(dataDir, DB_FILE_NAME);
  if (!isEmptyDir(dataDir) && opts.force !== true) {
    throw new BackupRefused(`${dataDir} is not empty: restore onto an empty data dir, or give --force (the database there is moved aside, not deleted)`);
  }
  assertNotInUse(dbPath);
  mkdirSync(dataDir, { recursive: true });
  const stamp = now();
  const movedAside: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(dbPath + suffix)) {
      const aside = `${dbPath}.before-restore-${stamp}${suffix}`;
      renameSync(dbPath + suffix, aside);
      movedAside.push(aside);
    }
  }
  const syncDir = enrolmentPaths(dataDir).dir;
  if (identity.size > 0 && existsSync(syncDir) && readdirSync(syncDir).length > 0) {
    const aside = `${syncDir}.before-restore-${stamp}`;
    renameSync(syncDir, aside);
    movedAside.push(aside);
  }

  try {
    return await putInPlace(from, dataDir, manifest, identity, schemaFrom, movedAside, stamp);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const kept = movedAside.length > 0 ? `; what was there before is kept: ${movedAside.join(', ')}` : '';
    throw new Error(`restore failed: ${message}${kept}`, { cause: err });
  }
}

async function putInPlace(
  from: string,
  dataDir: string,
  manifest: Manifest,
  identity: ReadonlyMap<string, Buffer>,
  schemaFrom: number,
  movedAside: readonly string[],
  at: number,
): Promise<RestoreResult> {
  const dbPath = join(dataDir, DB_FILE_NAME);
  const syncDir = enrolmentPaths(dataDir).dir;
  // 3. The database: copied beside its place, synced, renamed; then opened the daemon's way (migrations forward).
  const tmp = join(dataDir, `.${DB_FILE_NAME}.restore-${process.pid}.tmp`);
  try {
    copyFileSync(join(from, manifest.database.file), tmp);
    fsyncPath(tmp);
    renameSync(tmp, dbPath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncPath(dataDir);
  const opened = openDatabase({ dataDir, log: silentLogger(), quickCheckAtOpenMaxBytes: Number.MAX_SAFE_INTEGER });
  let schemaTo: number;
  let readings: number;
  let openAlarms: number;
  let users: number;
  try {
    const db = opened.db;
    if (opened.corruptMovedTo !== undefined) throw new Error(`the restored database failed its check and was moved to ${opened.corruptMovedTo}`);
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (integrity.length !== 1 || integrity[0] !== 'ok') throw new Error(`the restored database failed integrity_check: ${integrity.slice(0, 5).join('; ')}`);
    schemaTo = db.pragma('user_version', { simple: true }) as number;
    const count = (sql: string): number => (db.prepare(sql).pluck().get() as number | undefined) ?? 0;
    readings = count('SELECT COUNT(*) FROM readings');
    openAlarms = count("SELECT COUNT(*) FROM alarms WHERE state != 'cleared'");
    users = count('SELECT COUNT(*) FROM users');
    // The county hub already holds numbers past this backup's (sync/restore-floor.ts says why and how far).
    const mark = restoreMark(at, manifest.database.changeLogSeq, readCounters(db));
    db.transaction(() => {
      raiseCounters(db, mark.floor);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(RESTORE_META_KEY, JSON.stringify(mark));
    })();
  } finally {
    opened.db.close();
  }

  // 4. The identity (each file atomically, 0600, in a 0700 sync/).
  if (identity.size > 0) {
    ensureSyncDir(dataDir);
    for (const [name, data] of identity) writeFileAtomic(join(syncDir, name), data.toString('utf8'));
  }
  return { dataDir, manifest, schemaFrom, schemaTo, readings, openAlarms, users, identity: [...identity.keys()].sort(), movedAside };
}
