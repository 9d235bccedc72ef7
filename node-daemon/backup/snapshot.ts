import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { packageVersion } from '../health/package-version.js';
import { DB_FILE_NAME } from '../storage/database.js';
import { enrolmentPaths } from '../sync/enrol/files.js';
import { deriveKey, encryptFile, newKdfParams } from './encrypt.js';
import { BACKUP_DB_FILE, describeFile, MANIFEST_FILE, MANIFEST_FORMAT, PARTIAL_SUFFIX, type FileEntry, type Manifest } from './manifest.js';

/**
 * `fenghuo backup`: a consistent copy of a box's data while its daemon runs.
 *
 * The database is copied with SQLite's online backup API (better-sqlite3 `backup()`, on a read-only connection of
 * its own): pages are read inside read transactions, so the copy is one committed state of the database, whatever the
 * daemon writes meanwhile (WAL: the daemon's writes are not held up). Everything is written into
 * `<to>/<name>.<pid>.partial/` and renamed to `<to>/<name>/` only once the manifest (written last) is on disk; a
 * backup killed half-way leaves a `.partial` directory that restore refuses and the next backup removes.
 */

export class BackupUsageError extends Error {}

export interface BackupOptions {
  readonly dataDir: string;
  /** Folder that receives the backup directory; default `<data>/backups`. */
  readonly to?: string;
  readonly configPath?: string;
  /** Encrypts the identity files; without one they are left out. */
  readonly passphrase?: string;
  readonly now?: () => number;
  /**
   * `to` must be an existing folder (scheduled backups): a missing one is an error rather than created, since a
   * missing `/media/usb/fenghuo` usually means the USB stick is not plugged in and the folder would land on the SD card.
   */
  readonly requireFolder?: boolean;
}

export interface BackupResult {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly bytes: number;
}

export const BACKUP_NAME_PREFIX = 'fenghuo-backup-';
/** Test hook: milliseconds to sleep between the steps of a backup (only so a test can kill it half-way). */
export const TEST_STEP_DELAY_ENV = 'FENGHUO_BACKUP_TEST_STEP_DELAY_MS';

