import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decryptFile, deriveKey } from '../../node-daemon/backup/encrypt.js';
import { BackupRefused } from '../../node-daemon/backup/manifest.js';
import { assertNotInUse, DatabaseInUse } from '../../node-daemon/backup/restore.js';
import { fsyncDir as fsyncPath, writeFileAtomic } from '../../node-daemon/sync/enrol/files.js';
import type { HubConfig } from '../config.js';
import { contentDir } from '../content/paths.js';
import { imagesDir } from '../images/paths.js';
import { LATEST_VERSION } from '../store/migrations.js';
import { SqliteHubStore } from '../store/sqlite-store.js';
import { readHubManifest, verifyHubFiles, type HubManifest } from './hub-manifest.js';
import { POSTGRES_BACKUP_ADVICE } from './snapshot.js';

/**
 * `fenghuo hub restore FROM`: checks the backup whole (manifest, every file's size and sha256, schema version, the
 * passphrase of the county key) before touching anything, then puts the store, the content blobs, the boxes' camera
 * pictures and the county key
 * where the config says. What is there already is moved aside (`<name>.before-restore-<utc ms>`), never deleted,
 * and only with `force`; a store some process has open (a running hub) is refused.
 */

export interface HubRestoreOptions {
  readonly from: string;
  readonly config: HubConfig;
  readonly passphrase?: string;
  readonly force?: boolean;
  readonly now?: () => number;
}

export interface HubRestoreResult {
  readonly manifest: HubManifest;
  readonly storePath: string;
  readonly schemaFrom: number;
  readonly schemaTo: number;
  readonly boxes: number;
  readonly records: number;
  readonly readings: number;
  readonly contentFiles: number;
  readonly imageFiles: number;
  /** Where the county key was written, or undefined when the backup had none (an existing key is kept). */
  readonly countyKeyFile: string | undefined;
  readonly movedAside: readonly string[];
}

function schemaOfCopy(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hub_meta'").get() !== undefined;
    const v = has ? (db.prepare("SELECT value FROM hub_meta WHERE key = 'schema_version'").pluck().get() as string | undefined) : undefined;
    return Number(v ?? 0);
  } finally {
    db.close();
  }
}

function nonEmptyDir(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}

/** What of the hub's is at the target already: the store (or its WAL), content blobs, the county key. */
function occupied(storePath: string, content: string, images: string, keyFile: string): string[] {
  return [
    ...['', '-wal'].map((s) => storePath + s).filter((p) => existsSync(p)),
    ...[content, images].filter((d) => nonEmptyDir(d)),
    ...(existsSync(keyFile) ? [keyFile] : []),
  ];
}

export async function restoreHubBackup(opts: HubRestoreOptions): Promise<HubRestoreResult> {
  const now = opts.now ?? Date.now;
  const from = resolve(opts.from);
  const { config } = opts;
  if (config.store.kind !== 'sqlite') throw new BackupRefused(`${POSTGRES_BACKUP_ADVICE}; restore a dump with pg_restore (systemd/fenghuo-hub-pg-restore.sh shows how)`);

  // 1. The backup, checked whole before anything is touched.
  const manifest = readHubManifest(from);
  await verifyHubFiles(from, manifest);
  const newer = (v: number): string =>
    `${from} comes from a newer fenghuo (${manifest.fenghuoVersion}, hub schema ${v}); this one knows hub schema ${LATEST_VERSION}: update fenghuo first, then restore`;
  if (manifest.schemaVersion > LATEST_VERSION) throw new BackupRefused(newer(manifest.schemaVersion));
  const schemaFrom = schemaOfCopy(join(from, manifest.database.file));
  if (schemaFrom > LATEST_VERSION) throw new BackupRefused(newer(schemaFrom));
  let countyKeyPem: Buffer | undefined;
  if (manifest.countyKey.state === 'encrypted') {
    if (opts.passphrase === undefined) throw new BackupRefused(`the county key in ${from} is encrypted: give its passphrase with --passphrase-file FILE or --passphrase-env VAR`);
    const key = deriveKey(opts.passphrase, manifest.countyKey.kdf);
    try {
      countyKeyPem = decryptFile(key, manifest.countyKey.file, readFileSync(join(from, ...manifest.countyKey.file.split('/'))));
    } finally {
      key.fill(0);
    }
  }

  // 2. The target: empty, or --force; never a store in use.
  const storePath = config.store.path;
  const content = contentDir(config);
  const images = imagesDir(config);
  const keyFile = config.countyKeyFile;
  const there = occupied(storePath, content, images, keyFile);
  if (there.length > 0 && opts.force !== true) {
    throw new BackupRefused(`the hub has data already (${there.join(', ')}): restore onto an empty hub, or give --force (what is there is moved aside, not deleted)`);
  }
  try {
    assertNotInUse(storePath);
  } catch (err) {
    if (err instanceof DatabaseInUse) throw new DatabaseInUse(`${storePath} is in use: stop the hub first (sudo systemctl stop fenghuo-hub), then restore`, { cause: err });
    throw err;
  }
  const stamp = now();
  const movedAside: string[] = [];
  const aside = (path: string): void => {
    const to = `${path}.before-restore-${stamp}`;
    renameSync(path, to);
    movedAside.push(to);
  };
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(storePath + suffix)) aside(storePath + suffix);
  if (nonEmptyDir(content)) aside(content);
  if (nonEmptyDir(images)) aside(images);
  // A backup without the county key keeps the key the hub has: the boxes trust that one.
  if (countyKeyPem !== undefined && existsSync(keyFile)) aside(keyFile);

  try {
    return await putInPlace(from, manifest, { storePath, content, images, keyFile, countyKeyPem, schemaFrom, movedAside });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const kept = movedAside.length > 0 ? `; what was there before is kept: ${movedAside.join(', ')}` : '';
    throw new Error(`restore failed: ${message}${kept}`, { cause: err });
  }
}

