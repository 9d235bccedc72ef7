import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { completePartial, copyCheckedDatabase, copyConfigInto, fsyncPath, inspectCheckedCopy, openPartial, stepDelay, timestampedName } from '../../node-daemon/backup/backup-folder.js';
import { deriveKey, encryptFile, newKdfParams } from '../../node-daemon/backup/encrypt.js';
import { describeFile } from '../../node-daemon/backup/manifest.js';
import { packageVersion } from '../../node-daemon/health/package-version.js';
import type { HubConfig } from '../config.js';
import { SHA256_HEX } from '../content/blob-store.js';
import { contentDir } from '../content/paths.js';
import { imagesDir, keptPictureFiles } from '../images/paths.js';
import {
  HUB_BACKUP_CONTENT_DIR,
  HUB_BACKUP_COUNTY_KEY_FILE,
  HUB_BACKUP_DB_FILE,
  HUB_BACKUP_IMAGES_DIR,
  HUB_MANIFEST_FORMAT,
  type HubFileEntry,
  type HubManifest,
} from './hub-manifest.js';

/**
 * `fenghuo hub backup`: a consistent copy of a county hub on its embedded SQLite store, while the hub runs.
 *
 * The store is copied with SQLite's online backup API on a read-only connection of its own (each step is one read
 * transaction, so the copy is one committed state, whatever the hub writes meanwhile); never a copy of the live
 * file. Content blobs are copied after the store: a blob is on disk before the row naming it commits and is never
 * rewritten (its name is its sha256), so every blob the snapshot names is there. The boxes' camera pictures likewise:
 * a picture's files are on disk before its row commits, and a verified one is never rewritten (retention removes
 * files before rows, so a picture pruned during the copy may be listed without its files). Everything goes into
 * `<to>/<name>.<pid>.partial/`, renamed to `<to>/<name>/` only once the manifest (written last) is on disk.
 */

export class HubBackupUsageError extends Error {}

export interface HubBackupOptions {
  readonly config: HubConfig;
  /** The config file the hub runs with (copied into the backup), if one was given. */
  readonly configFile?: string;
  /** Folder that receives the backup directory; default `<dataDir>/backups`. */
  readonly to?: string;
  /** Encrypts the county key; without one it is left out. */
  readonly passphrase?: string;
  readonly now?: () => number;
}

export interface HubBackupResult {
  readonly dir: string;
  readonly manifest: HubManifest;
  readonly bytes: number;
}

export const HUB_BACKUP_NAME_PREFIX = 'fenghuo-hub-backup-';
export const POSTGRES_BACKUP_ADVICE =
  'the hub\'s store is PostgreSQL: back it up with pg_dump, systemd/fenghuo-hub-pg-backup.sh (timer: fenghuo-hub-backup.timer; README "Backup, restore and update"); fenghuo hub backup copies the embedded SQLite store only';

/** `fenghuo-hub-backup-YYYYMMDD-HHMMSSZ` of a UTC time. */
export function hubBackupName(ms: number): string {
  return timestampedName(HUB_BACKUP_NAME_PREFIX, ms);
}

interface StoreFacts {
  readonly schemaVersion: number;
  readonly boxes: number;
  readonly records: number;
  readonly readings: number;
}

/** Checks the copy (integrity_check, one self-contained file) and reads what the manifest records. */
export function inspectStoreCopy(path: string): StoreFacts {
  return inspectCheckedCopy(path, 'the store copy', (db, has) => {
    const count = (table: string): number => (has(table) ? (db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number) : 0);
    const version = has('hub_meta') ? (db.prepare("SELECT value FROM hub_meta WHERE key = 'schema_version'").pluck().get() as string | undefined) : undefined;
    return { schemaVersion: Number(version ?? 0), boxes: count('hub_boxes'), records: count('hub_records'), readings: count('hub_readings') };
  });
}

function contentBlobs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  // Only finished blobs: an upload in progress has a temporary name and is not in the store yet.
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && SHA256_HEX.test(e.name))
    .map((e) => e.name)
    .sort();
}

