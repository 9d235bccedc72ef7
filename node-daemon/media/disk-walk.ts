import { lstat, readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { SEGMENT_FILE } from '../../broadcast/recording/ffmpeg-args.js';

/** Bytes of the files under `path` (file sizes; symlinks not followed); 0 when it does not exist. */
export async function bytesUnder(path: string): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  if (st.isFile()) return st.size;
  if (!st.isDirectory()) return 0;
  let total = 0;
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch {
    return 0;
  }
  for (const e of entries) total += await bytesUnder(join(path, e));
  return total;
}

/** Bytes of the original segments in a recording's folder (files named as SEGMENT_FILE says); 0 when none. */
export async function segmentBytes(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names) {
    if (!SEGMENT_FILE.test(name)) continue;
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (st?.isFile() === true) total += st.size;
  }
  return total;
}

/** Whether `path` is a regular file holding data (a browser copy really on disk). */
export async function nonEmptyFile(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    return st.isFile() && st.size > 0;
  } catch {
    return false;
  }
}

/** The file system holding `path` (its stat `dev`), or undefined when the path does not exist. */
export async function deviceOf(path: string): Promise<string | undefined> {
  try {
    return String((await stat(path)).dev);
  } catch {
    return undefined;
  }
}

/** Free (to this process) and total bytes of the file system holding `path`. */
export async function freeSpace(path: string): Promise<{ freeBytes: number; totalBytes: number }> {
  const s = await statfs(path);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}
