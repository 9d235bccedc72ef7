import { randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { importPublicKeyPem, SigningKey } from '../protocol/index.js';
import { BOX_ID_PATTERN } from '../outbox/box-id.js';
import { parsePin, PIN_RULE } from '../push/tls-pin.js';

/**
 * The box's enrolment on disk, under `<data>/sync/` (a directory of mode 0700):
 * - `box.key`: the box's Ed25519 private key, PKCS#8 PEM, mode 0600;
 * - `county.pub`: the county's public key, SPKI PEM, mode 0600;
 * - `enrolment.json`: `{ hub, boxId, countyKeyId, enrolledAt, boxKeyFingerprint, countyKeyFingerprint, tlsPin }`,
 *   mode 0600, written last: it is what says the box is enrolled. `tlsPin` (https hubs) is the hub's TLS key pin.
 * Each file is written atomically (a temporary file in the same directory, fsync, rename, fsync of the directory),
 * so a power cut leaves the old file or the new one, never half of one.
 */

export const SYNC_DIR = 'sync';
export const BOX_KEY_FILE = 'box.key';
export const COUNTY_PUB_FILE = 'county.pub';
export const ENROLMENT_FILE = 'enrolment.json';

export const enrolmentRecordSchema = z.object({
  /** The hub's origin, e.g. `http://hub.example:8470`. */
  hub: z.string().min(1),
  boxId: z.string().regex(BOX_ID_PATTERN),
  countyKeyId: z.string().min(1).max(128),
  /** Hub time (UTC ms) of the enrolment: the box's own clock may have been anywhere. */
  enrolledAt: z.int(),
  boxKeyFingerprint: z.string().optional(),
  countyKeyFingerprint: z.string().optional(),
  /** https hubs: `sha256/` + base64 SHA-256 of the hub certificate's SPKI; every later connection must show that key. */
  tlsPin: z
    .string()
    .refine((v) => parsePin(v) === v, PIN_RULE)
    .optional(),
});
export type EnrolmentRecord = z.infer<typeof enrolmentRecordSchema>;

export interface EnrolmentPaths {
  readonly dir: string;
  readonly boxKey: string;
  readonly countyPub: string;
  readonly enrolment: string;
}

export function enrolmentPaths(dataDir: string): EnrolmentPaths {
  const dir = join(dataDir, SYNC_DIR);
  return { dir, boxKey: join(dir, BOX_KEY_FILE), countyPub: join(dir, COUNTY_PUB_FILE), enrolment: join(dir, ENROLMENT_FILE) };
}

export function enrolmentExists(dataDir: string): boolean {
  return statSync(enrolmentPaths(dataDir).enrolment, { throwIfNoEntry: false }) !== undefined;
}

/** A temporary file beside `file`, created 0600 (whatever the umask) and synced; the caller renames or removes it. */
export function writeTempBeside(file: string, data: string, mode = 0o600): string {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  let written = false;
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) rmSync(tmp, { force: true });
  }
  return tmp;
}

/** Makes a rename (or a new file) in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `file` atomically: temp + fsync + rename + fsync of the directory. */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = writeTempBeside(file, data, mode);
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(file));
}

/** Creates `<data>/sync/` (0700) if it is missing. */
export function ensureSyncDir(dataDir: string): string {
  const { dir } = enrolmentPaths(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface Enrolment {
  readonly record: EnrolmentRecord;
  /** Signs with key id = the box id. */
  readonly boxKey: SigningKey;
  readonly countyKey: KeyObject;
}

/** The box's enrolment, or undefined when it has none. Throws when the files are there but broken (never quoting a key). */
export function loadEnrolment(dataDir: string): Enrolment | undefined {
  const paths = enrolmentPaths(dataDir);
  let text: string;
  try {
    text = readFileSync(paths.enrolment, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${paths.enrolment} is not JSON`);
  }
  const parsed = enrolmentRecordSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${paths.enrolment} is not an enrolment record (${parsed.error.issues[0]?.path.join('.') ?? ''})`);
  const record = parsed.data;
  if (record.tlsPin !== undefined && !record.hub.startsWith('https:')) throw new Error(`${paths.enrolment} has a tlsPin but its hub ${record.hub} is not https`);
  const boxKey = SigningKey.fromPem(record.boxId, readFileSync(paths.boxKey, 'utf8'));
  const countyKey = importPublicKeyPem(readFileSync(paths.countyPub, 'utf8'));
  return { record, boxKey, countyKey };
}
