import { z } from 'zod';

/**
 * The backup upload's wire (docs/sync.md "Backups to the hub"), shared by the box (node-daemon/sync/backup-upload/)
 * and the hub (hub/backups/). Two signed box requests under /api/v1/sync/, each answered signed by the county key:
 *
 * - `PUT /api/v1/sync/backups/{name}`: the backup's manifest.json, as made by `fenghuo backup`, opens (or re-opens)
 *   the upload; the answer says how many bytes of each file the hub already holds (the resume point).
 * - `PUT /api/v1/sync/backups/{name}/file?path=P&offset=N`: the next bytes of one file (octet-stream), appended by
 *   the hub only when `offset` is what it holds. A file whose last byte arrives is checked against the manifest's
 *   sha256 before the hub keeps it; the whole backup is complete when every file is.
 *
 * Pure.
 */

export const BACKUPS_SYNC_PATH = '/api/v1/sync/backups';
export const backupOpenPath = (name: string): string => `${BACKUPS_SYNC_PATH}/${name}`;
export const backupFilePath = (name: string): string => `${BACKUPS_SYNC_PATH}/${name}/file`;

/** A backup folder's name as `fenghuo backup` makes it: the only names the hub takes. */
export const BACKUP_NAME_PATTERN = /^fenghuo-backup-\d{8}-\d{6}Z(?:-\d{1,4})?$/;

/** The largest manifest the open request may carry. */
export const BACKUP_MANIFEST_LIMIT = 256 * 1024;
/** The largest chunk one file request may carry; the box sends far less on a slow link. */
export const BACKUP_CHUNK_LIMIT = 4 * 1024 * 1024;

/** Refusal codes of the backup routes (in `error.code`), besides the signature refusals. */
export const BACKUP_CODES = {
  /** The hub holds another offset for this file: `received` says which; the box goes on from there. */
  offsetMismatch: 'offset_mismatch',
  /** The file's bytes do not have the manifest's sha256: the hub dropped them (`received` 0); the box sends the file again. */
  sha256Mismatch: 'sha256_mismatch',
  /** No upload of this backup is open at the hub (it was dropped, or replaced by a newer one): open it again. */
  noUpload: 'no_upload',
  /** The manifest lists identity files that are not the encrypted form: never stored. */
  identityInClear: 'identity_in_clear',
  /** The backup is larger than the hub takes (hub config backups.maxBytes). */
  tooLarge: 'payload_too_large',
} as const;

export const backupFileProgressSchema = z.strictObject({
  path: z.string(),
  size: z.int().min(0),
  /** Bytes of the file the hub holds (all of them once the file verified). */
  received: z.int().min(0),
});
export type BackupFileProgress = z.infer<typeof backupFileProgressSchema>;

/** The answer to the open request. */
export const backupOpenAnswerSchema = z.object({
  backup: z.string(),
  /** `receiving`: go on from `files[].received`; `complete`: the hub holds the whole backup, verified. */
  state: z.enum(['receiving', 'complete']),
  files: z.array(backupFileProgressSchema),
  hubTime: z.int(),
});
export type BackupOpenAnswer = z.infer<typeof backupOpenAnswerSchema>;

/** The answer to a file request (200), and the body of its 409 / 422 refusals (with `error`). */
export const backupChunkAnswerSchema = z.object({
  received: z.int().min(0),
  /** Every file of the backup is in and verified: the hub keeps it. */
  complete: z.boolean().optional(),
  hubTime: z.int().optional(),
  error: z.object({ code: z.string(), message: z.string().optional() }).optional(),
});
export type BackupChunkAnswer = z.infer<typeof backupChunkAnswerSchema>;

/** The subset of a backup manifest (node-daemon/backup/manifest.ts) the identity rule reads. */
export interface ManifestIdentityView {
  readonly identity: { readonly state: string; readonly files?: readonly string[] };
  readonly files: readonly { readonly path: string }[];
}

/**
 * Why a backup must not leave the box for the hub, or undefined: its identity must be encrypted or absent. A file
 * under `sync/` (where the identity lives in a backup) must be one of the encrypted identity files and end in
 * `.enc`; an identity state other than the three the snapshot code writes is refused too. Both sides check.
 */
export function identityRefusal(m: ManifestIdentityView): string | undefined {
  const state = m.identity.state;
  if (state !== 'encrypted' && state !== 'omitted-no-passphrase' && state !== 'none') return `the manifest's identity state ${JSON.stringify(state)} is not one a backup may carry`;
  const encrypted = new Set(state === 'encrypted' ? (m.identity.files ?? []) : []);
  for (const f of m.files) {
    if (!f.path.startsWith('sync/')) continue;
    if (!encrypted.has(f.path) || !f.path.endsWith('.enc')) return `${f.path} is an identity file that is not encrypted: a backup with the identity in clear never goes to the hub`;
  }
  for (const f of encrypted) if (!f.endsWith('.enc')) return `identity file ${f} is not the encrypted form`;
  return undefined;
}
