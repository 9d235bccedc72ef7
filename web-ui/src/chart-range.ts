/**
 * Which stretch of time the site chart opens on, and what lies under a finger on it. Pure (no DOM): unit-tested in
 * chart-range.test.ts.
 *
 * A chart that opens on 24 h shows a fresh rise as a sliver at the right edge. It opens instead on the current event:
 * from a little before the water began the rise that led to the open alarm (or, with no alarm, a clear rise still
 * under way), to now. With nothing happening it shows the last few hours.
 */

/** One sensor's readings: UTC ms and metres (null: no good value). */
export interface SeriesPoints {
  readonly ts: readonly number[];
  readonly values: readonly (number | null)[];
}

export const QUIET_MS = 6 * 3_600_000;
/** How far back before the alarm (or now) the start of the rise is looked for. */
export const LOOKBACK_MS = 12 * 3_600_000;
/** A rise this big (metres) with no alarm still counts as an event. */
export const RISE_M = 0.3;
/**
 * The shortest window an event is shown in, and the least shown before the rise began: short, so that a rise that
 * began minutes ago fills the chart (the window widens as the event goes on, and the range buttons show more).
 */
export const MIN_SPAN_MS = 60_000;
export const MIN_LEAD_MS = 30_000;
/** The lead before the rise, as a share of the event so far. */
export const LEAD_SHARE = 0.15;

export interface ChartWindow {
  readonly from: number;
  readonly to: number;
  /** true: the window follows an event (the 本次过程 range); false: the quiet default. */
  readonly event: boolean;
}

interface Found {
  readonly start: number;
}

/** Where one sensor's current rise began: the last time it was near its low before `anchor`, within the lookback. */
function riseStart(s: SeriesPoints, anchor: number, alarmed: boolean, now: number): Found | undefined {
  const lo = anchor - LOOKBACK_MS;
  let minV = Infinity;
  let top: number | undefined;
  for (let i = 0; i < s.ts.length; i++) {
    const ts = s.ts[i]!;
    const v = s.values[i];
    if (v === null || v === undefined || ts < lo || ts > anchor) continue;
    if (v < minV) minV = v;
    top = v;
  }
  if (top === undefined || !isFinite(minV)) return undefined;
  // The level the rise reached: at the alarm, or the latest value while nothing has been raised.
  const rise = top - minV;
  if (!alarmed) {
    if (rise < RISE_M) return undefined;
    // Still high: a rise that has already run off is not happening now.
    let peak = -Infinity;
    for (let i = 0; i < s.ts.length; i++) {
      const v = s.values[i];
      if (v !== null && v !== undefined && s.ts[i]! >= lo && s.ts[i]! <= now && v > peak) peak = v;
    }
    if (top < peak - rise / 2) return undefined;
  }
  const tol = Math.max(0.02, rise * 0.05);
  let start: number | undefined;
  for (let i = 0; i < s.ts.length; i++) {
    const ts = s.ts[i]!;
    const v = s.values[i];
    if (v === null || v === undefined || ts < lo || ts > anchor) continue;
    if (v <= minV + tol) start = ts;
  }
  return { start: start !== undefined ? start : anchor };
}

/** The first time any series has a value. */
function earliest(series: readonly SeriesPoints[]): number | undefined {
  let first: number | undefined;
  for (const s of series) {
    for (let i = 0; i < s.ts.length; i++) {
      const v = s.values[i];
      if (v === null || v === undefined) continue;
      if (first === undefined || s.ts[i]! < first) first = s.ts[i]!;
      break;
    }
  }
  return first;
}

/**
 * The window the chart opens on. `alarmSince`: when the site's open flood alarm was raised (undefined: none). The
 * series are the site's sensors over (at least) the last 24 h.
 */
export function eventWindow(series: readonly SeriesPoints[], now: number, alarmSince?: number): ChartWindow {
  const alarmed = alarmSince !== undefined && alarmSince <= now;
  const anchor = alarmed ? alarmSince : now;
  let start: number | undefined;
  for (const s of series) {
    const f = riseStart(s, anchor, alarmed, now);
    if (f !== undefined && (start === undefined || f.start < start)) start = f.start;
  }
  if (start === undefined && alarmed) start = alarmSince;
  if (start === undefined) return { from: now - QUIET_MS, to: now, event: false };
  const lead = Math.max(MIN_LEAD_MS, (now - start) * LEAD_SHARE);
  let from = start - lead;
  // Nothing stored before the rise (a box just installed or restarted with a new database): no empty lead.
  const first = earliest(series);
  if (first !== undefined && first > from) from = first;
  return { from: Math.round(Math.min(from, now - MIN_SPAN_MS)), to: now, event: true };
}

/** The points of a series within [from, to], for a chart that shows just that window. */
export function clip(s: { readonly xs: readonly number[]; readonly ys: readonly (number | null)[] }, fromS: number, toS: number): { xs: number[]; ys: (number | null)[] } {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  for (let i = 0; i < s.xs.length; i++) {
    const x = s.xs[i]!;
    if (x < fromS || x > toS) continue;
    xs.push(x);
    ys.push(s.ys[i] !== undefined ? s.ys[i]! : null);
  }
  return { xs, ys };
}

/**
 * The value nearest to index `i` of a (joined) series, looking outward no further than `maxGap` x-units: a tap between
 * two readings of one sensor still reads that sensor. undefined when there is none so close.
 */
export function nearestValue(xs: ArrayLike<number>, ys: ArrayLike<number | null | undefined>, i: number, maxGap: number): { x: number; y: number } | undefined {
  const at = xs[i];
  if (at === undefined) return undefined;
  for (let d = 0; d < xs.length; d++) {
    for (const j of d === 0 ? [i] : [i - d, i + d]) {
      if (j < 0 || j >= xs.length) continue;
      const x = xs[j]!;
      if (Math.abs(x - at) > maxGap) continue;
      const y = ys[j];
      if (y !== null && y !== undefined && isFinite(y)) return { x, y };
    }
    const left = i - d >= 0 ? Math.abs(xs[i - d]! - at) : Infinity;
    const right = i + d < xs.length ? Math.abs(xs[i + d]! - at) : Infinity;
    if (left > maxGap && right > maxGap) break;
  }
  return undefined;
}
