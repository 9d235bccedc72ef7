import type { SeriesPoint } from './series.js';

export interface ReplayOptions {
  /** Series milliseconds per wall-clock millisecond. */
  readonly speedUp: number;
  /** Series time (UTC ms) shown at `wallStart`. */
  readonly seriesStart: number;
  /** Wall-clock time (UTC ms) the replay starts. */
  readonly wallStart: number;
  /** A hole in the series longer than this (series ms) makes the device silent, as a gauge that stopped answering. */
  readonly silentGapMs?: number;
  /** After the last point: hold the last value (default) or start again from `seriesStart`. */
  readonly atEnd?: 'hold' | 'loop';
}

/**
 * Two hours: a real dropout (the Blanco River's 41 hours) goes silent, while the odd missing hour of a 15-minute
 * record (the Licking River file's longest hole is 75 minutes) is bridged rather than faked as a dead link.
 */
export const DEFAULT_SILENT_GAP_MS = 2 * 3_600_000;

/**
 * Replays a series against the wall clock (pure: the caller passes the time). Values between points are
 * interpolated linearly (a gauge reads the river continuously; the record is a sampling of it). Inside a gap
 * longer than `silentGapMs` the last point before it is held for one sampling interval (the spacing before it), then
 * there is no value (`undefined`) until the first point after it, which the site simulator turns into no reply at all. Before the first point the first
 * value is held.
 */
export class Replay {
  private readonly silentGapMs: number;

  constructor(
    private readonly points: readonly SeriesPoint[],
    private readonly opts: ReplayOptions,
  ) {
    if (points.length === 0) throw new Error('a replay needs at least one point');
    if (!(opts.speedUp > 0)) throw new Error('speedUp must be positive');
    this.silentGapMs = opts.silentGapMs ?? DEFAULT_SILENT_GAP_MS;
  }

  /** The series time shown at a wall-clock time. */
  seriesTime(wallNow: number): number {
    const t = this.opts.seriesStart + (wallNow - this.opts.wallStart) * this.opts.speedUp;
    const first = this.points[0]!.t;
    const last = this.points[this.points.length - 1]!.t;
    if (this.opts.atEnd === 'loop' && t > last && last > this.opts.seriesStart) {
      return this.opts.seriesStart + ((t - this.opts.seriesStart) % (last - this.opts.seriesStart));
    }
    return Math.max(first, t);
  }

  /** Level in metres at a wall-clock time, or undefined while the device is silent. */
  levelAt(wallNow: number): number | undefined {
    const t = this.seriesTime(wallNow);
    const pts = this.points;
    if (t >= pts[pts.length - 1]!.t) return pts[pts.length - 1]!.m;
    let lo = 0;
    let hi = pts.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (pts[mid]!.t <= t) lo = mid;
      else hi = mid;
    }
    const a = pts[lo]!;
    const b = pts[hi]!;
    if (b.t - a.t > this.silentGapMs) {
      // The last value before a dropout was real: the gauge read it for one sampling interval before it fell silent.
      const spacing = lo > 0 ? a.t - pts[lo - 1]!.t : 0;
      return t === a.t || t - a.t < spacing ? a.m : undefined;
    }
    return a.m + ((b.m - a.m) * (t - a.t)) / (b.t - a.t);
  }
}