export async function createHubBackup(opts: HubBackupOptions): Promise<HubBackupResult> {
  const now = opts.now ?? Date.now;
  const { config } = opts;
  if (config.store.kind !== 'sqlite') throw new HubBackupUsageError(POSTGRES_BACKUP_ADVICE);
  const dbPath = config.store.path;
  if (!existsSync(dbPath)) throw new HubBackupUsageError(`no hub store at ${dbPath}: give the hub's config with --config FILE (default: ./hub-data/hub.db)`);
  if (opts.passphrase?.length === 0) throw new HubBackupUsageError('the passphrase is empty');
  const to = resolve(opts.to ?? join(config.dataDir, 'backups'));
  mkdirSync(to, { recursive: true, mode: 0o700 });

  const createdAt = now();
  const partial = openPartial(to, HUB_BACKUP_NAME_PREFIX, createdAt);
  try {
    // 1. The store, through the online backup API on a connection of our own.
    const facts = await copyCheckedDatabase(partial, dbPath, HUB_BACKUP_DB_FILE, inspectStoreCopy);

    // 2. The published content blobs.
    const blobs = contentBlobs(contentDir(config));
    const content: string[] = [];
    if (blobs.length > 0) mkdirSync(join(partial.dir, HUB_BACKUP_CONTENT_DIR), { mode: 0o700 });
    for (const blob of blobs) {
      copyFileSync(join(contentDir(config), blob), join(partial.dir, HUB_BACKUP_CONTENT_DIR, blob));
      fsyncPath(join(partial.dir, HUB_BACKUP_CONTENT_DIR, blob));
      content.push(`${HUB_BACKUP_CONTENT_DIR}/${blob}`);
    }

    // 2b. The boxes' camera pictures (thumbnails and verified full images; never one still arriving).
    const pictures = keptPictureFiles(imagesDir(config));
    const images: string[] = [];
    for (const rel of pictures) {
      const to = join(partial.dir, HUB_BACKUP_IMAGES_DIR, ...rel.split('/'));
      mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
      try {
        copyFileSync(join(imagesDir(config), ...rel.split('/')), to);
      } catch (err) {
        // Pruned by retention since it was listed: the row goes too.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      fsyncPath(to);
      images.push(`${HUB_BACKUP_IMAGES_DIR}/${rel}`);
    }
    await stepDelay();

    // 3. The config file.
    const configEntry: HubManifest['config'] = opts.configFile === undefined ? null : copyConfigInto(partial, opts.configFile);

    // 4. The county key: encrypted, or left out.
    const keySource = config.countyKeyFile;
    let countyKey: HubManifest['countyKey'] = { state: 'none', source: keySource };
    if (existsSync(keySource) && opts.passphrase === undefined) countyKey = { state: 'omitted-no-passphrase', source: keySource };
    else if (existsSync(keySource) && opts.passphrase !== undefined) {
      const kdf = newKdfParams();
      const key = deriveKey(opts.passphrase, kdf);
      try {
        mkdirSync(join(partial.dir, 'secrets'), { mode: 0o700 });
        const out = join(partial.dir, ...HUB_BACKUP_COUNTY_KEY_FILE.split('/'));
        writeFileSync(out, encryptFile(key, HUB_BACKUP_COUNTY_KEY_FILE, readFileSync(keySource)), { mode: 0o600 });
        fsyncPath(out);
      } finally {
        key.fill(0);
      }
      countyKey = { state: 'encrypted', file: HUB_BACKUP_COUNTY_KEY_FILE, kdf, source: keySource };
    }
    const notIncluded = config.pull
      .filter((t) => t.tokenFile !== undefined)
      .map((t) => ({ path: t.tokenFile as string, why: `pull token of box ${t.box}: a secret kept outside the hub's data; copy it by hand` }));
    await stepDelay();

    // 5. The manifest, last; then the rename that makes it a backup.
    const rels = [HUB_BACKUP_DB_FILE, ...content, ...images, ...(configEntry === null ? [] : [configEntry.file]), ...(countyKey.state === 'encrypted' ? [countyKey.file] : [])];
    const files: HubFileEntry[] = [];
    for (const rel of rels) files.push(await describeFile(partial.dir, rel));
    const manifest: HubManifest = {
      format: HUB_MANIFEST_FORMAT,
      kind: 'fenghuo-hub-backup',
      fenghuoVersion: packageVersion(),
      schemaVersion: facts.schemaVersion,
      createdAt,
      createdAtIso: new Date(createdAt).toISOString(),
      database: { file: HUB_BACKUP_DB_FILE, source: dbPath, boxes: facts.boxes, records: facts.records, readings: facts.readings },
      content,
      images,
      config: configEntry,
      countyKey,
      notIncluded,
      files,
    };
    const dir = await completePartial(partial, manifest);
    return { dir, manifest, bytes: files.reduce((sum, f) => sum + f.size, 0) };
  } catch (err) {
    rmSync(partial.dir, { recursive: true, force: true });
    throw err;
  }
}

