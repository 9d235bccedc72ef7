/**
 * The browser copy of a finished recording: its segments concatenated into one MP4 (faststart), written under a
 * temporary name and renamed, so a power cut mid-remux leaves no half file under the real name (the next start makes
 * it again). Video is stream-copied; audio a browser cannot play (MP2, AC-3 …) is encoded to AAC; video a browser
 * cannot play (MPEG-2, HEVC) gets no copy at all (`BrowserCopyUnplayableError`). The segments are never re-encoded.
 */
import { execFile } from 'node:child_process';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { browserCopyArgs, concatList, planBrowserCopy, type BrowserCopyPlan } from './ffmpeg-args.js';
import { probeMedia } from './media-probe.js';
import { UNPLAYABLE_VIDEO_MESSAGE, type ProbedStream } from './recording-types.js';
import type { SegmentFile } from './segment-dir.js';

const run = promisify(execFile);

/** Stream copy runs far faster than real time; an AAC encode on a small board at some 10× real time (hours of audio). */
const COPY_TIMEOUT_MS = 30 * 60_000;
const ENCODE_TIMEOUT_MS = 4 * 3600_000;

export const BROWSER_COPY_NAME = 'recording.mp4';

export interface BrowserCopy {
  readonly path: string;
  readonly bytes: number;
  /** `copy`: every stream copied; otherwise the audio was encoded to AAC. */
  readonly audio: Extract<BrowserCopyPlan, { kind: 'copy' }>['audio'];
}

/** The stable start of the message of `BrowserCopyUnplayableError` (the recording's `lastError`). */
export { UNPLAYABLE_VIDEO_MESSAGE };

/**
 * No browser copy: the recording's video is in a codec browsers do not decode (they would show a black picture). Its
 * message becomes the recording's `lastError`; the segments are kept, to be downloaded and played elsewhere.
 */
export class BrowserCopyUnplayableError extends Error {
  readonly code = 'browser_unplayable_video';
  constructor(readonly videoCodec: string) {
    super(`${UNPLAYABLE_VIDEO_MESSAGE} (${videoCodec}): no browser copy was made; download the original segments`);
    this.name = 'BrowserCopyUnplayableError';
  }
}

/**
 * The copy is background work: an AAC encode may take a core for minutes on a small board, while polling, alarms and
 * the next recording's ffmpeg must not wait for it.
 */
function lowestPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, 19);
  } catch {
    // already gone (it failed at once): its error comes through the promise
  }
}

export async function makeBrowserCopy(dir: string, segments: readonly SegmentFile[], ffmpeg = 'ffmpeg', ffprobe = 'ffprobe'): Promise<BrowserCopy> {
  const withData = segments.filter((s) => s.bytes > 0);
  const first = withData[0];
  if (first === undefined) throw new Error('no segment holds data');
  // The concat demuxer takes its streams from the first file: its codecs decide.
  let streams: ProbedStream[];
  try {
    streams = (await probeMedia(join(dir, first.name), ffprobe)).streams;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(`ffprobe could not read ${first.name}: ${(stderr ?? String(err)).trim().slice(-500)}`);
  }
  const plan = planBrowserCopy(streams);
  if (plan.kind === 'unplayable') throw new BrowserCopyUnplayableError(plan.videoCodec);
  const list = join(dir, 'segments.txt');
  writeFileSync(list, concatList(withData.map((s) => join(dir, s.name))));
  const out = join(dir, BROWSER_COPY_NAME);
  const partial = join(dir, `.${BROWSER_COPY_NAME}.partial`);
  try {
    const remux = run(ffmpeg, browserCopyArgs(list, partial, plan.audio), { maxBuffer: 4 * 1024 * 1024, timeout: plan.audio === 'copy' ? COPY_TIMEOUT_MS : ENCODE_TIMEOUT_MS });
    lowestPriority(remux.child.pid);
    await remux;
    renameSync(partial, out);
  } catch (err) {
    rmSync(partial, { force: true });
    const stderr = (err as { stderr?: string }).stderr;
    throw new Error(`ffmpeg could not make the browser copy: ${(stderr ?? String(err)).trim().slice(-500)}`);
  }
  return { path: out, bytes: statSync(out).size, audio: plan.audio };
}
