/**
 * The browser copy of a finished recording: its segments concatenated into one MP4 without re-encoding (`-c copy`,
 * faststart), written under a temporary name and renamed, so a power cut mid-remux leaves no half file under the
 * real name (the next start makes it again).
 */
import { execFile } from 'node:child_process';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { browserCopyArgs, concatList } from './ffmpeg-args.js';
import type { SegmentFile } from './segment-dir.js';

const run = promisify(execFile);

export const BROWSER_COPY_NAME = 'recording.mp4';

export interface BrowserCopy {
  readonly path: string;
  readonly bytes: number;
}

export async function makeBrowserCopy(dir: string, segments: readonly SegmentFile[], ffmpeg = 'ffmpeg'): Promise<BrowserCopy> {
  const withData = segments.filter((s) => s.bytes > 0);
  if (withData.length === 0) throw new Error('no segment holds data');
  const list = join(dir, 'segments.txt');
  writeFileSync(list, concatList(withData.map((s) => join(dir, s.name))));
  const out = join(dir, BROWSER_COPY_NAME);
  const partial = join(dir, `.${BROWSER_COPY_NAME}.partial`);
  try {
    await run(ffmpeg, browserCopyArgs(list, partial), { maxBuffer: 4 * 1024 * 1024, timeout: 30 * 60_000 });
    renameSync(partial, out);
  } catch (err) {
    rmSync(partial, { force: true });
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(`ffmpeg could not make the browser copy: ${(stderr ?? String(err)).trim().slice(-500)}`);
  }
  return { path: out, bytes: statSync(out).size };
}
