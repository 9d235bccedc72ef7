import Database from 'better-sqlite3';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { restoreBackup } from '../backup/restore.js';
import { createBackup } from '../backup/snapshot.js';
import { DB_FILE_NAME } from '../storage/database.js';
import { giveToDataOwner } from './data-owner.js';

/**
 * The data side of an update: the pre-update backup (the existing `fenghuo backup` code), and putting it back when
 * the update is rolled back. The new release's migrations may have changed the schema past what the previous
 * release can open, so a rollback restores the database as it was; what the new release wrote meanwhile stays in
 * the moved-aside file (fenghuo.db.before-restore-<ms>).
 */

/** Pre-update backups live apart from the scheduled ones, so neither's pruning touches the other's. */
export function preUpdateBackupDir(dataDir: string): string {
  return join(dataDir, 'backups', 'pre-update');
}

const KEEP_PRE_UPDATE_BACKUPS = 3;

export function hasDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, DB_FILE_NAME));
}

/** A backup of the data dir (database, config) into <data>/backups/pre-update/; keeps the newest three. */
export async function preUpdateBackup(dataDir: string, configPath: string | undefined): Promise<{ readonly dir: string; readonly schemaVersion: number }> {
  const to = preUpdateBackupDir(dataDir);
  const made = await createBackup({ dataDir, to, ...(configPath !== undefined && existsSync(configPath) ? { configPath } : {}) });
  giveToDataOwner(dataDir, [join(dataDir, 'backups')]);
  const older = readdirSync(to)
    .filter((n) => n.startsWith('fenghuo-backup-') && !n.endsWith('.partial'))
    .sort()
    .slice(0, -KEEP_PRE_UPDATE_BACKUPS);
  for (const n of older) rmSync(join(to, n), { recursive: true, force: true });
  return { dir: made.dir, schemaVersion: made.manifest.schemaVersion };
}

/** With the daemon stopped: the pre-update database back in place; the one there is moved aside, not deleted. */
export async function restorePreUpdateBackup(dataDir: string, backupDir: string): Promise<{ readonly movedAside: readonly string[] }> {
  const r = await restoreBackup({ from: backupDir, dataDir, force: true });
  giveToDataOwner(
    dataDir,
    readdirSync(dataDir)
      .filter((n) => n.startsWith(DB_FILE_NAME))
      .map((n) => join(dataDir, n)),
  );
  return { movedAside: r.movedAside };
}

/** The database's schema version (user_version), read-only and without migrating; undefined when there is none. */
export function readSchemaVersion(dataDir: string): number | undefined {
  const path = join(dataDir, DB_FILE_NAME);
  if (!existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** A rollback with no backup to restore (the box had no database before the update): the new one is moved aside. */
export function moveDatabaseAside(dataDir: string, stamp: number): string[] {
  const moved: string[] = [];
  for (const suffix of ['', '-wal', '-shm']) {
    const p = join(dataDir, DB_FILE_NAME + suffix);
    if (existsSync(p)) {
      const aside = join(dataDir, `${DB_FILE_NAME}.before-rollback-${stamp}${suffix}`);
      renameSync(p, aside);
      moved.push(aside);
    }
  }
  return moved;
}
