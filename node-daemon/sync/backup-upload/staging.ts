/**
 * Where the box keeps the backup it sends to the hub: `<data>/backups-hub/`, one complete backup folder (the newest
 * scheduled one made for the `hub` target; an older one is removed as soon as a newer one is there: only the newest
 * is worth sending) and `uploaded.json`, which names the backup the hub acknowledged complete (so a restart does not
 * send it again).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planRotation, type FolderEntry } from '../../backup/backup-plan.js';
import { MANIFEST_FILE } from '../../backup/manifest.js';

export const HUB_STAGING_DIR = 'backups-hub';
const UPLOADED_FILE = 'uploaded.json';

export const stagingDir = (dataDir: string): string => join(dataDir, HUB_STAGING_DIR);

export function ensureStaging(dataDir: string): string {
  const dir = stagingDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function entries(dir: string): FolderEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).map((e) => ({
    name: e.name,
    isDirectory: e.isDirectory(),
    hasManifest: e.isDirectory() && statSync(join(dir, e.name, MANIFEST_FILE), { throwIfNoEntry: false })?.isFile() === true,
  }));
}

/** The newest complete backup folder's name, if any. */
export function newestStaged(dir: string): string | undefined {
  return planRotation(entries(dir), 1, '').kept[0];
}

/** Removes every complete backup of the staging folder but `keep`; resolves to the names removed. */
export function dropOlderStaged(dir: string, keep: string): string[] {
  const plan = planRotation(entries(dir), 1, keep);
  for (const name of plan.remove) rmSync(join(dir, name), { recursive: true, force: true });
  return [...plan.remove];
}

export interface UploadedMark {
  readonly backup: string;
  readonly at: number;
}

export function readUploaded(dir: string): UploadedMark | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, UPLOADED_FILE), 'utf8')) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as UploadedMark).backup === 'string' && typeof (v as UploadedMark).at === 'number') return v as UploadedMark;
  } catch {
    // none yet, or unreadable: nothing was acknowledged
  }
  return undefined;
}

export function markUploaded(dir: string, mark: UploadedMark): void {
  const tmp = join(dir, `${UPLOADED_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(mark)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, UPLOADED_FILE));
}
