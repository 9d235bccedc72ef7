import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { kdfSchema } from './encrypt.js';

/** The file that says a backup directory is complete; written last, before the directory's rename. */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;
/** A backup being written: never taken for a backup (restore refuses it, listings skip it). */
export const PARTIAL_SUFFIX = '.partial';
/** The database's name inside a backup. */
export const BACKUP_DB_FILE = 'fenghuo.db';

const fileEntrySchema = z.object({
  /** Relative path inside the backup, `/`-separated, never `..`. */
  path: z.string().regex(/^(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]+$/),
  size: z.int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FileEntry = z.infer<typeof fileEntrySchema>;

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  kind: z.literal('fenghuo-box-backup'),
  fenghuoVersion: z.string(),
  /** The snapshot's PRAGMA user_version (= the number of migrations applied). */
  schemaVersion: z.int().min(0),
  createdAt: z.int(),
  createdAtIso: z.string(),
  database: z.object({
    file: z.string(),
    dbId: z.string().nullable(),
    /** Highest change_log.seq in the snapshot (0 when empty): every change up to it is in the backup. */
    changeLogSeq: z.int().min(0),
    /** Highest readings id ever given (sqlite_sequence), for the record. */
    readingsSeq: z.int().min(0),
  }),
  /** The config file given to `fenghuo backup --config`, by its path inside the backup and where it was. */
  config: z.object({ file: z.string(), source: z.string() }).nullable(),
  identity: z.discriminatedUnion('state', [
    /** `files`: the encrypted files (`sync/<name>.enc`); decrypt with `kdf` and the passphrase. */
    z.object({ state: z.literal('encrypted'), files: z.array(z.string()), kdf: kdfSchema }),
    /** The box has identity files but no passphrase was given: they were left out (never a private key in clear). */
    z.object({ state: z.literal('omitted-no-passphrase'), files: z.array(z.string()) }),
    /** The box is not enrolled. */
    z.object({ state: z.literal('none') }),
  ]),
  files: z.array(fileEntrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function describeFile(dir: string, rel: string): Promise<FileEntry> {
  const full = join(dir, ...rel.split('/'));
  return { path: rel, size: statSync(full).size, sha256: await sha256OfFile(full) };
}

export class BackupRefused extends Error {}

/**
 * The JSON of `<dir>/manifest.json` for a backup of kind `what` ("a fenghuo backup"): refuses an unfinished backup
 * (`.partial`), a folder without a manifest, one that is not JSON and one written in a newer `format` than `reads`.
 */
export function readManifestJson(dir: string, what: string, reads: number): unknown {
  if (dir.replace(/\/+$/, '').endsWith(PARTIAL_SUFFIX)) throw new BackupRefused(`${dir} is an unfinished backup (${PARTIAL_SUFFIX}): it was interrupted and is not a backup`);
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BackupRefused(`${dir} is not ${what} (no ${MANIFEST_FILE})`);
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupRefused(`${join(dir, MANIFEST_FILE)} is damaged (not JSON)`);
  }
  const format = typeof json === 'object' && json !== null && 'format' in json ? json.format : undefined;
  if (typeof format === 'number' && format > reads) throw new BackupRefused(`${dir} was written by a newer fenghuo (backup format ${format}; this one reads ${reads})`);
  return json;
}

/** `json` checked by `schema`, or BackupRefused naming the first thing wrong. */
export function parseManifest<T>(dir: string, schema: z.ZodType<T>, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupRefused(`${join(dir, MANIFEST_FILE)} is damaged (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`);
  }
  return parsed.data;
}

/** Reads and checks `<dir>/manifest.json`; throws BackupRefused saying what is wrong. */
export function readManifest(dir: string): Manifest {
  return parseManifest(dir, manifestSchema, readManifestJson(dir, 'a fenghuo backup', MANIFEST_FORMAT));
}

/**
 * Every listed file present, with its size and sha256, and every file in `needed` listed. Throws BackupRefused naming
 * the first bad one.
 */
export async function verifyListedFiles(dir: string, files: readonly FileEntry[], needed: readonly string[]): Promise<void> {
  for (const f of files) {
    const full = join(dir, ...f.path.split('/'));
    const st = statSync(full, { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) throw new BackupRefused(`backup file ${f.path} is missing from ${dir}`);
    if (st.size !== f.size) throw new BackupRefused(`backup file ${f.path} is damaged: ${st.size} bytes, the manifest says ${f.size}`);
    if ((await sha256OfFile(full)) !== f.sha256) throw new BackupRefused(`backup file ${f.path} is damaged: its sha256 does not match the manifest`);
  }
  const listed = new Set(files.map((f) => f.path));
  for (const n of needed) if (!listed.has(n)) throw new BackupRefused(`${join(dir, MANIFEST_FILE)} is damaged: ${n} has no sha256`);
}

/** Checks every file the manifest lists: present, same size, same sha256. Throws BackupRefused naming the first bad one. */
export async function verifyFiles(dir: string, manifest: Manifest): Promise<void> {
  const needed = [manifest.database.file, ...(manifest.config === null ? [] : [manifest.config.file]), ...(manifest.identity.state === 'encrypted' ? manifest.identity.files : [])];
  await verifyListedFiles(dir, manifest.files, needed);
}
