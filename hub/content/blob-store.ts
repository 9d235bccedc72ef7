import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../../node-daemon/sync/enrol/files.js';

/**
 * The bytes of published content, once per sha256: `<contentDir>/<sha256>` (64 lowercase hex digits, no extension).
 * A file is written to a temporary name in the same directory while its SHA-256 is computed, fsynced, and renamed
 * to its digest: a reader (a box's download) sees the whole file or none, and a hub killed mid-upload leaves only a
 * `.upload-*` file behind (removed at the next start, see `sweepUploads`). Several hub processes share this
 * directory only when it is shared storage (one machine, or NFS and the like); each process serves what it can see.
 */

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
  /** False when these bytes were there already (the upload was dropped). */
  readonly created: boolean;
}

export class BlobTooLarge extends Error {
  override readonly name = 'BlobTooLarge';
  constructor(readonly limit: number) {
    super(`the file is over ${limit} bytes`);
  }
}

export function blobPath(contentDir: string, sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256.slice(0, 80))}`);
  return join(contentDir, sha256);
}

/** The size of the stored blob, or undefined when it is not here. */
export function blobSize(contentDir: string, sha256: string): number | undefined {
  const st = statSync(blobPath(contentDir, sha256), { throwIfNoEntry: false });
  return st?.isFile() === true ? st.size : undefined;
}

/** Removes temporary uploads a killed hub left (older than `olderThanMs`, so a running upload of another process survives). */
export function sweepUploads(contentDir: string, now: number, olderThanMs = 24 * 3600_000): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(contentDir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith('.upload-')) continue;
    const p = join(contentDir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st !== undefined && now - st.mtimeMs > olderThanMs) {
      rmSync(p, { force: true });
      removed += 1;
    }
  }
  return removed;
}

/**
 * Stores the bytes of `source` (chunks as they come: a request body, a file stream) and resolves to their sha256
 * and size; more than `limit` bytes rejects with BlobTooLarge (nothing kept). Never holds the whole file in memory.
 */
export async function storeBlob(contentDir: string, source: AsyncIterable<Uint8Array>, limit: number): Promise<StoredBlob> {
  mkdirSync(contentDir, { recursive: true, mode: 0o755 });
  const tmp = join(contentDir, `.upload-${process.pid}-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', resolve);
    out.once('error', reject);
  });
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > limit) throw new BlobTooLarge(limit);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve, reject) => out.once('drain', resolve).once('error', reject));
    }
    out.end();
    await closed;
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const sha256 = hash.digest('hex');
    const final = blobPath(contentDir, sha256);
    if (statSync(final, { throwIfNoEntry: false })?.size === size) {
      rmSync(tmp, { force: true });
      return { sha256, size, created: false };
    }
    renameSync(tmp, final);
    fsyncDir(contentDir);
    return { sha256, size, created: true };
  } catch (err) {
    out.destroy();
    await closed.catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err;
  }
}
