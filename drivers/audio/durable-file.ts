import { randomUUID } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A unique temporary name beside `target`, so the final rename stays on one filesystem. */
export function tempBeside(target: string, suffix = '.tmp.wav'): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomUUID()}${suffix}`);
}

/**
 * Moves a finished file into place so that after a power cut the target is either the old file or the whole
 * new one: the data is flushed to disk before the rename, and the rename itself is flushed with the directory.
 */
export async function commitFile(tmp: string, target: string): Promise<void> {
  const fh = await open(tmp, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, target);
  const dir = await open(dirname(target), 'r');
  try {
    await dir.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await dir.close();
  }
}
