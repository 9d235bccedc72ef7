import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageVersion } from '../health/package-version.js';
import { DB_FILE_NAME } from '../storage/database.js';
import { enrolmentPaths } from '../sync/enrol/files.js';
import { deriveKey, encryptFile, newKdfParams } from './encrypt.js';
import { completePartial, copyCheckedDatabase, copyConfigInto, fsyncPath, inspectCheckedCopy, openPartial, stepDelay, timestampedName } from './backup-folder.js';
import { BACKUP_DB_FILE, describeFile, MANIFEST_FORMAT, type FileEntry, type Manifest } from './manifest.js';

export { TEST_STEP_DELAY_ENV } from './backup-folder.js';

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
/** `fenghuo-backup-YYYYMMDD-HHMMSSZ` of a UTC time. */
export function backupName(ms: number): string {
  return timestampedName(BACKUP_NAME_PREFIX, ms);
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

/** Checks the copy (integrity_check, one self-contained file) and reads what the manifest records. */
function inspectCopy(path: string): SnapshotFacts {
  return inspectCheckedCopy(path, 'the database copy', (db, has) => {
    const seqOf = (name: string): number => (has('sqlite_sequence') ? ((db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(name) as number | undefined) ?? 0) : 0);
    const maxSeq = has('change_log') ? ((db.prepare('SELECT MAX(seq) FROM change_log').pluck().get() as number | null) ?? 0) : 0;
    return {
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      dbId: has('meta') ? ((db.prepare("SELECT value FROM meta WHERE key = 'db_id'").pluck().get() as string | undefined) ?? null) : null,
      changeLogSeq: Math.max(maxSeq, 0),
      readingsSeq: seqOf('readings'),
    };
  });
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

  const createdAt = now();
  const partial = openPartial(to, BACKUP_NAME_PREFIX, createdAt);
  try {
    // 1. The database, through the online backup API on a connection of our own.
    const facts = await copyCheckedDatabase(partial, dbPath, BACKUP_DB_FILE, inspectCopy);

    // 2. The config file.
    const config: Manifest['config'] = opts.configPath === undefined ? null : copyConfigInto(partial, opts.configPath);

    // 3. The identity, encrypted, or left out.
    const ids = identityFiles(dataDir);
    let identity: Manifest['identity'] = { state: 'none' };
    if (ids.length > 0 && opts.passphrase === undefined) identity = { state: 'omitted-no-passphrase', files: ids.map((f) => `sync/${f}`) };
    else if (ids.length > 0 && opts.passphrase !== undefined) {
      const kdf = newKdfParams();
      const key = deriveKey(opts.passphrase, kdf);
      mkdirSync(join(partial.dir, 'sync'), { mode: 0o700 });
      const files: string[] = [];
      for (const f of ids) {
        const rel = `sync/${f}.enc`;
        writeFileSync(join(partial.dir, 'sync', `${f}.enc`), encryptFile(key, rel, readFileSync(join(enrolmentPaths(dataDir).dir, f))), { mode: 0o600 });
        fsyncPath(join(partial.dir, 'sync', `${f}.enc`));
        files.push(rel);
      }
      key.fill(0);
      identity = { state: 'encrypted', files, kdf };
    }
    await stepDelay();

    // 4. The manifest, last; then the rename that makes it a backup.
    const rels = [BACKUP_DB_FILE, ...(config === null ? [] : [config.file]), ...(identity.state === 'encrypted' ? identity.files : [])];
    const files: FileEntry[] = [];
    for (const rel of rels) files.push(await describeFile(partial.dir, rel));
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
    const dir = await completePartial(partial, manifest);
    return { dir, manifest, bytes: files.reduce((sum, f) => sum + f.size, 0) };
  } catch (err) {
    rmSync(partial.dir, { recursive: true, force: true });
    throw err;
  }
}
