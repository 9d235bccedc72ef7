import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { MANIFEST_FILE, PARTIAL_SUFFIX } from './manifest.js';

/**
 * The folder a backup is written into, for the box's (`fenghuo backup`) and the hub's (`fenghuo hub backup`):
 * everything goes into `<to>/<name>.<pid>.partial/` and is renamed to `<to>/<name>/` only once the manifest, written
 * last, is on disk; a `.partial` is never a backup (restore refuses it, the next backup removes it once its process
 * is gone).
 */
export interface PartialBackup {
  readonly to: string;
  readonly name: string;
  /** `<to>/<name>.<pid>.partial`. */
  readonly dir: string;
}

/** Test hook: milliseconds to sleep between the steps of a backup (only so a test can kill it half-way). */
export const TEST_STEP_DELAY_ENV = 'FENGHUO_BACKUP_TEST_STEP_DELAY_MS';

export async function stepDelay(): Promise<void> {
  const ms = Number(process.env[TEST_STEP_DELAY_ENV] ?? 0);
  if (Number.isFinite(ms) && ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** fsync of a file or a directory (a directory's fsync makes the names in it durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `<prefix>YYYYMMDD-HHMMSSZ` of a UTC time. */
export function timestampedName(prefix: string, ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${prefix}${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}Z`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<prefix>….<pid>.partial` folders in `to` whose process is gone (killed or powered off half-way). */
export function removeStalePartials(to: string, prefix: string): void {
  for (const entry of readdirSync(to, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
    const m = /\.(\d+)\.partial$/.exec(entry.name);
    if (m !== null && (Number(m[1]) === process.pid || !pidAlive(Number(m[1])))) rmSync(join(to, entry.name), { recursive: true, force: true });
  }
}

/** Clears stale partials and makes this backup's `.partial` folder; a second backup in the same second gets `-2`… */
export function openPartial(to: string, prefix: string, createdAt: number): PartialBackup {
  removeStalePartials(to, prefix);
  const base = timestampedName(prefix, createdAt);
  let name = base;
  for (let n = 2; existsSync(join(to, name)); n++) name = `${base}-${n}`;
  const dir = join(to, `${name}.${process.pid}${PARTIAL_SUFFIX}`);
  mkdirSync(dir, { mode: 0o700 });
  return { to, name, dir };
}

/**
 * Copies a live SQLite database with the online backup API, on a read-only connection of its own: each step is one
 * read transaction, so the copy is one committed state whatever the writer does meanwhile. After the first step the
 * rest goes in one step, so a writer committing every few milliseconds cannot make the copy start over and over.
 */
export async function copyDatabaseOnline(source: string, dest: string): Promise<void> {
  const src = new Database(source, { readonly: true, fileMustExist: true });
  try {
    src.pragma('busy_timeout = 10000');
    await src.backup(dest, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
  } finally {
    src.close();
  }
}

/**
 * A backup's first step: the live database copied online into `file` of the partial folder, inspected (checked, and
 * what the manifest records read by `inspect`), and made durable.
 */
export async function copyCheckedDatabase<T>(partial: PartialBackup, source: string, file: string, inspect: (path: string) => T): Promise<T> {
  const dest = join(partial.dir, file);
  await copyDatabaseOnline(source, dest);
  await stepDelay();
  const facts = inspect(dest);
  fsyncPath(dest);
  await stepDelay();
  return facts;
}

/**
 * Opens the copy, makes it one self-contained file (rollback journal) and checks it with integrity_check; `read`
 * takes what the manifest records from it. `what` names it in the error ("the database copy").
 */
export function inspectCheckedCopy<T>(path: string, what: string, read: (db: Database.Database, has: (table: string) => boolean) => T): T {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (integrity.length !== 1 || integrity[0] !== 'ok') throw new Error(`${what} failed integrity_check: ${integrity.slice(0, 5).join('; ')}`);
    const has = (table: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    return read(db, has);
  } finally {
    db.close();
  }
}

/** Copies the config file into `config/` of the backup; its path inside the backup and where it was. */
export function copyConfigInto(partial: PartialBackup, configFile: string): { file: string; source: string } {
  mkdirSync(join(partial.dir, 'config'), { mode: 0o700 });
  const rel = `config/${basename(configFile).replace(/[^A-Za-z0-9._-]/g, '_')}`;
  copyFileSync(configFile, join(partial.dir, ...rel.split('/')));
  fsyncPath(join(partial.dir, ...rel.split('/')));
  return { file: rel, source: resolve(configFile) };
}

/**
 * Writes the manifest (last), makes it and the folders durable, and renames the `.partial` into the backup; returns
 * the backup's folder.
 */
export async function completePartial(partial: PartialBackup, manifest: unknown): Promise<string> {
  writeFileSync(join(partial.dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  fsyncPath(join(partial.dir, MANIFEST_FILE));
  for (const e of readdirSync(partial.dir, { withFileTypes: true })) if (e.isDirectory()) fsyncPath(join(partial.dir, e.name));
  fsyncPath(partial.dir);
  await stepDelay();
  const dir = join(partial.to, partial.name);
  renameSync(partial.dir, dir);
  fsyncPath(partial.to);
  return dir;
}
