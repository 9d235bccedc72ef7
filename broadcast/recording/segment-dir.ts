/** The segment files of one recording's folder (`seg-00001.ts` …), as found on disk. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SEGMENT_FILE, segmentFileName } from './ffmpeg-args.js';

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

/**
 * The totals of a folder one ffmpeg run appends to, kept up to date cheaply: the segments before the newest are closed
 * (ffmpeg never writes to them again), so a poll stats only the newest one and the one after it (a new segment opened),
 * not the whole folder (a two-hour recording of 60 s segments has 120: 120 stats a second). `resync` lists the folder
 * (at each ffmpeg start, and now and then to be safe); `poll` is the once-a-second look. Totals as `totals` gives them.
 */
export class SegmentTail {
  private closedBytes = 0;
  private closedCount = 0;
  private closedLast: number | undefined;
  /** The newest segment's number (0: none yet) and what the last poll saw of it. */
  private current = 0;
  private currentPath = '';
  private currentBytes = 0;
  private currentMtime = 0;

  constructor(private readonly dir: string) {}

  /** Lists the folder; answers its totals. */
  resync(): SegmentTotals {
    const segs = listSegments(this.dir);
    const newest = segs[segs.length - 1];
    const t = totals(newest === undefined ? segs : segs.slice(0, -1));
    this.closedBytes = t.bytes;
    this.closedCount = t.segments;
    this.closedLast = t.lastWriteAt;
    if (newest === undefined) this.setCurrent(0);
    else {
      this.setCurrent(newest.number);
      this.currentBytes = newest.bytes;
      this.currentMtime = newest.mtimeMs;
    }
    return this.totals();
  }

  /** Stats the newest segment and the ones after it; answers the totals. */
  poll(): SegmentTotals {
    if (this.current === 0) {
      // Nothing yet: the first run's first file is `seg-00001.ts` (a resumed one lists the folder at its start).
      const first = statSync(join(this.dir, segmentFileName(1)), { throwIfNoEntry: false });
      if (first === undefined) return this.totals();
      this.setCurrent(1);
    }
    for (;;) {
      // The next one first: ffmpeg closes a segment before it opens the next, so once the next is there the size read
      // after it is the closed segment's last (read the other way round, a write between the two would be missed).
      const next = statSync(join(this.dir, segmentFileName(this.current + 1)), { throwIfNoEntry: false });
      const st = statSync(this.currentPath, { throwIfNoEntry: false });
      if (st !== undefined) {
        this.currentBytes = st.size;
        this.currentMtime = st.mtimeMs;
      }
      if (next === undefined) break;
      // ffmpeg opened the next segment: the newest one is closed.
      if (this.currentBytes > 0) {
        this.closedBytes += this.currentBytes;
        this.closedCount++;
        this.closedLast = this.closedLast === undefined ? Math.floor(this.currentMtime) : Math.max(this.closedLast, Math.floor(this.currentMtime));
      }
      this.setCurrent(this.current + 1);
    }
    return this.totals();
  }

  private setCurrent(n: number): void {
    this.current = n;
    this.currentPath = n === 0 ? '' : join(this.dir, segmentFileName(n));
    this.currentBytes = 0;
    this.currentMtime = 0;
  }

  private totals(): SegmentTotals {
    if (this.currentBytes === 0) return { bytes: this.closedBytes, segments: this.closedCount, lastWriteAt: this.closedLast };
    const mtime = Math.floor(this.currentMtime);
    return {
      bytes: this.closedBytes + this.currentBytes,
      segments: this.closedCount + 1,
      lastWriteAt: this.closedLast === undefined ? mtime : Math.max(this.closedLast, mtime),
    };
  }
}
