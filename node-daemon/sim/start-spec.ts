import type { SeriesPoint } from './series.js';
import { SeriesError } from './series.js';

export const START_SPEC_HELP = 'ISO 8601 with an offset (2018-10-15T20:00-05:00), or first|peak followed by +/- a duration (peak-8h, first+2d6h; "+36h" means first+36h)';

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** `2d6h`, `90m`, `1.5h` in milliseconds, or undefined if that is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?[dhms])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/**
 * Where in a series a replay starts (UTC ms), from a `--start` value: an absolute time, or an offset from the
 * first point or from the highest one, so "a few hours before the crest" needs no date looked up by hand.
 */
export function resolveStart(spec: string, points: readonly SeriesPoint[]): number {
  const first = points[0];
  if (!first) throw new SeriesError('the series has no points');
  const rel = /^(first|peak)?([+-])(.+)$/.exec(spec);
  if (rel && (rel[1] !== undefined || rel[2] === '+')) {
    const ms = parseDuration(rel[3]!);
    if (ms === undefined) throw new SeriesError(`--start "${spec}": "${rel[3]}" is not a duration like 8h, 90m or 2d6h`);
    const anchor = rel[1] === 'peak' ? points.reduce((a, b) => (b.m > a.m ? b : a)).t : first.t;
    return anchor + (rel[2] === '+' ? ms : -ms);
  }
  const t = Date.parse(spec);
  if (!Number.isFinite(t) || !/([+-]\d{2}:?\d{2}|Z)$/.test(spec)) throw new SeriesError(`--start "${spec}" is not ${START_SPEC_HELP}`);
  return t;
}
