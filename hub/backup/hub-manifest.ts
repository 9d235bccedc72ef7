import { join } from 'node:path';
import { z } from 'zod';
import { kdfSchema } from '../../node-daemon/backup/encrypt.js';
import { BackupRefused, MANIFEST_FILE, parseManifest, readManifestJson, verifyListedFiles } from '../../node-daemon/backup/manifest.js';

/**
 * The manifest of a county hub backup (`fenghuo hub backup`): the box's backup ideas (node-daemon/backup/manifest.ts:
 * written last, every file with its size and sha256, `.partial` until complete) with the hub's contents: its SQLite
 * store, the published content blobs, the boxes' camera pictures, the config file, and the county key encrypted with a passphrase or left out.
 */

export const HUB_MANIFEST_FORMAT = 1;
/** The store's name inside a backup. */
export const HUB_BACKUP_DB_FILE = 'hub.db';
/** Published content blobs (`<dataDir>/content/<sha256>`) go under this folder of the backup. */
export const HUB_BACKUP_CONTENT_DIR = 'content';
/** The boxes' camera pictures (`<dataDir>/images/<box>/<dbId>/<file>`) go under this folder of the backup. */
export const HUB_BACKUP_IMAGES_DIR = 'images';
/** The county key, encrypted (IV | tag | ciphertext, node-daemon/backup/encrypt.ts). */
export const HUB_BACKUP_COUNTY_KEY_FILE = 'secrets/county.key.enc';

const relPath = z.string().regex(/^(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]+$/);

const fileEntrySchema = z.object({ path: relPath, size: z.int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type HubFileEntry = z.infer<typeof fileEntrySchema>;

export const hubManifestSchema = z.object({
  format: z.literal(HUB_MANIFEST_FORMAT),
  kind: z.literal('fenghuo-hub-backup'),
  fenghuoVersion: z.string(),
  /** hub_meta.schema_version of the snapshot (hub/store/migrations.ts). */
  schemaVersion: z.int().min(0),
  createdAt: z.int(),
  createdAtIso: z.string(),
  database: z.object({
    file: relPath,
    /** Where the store was (the config's store.sqlite), for the record. */
    source: z.string(),
    boxes: z.int().min(0),
    records: z.int().min(0),
    readings: z.int().min(0),
  }),
  /** The content blobs, by their path in the backup (`content/<sha256>`). */
  content: z.array(relPath),
  /** The boxes' camera pictures, by their path in the backup (`images/<box>/<dbId>/<file>`); absent in older backups. */
  images: z.array(relPath).default([]),
  config: z.object({ file: relPath, source: z.string() }).nullable(),
  countyKey: z.discriminatedUnion('state', [
    z.object({ state: z.literal('encrypted'), file: relPath, kdf: kdfSchema, source: z.string() }),
    /** No passphrase was given: never a private key in clear, so it was left out. */
    z.object({ state: z.literal('omitted-no-passphrase'), source: z.string() }),
    /** The hub had not made its key yet. */
    z.object({ state: z.literal('none'), source: z.string() }),
  ]),
  /** Files the hub reads that this backup does not hold (pull token files), for whoever restores. */
  notIncluded: z.array(z.object({ path: z.string(), why: z.string() })),
  files: z.array(fileEntrySchema),
});
export type HubManifest = z.infer<typeof hubManifestSchema>;

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

/** Reads and checks `<dir>/manifest.json` of a hub backup; throws BackupRefused saying what is wrong. */
export function readHubManifest(dir: string): HubManifest {
  const json = readManifestJson(dir, 'a fenghuo hub backup', HUB_MANIFEST_FORMAT);
  if (typeof json === 'object' && json !== null && 'kind' in json && json.kind === 'fenghuo-box-backup') {
    throw new BackupRefused(`${dir} is a box's backup: restore it on the box with fenghuo restore`);
  }
  return parseManifest(dir, hubManifestSchema, json);
}

/** Every file the manifest lists: present, same size, same sha256; and every file the backup needs is listed. */
export async function verifyHubFiles(dir: string, manifest: HubManifest): Promise<void> {
  const needed = [
    manifest.database.file,
    ...manifest.content,
    ...manifest.images,
    ...(manifest.config === null ? [] : [manifest.config.file]),
    ...(manifest.countyKey.state === 'encrypted' ? [manifest.countyKey.file] : []),
  ];
  await verifyListedFiles(dir, manifest.files, needed);
}
