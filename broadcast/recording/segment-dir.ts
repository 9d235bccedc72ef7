/** The segment files of one recording's folder (`seg-00001.ts` …), as found on disk. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SEGMENT_FILE } from './ffmpeg-args.js';

export interface SegmentFile {
  readonly name: string;
  readonly number: number;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/** The folder's segments by number; an absent folder has none. */
export function listSegments(dir: string): SegmentFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SegmentFile[] = [];
  for (const name of names) {
    const m = SEGMENT_FILE.exec(name);
    if (m === null) continue;
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st === undefined || !st.isFile()) continue;
    out.push({ name, number: Number(m[1]), bytes: st.size, mtimeMs: st.mtimeMs });
  }
  return out.sort((a, b) => a.number - b.number);
}

/** The number a new ffmpeg run starts at: after every segment there, so a resumed recording only appends. */
export function nextSegmentNumber(segments: readonly SegmentFile[]): number {
  return segments.length === 0 ? 1 : segments[segments.length - 1]!.number + 1;
}

export interface SegmentTotals {
  readonly bytes: number;
  /** Segments holding data (ffmpeg opens the next file before it has anything to put in it). */
  readonly segments: number;
  /** When data last reached the disk (the newest write), undefined without any. */
  readonly lastWriteAt: number | undefined;
}

export function totals(segments: readonly SegmentFile[]): SegmentTotals {
  let bytes = 0;
  let count = 0;
  let last: number | undefined;
  for (const s of segments) {
    if (s.bytes === 0) continue;
    bytes += s.bytes;
    count++;
    last = last === undefined ? s.mtimeMs : Math.max(last, s.mtimeMs);
  }
  return { bytes, segments: count, lastWriteAt: last === undefined ? undefined : Math.floor(last) };
}