interface Target {
  readonly storePath: string;
  readonly content: string;
  readonly images: string;
  readonly keyFile: string;
  readonly countyKeyPem: Buffer | undefined;
  readonly schemaFrom: number;
  readonly movedAside: readonly string[];
}

async function putInPlace(from: string, manifest: HubManifest, t: Target): Promise<HubRestoreResult> {
  // 3. The store: copied beside its place, synced, renamed; checked; then opened the hub's way (migrations forward).
  mkdirSync(dirname(t.storePath), { recursive: true, mode: 0o750 });
  const tmp = join(dirname(t.storePath), `.hub.db.restore-${process.pid}.tmp`);
  try {
    copyFileSync(join(from, manifest.database.file), tmp);
    fsyncPath(tmp);
    renameSync(tmp, t.storePath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncPath(dirname(t.storePath));
  const check = new Database(t.storePath, { fileMustExist: true });
  try {
    const integrity = (check.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (integrity.length !== 1 || integrity[0] !== 'ok') throw new Error(`the restored store failed integrity_check: ${integrity.slice(0, 5).join('; ')}`);
  } finally {
    check.close();
  }
  await SqliteHubStore.open({ path: t.storePath }).close();
  const db = new Database(t.storePath, { readonly: true, fileMustExist: true });
  let counts: { boxes: number; records: number; readings: number };
  try {
    const count = (table: string): number => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
    counts = { boxes: count('hub_boxes'), records: count('hub_records'), readings: count('hub_readings') };
  } finally {
    db.close();
  }
  const schemaTo = schemaOfCopy(t.storePath);

  // 4. The content blobs.
  if (manifest.content.length > 0) mkdirSync(t.content, { recursive: true, mode: 0o750 });
  for (const rel of manifest.content) {
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    copyFileSync(join(from, ...rel.split('/')), join(t.content, name));
    fsyncPath(join(t.content, name));
  }
  if (manifest.content.length > 0) fsyncPath(t.content);

  // 4b. The boxes' camera pictures, back where the hub's index (restored with the store) looks for them.
  for (const rel of manifest.images) {
    const to = join(t.images, ...rel.split('/').slice(1));
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    copyFileSync(join(from, ...rel.split('/')), to);
    fsyncPath(to);
  }

  // 5. The county key (atomically, 0600, in a 0700 directory when it makes one).
  if (t.countyKeyPem !== undefined) {
    mkdirSync(dirname(t.keyFile), { recursive: true, mode: 0o700 });
    writeFileAtomic(t.keyFile, t.countyKeyPem.toString('utf8'));
  }
  return {
    manifest,
    storePath: t.storePath,
    schemaFrom: t.schemaFrom,
    schemaTo,
    ...counts,
    contentFiles: manifest.content.length,
    imageFiles: manifest.images.length,
    countyKeyFile: t.countyKeyPem === undefined ? undefined : t.keyFile,
    movedAside: t.movedAside,
  };
}
