/**
 * The file pieces of the hub's resumable uploads (box backups in hub/backups/, camera pictures in hub/images/): a
 * file's size on disk is the resume point, so every append is fsynced before it is acknowledged; a file is hashed
 * whole when its last byte arrives; one box's requests run one at a time.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat, writeFile } from 'node:fs/promises';

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The size of a regular file; undefined when there is none. */
export async function sizeOfFile(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Appends `bytes` to `path` (made 0600 if new) and fsyncs it before returning. */
export async function appendSynced(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.write(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `bytes` whole to `path` (0600) through a synced temporary file and a rename: never a torn file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, bytes, { mode: 0o600 });
  await fsyncPath(tmp);
  await rename(tmp, path);
}

/** Runs work one at a time per key (a box id) in this process; a failure does not block the next. */
export class PerKeySerializer {
  private readonly locks = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }
}