/** `fenghuo-backup-YYYYMMDD-HHMMSSZ` of a UTC time. */
export function backupName(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${BACKUP_NAME_PREFIX}${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}Z`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stepDelay(): Promise<void> {
  const ms = Number(process.env[TEST_STEP_DELAY_ENV] ?? 0);
  if (Number.isFinite(ms) && ms > 0) await sleep(ms);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.partial` directories of backups whose process is gone (killed or powered off half-way). */
function removeStalePartials(to: string): void {
  for (const entry of readdirSync(to, { withFileTypes: true })) {
    const m = /^fenghuo-backup-.*\.(\d+)\.partial$/.exec(entry.name);
    if (entry.isDirectory() && m !== null && (Number(m[1]) === process.pid || !pidAlive(Number(m[1])))) rmSync(join(to, entry.name), { recursive: true, force: true });
  }
}

/** Files of the box's identity (`<data>/sync/`), by name; temporary files of an atomic write are skipped. */
function identityFiles(dataDir: string): string[] {
  const { dir } = enrolmentPaths(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !e.name.endsWith('.tmp'))
    .map((e) => e.name)
    .sort();
}

interface SnapshotFacts {
  readonly schemaVersion: number;
  readonly dbId: string | null;
  readonly changeLogSeq: number;
  readonly readingsSeq: number;
}

/** Makes the copy a single self-contained file (rollback journal), checks it and reads what the manifest records. */
function inspectCopy(path: string): SnapshotFacts {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (integrity.length !== 1 || integrity[0] !== 'ok') throw new Error(`the database copy failed integrity_check: ${integrity.slice(0, 5).join('; ')}`);
    const has = (table: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    const seqOf = (name: string): number => (has('sqlite_sequence') ? ((db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(name) as number | undefined) ?? 0) : 0);
    const maxSeq = has('change_log') ? ((db.prepare('SELECT MAX(seq) FROM change_log').pluck().get() as number | null) ?? 0) : 0;
    return {
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      dbId: has('meta') ? ((db.prepare("SELECT value FROM meta WHERE key = 'db_id'").pluck().get() as string | undefined) ?? null) : null,
      changeLogSeq: Math.max(maxSeq, 0),
      readingsSeq: seqOf('readings'),
    };
  } finally {
    db.close();
  }
}

export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const now = opts.now ?? Date.now;
  const dataDir = resolve(opts.dataDir);
  const dbPath = join(dataDir, DB_FILE_NAME);
  if (!existsSync(dbPath)) throw new BackupUsageError(`no database at ${dbPath}: give the daemon's data dir with --data DIR (default ./data)`);
  if (opts.configPath !== undefined && statSync(opts.configPath, { throwIfNoEntry: false })?.isFile() !== true) throw new BackupUsageError(`--config ${opts.configPath}: no such file`);
  if (opts.passphrase?.length === 0) throw new BackupUsageError('the passphrase is empty');
  const to = resolve(opts.to ?? join(dataDir, 'backups'));
  if (opts.requireFolder === true) {
    if (statSync(to, { throwIfNoEntry: false })?.isDirectory() !== true) throw new Error(`${to}: no such folder (is the USB stick plugged in and mounted?)`);
  } else mkdirSync(to, { recursive: true, mode: 0o700 });
  removeStalePartials(to);

  const createdAt = now();
  let name = backupName(createdAt);
  for (let n = 2; existsSync(join(to, name)); n++) name = `${backupName(createdAt)}-${n}`;
  const partial = join(to, `${name}.${process.pid}${PARTIAL_SUFFIX}`);
  mkdirSync(partial, { mode: 0o700 });
  try {
    // 1. The database, through the online backup API on a connection of our own.
    const src = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      src.pragma('busy_timeout = 10000');
      // After the first step, copy the rest in one step: a step is one read transaction, so the copy cannot be
      // restarted over and over by a daemon that commits every few milliseconds.
      await src.backup(join(partial, BACKUP_DB_FILE), { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    } finally {
      src.close();
    }
    await stepDelay();
    const facts = inspectCopy(join(partial, BACKUP_DB_FILE));
    fsyncPath(join(partial, BACKUP_DB_FILE));
    await stepDelay();

    // 2. The config file.
    let config: Manifest['config'] = null;
    if (opts.configPath !== undefined) {
      mkdirSync(join(partial, 'config'), { mode: 0o700 });
      const rel = `config/${basename(opts.configPath).replace(/[^A-Za-z0-9._-]/g, '_')}`;
      copyFileSync(opts.configPath, join(partial, ...rel.split('/')));
      fsyncPath(join(partial, ...rel.split('/')));
      config = { file: rel, source: resolve(opts.configPath) };
    }

    // 3. The identity, encrypted, or left out.
    const ids = identityFiles(dataDir);
    let identity: Manifest['identity'] = { state: 'none' };
    if (ids.length > 0 && opts.passphrase === undefined) identity = { state: 'omitted-no-passphrase', files: ids.map((f) => `sync/${f}`) };
    else if (ids.length > 0 && opts.passphrase !== undefined) {
      const kdf = newKdfParams();
      const key = deriveKey(opts.passphrase, kdf);
      mkdirSync(join(partial, 'sync'), { mode: 0o700 });
      const files: string[] = [];
      for (const f of ids) {
        const rel = `sync/${f}.enc`;
        writeFileSync(join(partial, 'sync', `${f}.enc`), encryptFile(key, rel, readFileSync(join(enrolmentPaths(dataDir).dir, f))), { mode: 0o600 });
        fsyncPath(join(partial, 'sync', `${f}.enc`));
        files.push(rel);
      }
      key.fill(0);
      identity = { state: 'encrypted', files, kdf };
    }
    await stepDelay();

    // 4. The manifest, last; then the rename that makes it a backup.
    const rels = [BACKUP_DB_FILE, ...(config === null ? [] : [config.file]), ...(identity.state === 'encrypted' ? identity.files : [])];
    const files: FileEntry[] = [];
    for (const rel of rels) files.push(await describeFile(partial, rel));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      kind: 'fenghuo-box-backup',
      fenghuoVersion: packageVersion(),
      schemaVersion: facts.schemaVersion,
      createdAt,
      createdAtIso: new Date(createdAt).toISOString(),
      database: { file: BACKUP_DB_FILE, dbId: facts.dbId, changeLogSeq: facts.changeLogSeq, readingsSeq: facts.readingsSeq },
      config,
      identity,
      files,
    };
    writeFileSync(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    fsyncPath(join(partial, MANIFEST_FILE));
    if (existsSync(join(partial, 'sync'))) fsyncPath(join(partial, 'sync'));
    if (existsSync(join(partial, 'config'))) fsyncPath(join(partial, 'config'));
    fsyncPath(partial);
    await stepDelay();
    const dir = join(to, name);
    renameSync(partial, dir);
    fsyncPath(to);
    return { dir, manifest, bytes: files.reduce((sum, f) => sum + f.size, 0) };
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}
