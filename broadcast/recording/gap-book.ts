/**
 * The gaps of one recording: a stretch opens when data stops (a stall, an ffmpeg exit, a daemon restart) and closes
 * when data reaches the disk again, or when the recording ends first. Pure.
 */
import type { RecordingGap } from './types.js';

export class GapBook {
  private openGap: { from: number; reason: RecordingGap['reason'] } | undefined;
  private readonly list: RecordingGap[];

  constructor(closed: readonly RecordingGap[] = []) {
    this.list = [...closed];
  }

  /** Opens a gap from `from` unless one is open already (the first cause names it). */
  open(from: number, reason: RecordingGap['reason']): void {
    if (this.openGap === undefined) this.openGap = { from, reason };
  }

  /** A gap known whole from elsewhere (the schedule's untrusted clock before the start), kept in time order. */
  record(gap: RecordingGap): void {
    if (gap.to <= gap.from) return;
    this.list.push(gap);
    this.list.sort((a, b) => a.from - b.from);
  }

  isOpen(): boolean {
    return this.openGap !== undefined;
  }

  /** Closes the open gap at `to`; the closed gap, or undefined if none was open (or it had no length). */
  close(to: number): RecordingGap | undefined {
    const g = this.openGap;
    this.openGap = undefined;
    if (g === undefined || to <= g.from) return undefined;
    const gap: RecordingGap = { from: g.from, to, reason: g.reason };
    this.list.push(gap);
    return gap;
  }

  /** The closed gaps, oldest first. */
  closed(): readonly RecordingGap[] {
    return this.list;
  }

  /** The closed gaps plus the open one as if it closed at `now` (what the API shows while a gap lasts). */
  asOf(now: number): RecordingGap[] {
    const g = this.openGap;
    return g === undefined || now <= g.from ? [...this.list] : [...this.list, { from: g.from, to: now, reason: g.reason }];
  }
}
