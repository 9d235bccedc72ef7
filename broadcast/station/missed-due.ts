import { cronOf } from './programme-schedule.js';
import { toLocal } from '../recording/schedule/local-time.js';

/** Pure: the due times a programme's cron had while the station was not running (croner reads it). */

export interface MissedLimits {
  /** Look back at most this far before `nowMs`; older due times are not looked for. Default 7 days. */
  readonly maxWindowMs?: number;
  /** List at most this many due times (the oldest in the window first). Default 50. */
  readonly maxListed?: number;
  /** Stop counting after this many (a per-second cron over days); `total` is then a lower bound. Default 10 000. */
  readonly maxCounted?: number;
}

export interface MissedDueTimes {
  /** The first due times missed, oldest first (UTC ms), at most `maxListed`. */
  readonly listed: readonly number[];
  /** How many due times fell in the window, counted up to `maxCounted`. */
  readonly total: number;
  /** The most recent due time missed (UTC ms), null when none was. */
  readonly latest: number | null;
  /** `total` stopped at `maxCounted`: there were at least that many. */
  readonly totalCapped: boolean;
  /** The window looked at: after `from` (the last time the station was known running, or `to - maxWindowMs`), up to and including `to`. */
  readonly from: number;
  readonly to: number;
  /** The station had been down longer than `maxWindowMs`: due times before `from` were not looked for. */
  readonly windowCapped: boolean;
}

export const MISSED_DEFAULTS = { maxWindowMs: 7 * 86_400_000, maxListed: 50, maxCounted: 10_000 } as const;

/**
 * The times `cron` (in `timeZone`) fell due after `lastRunningMs` and up to `nowMs`: the station was not running
 * then, so none of them was played. Empty when the clock reads earlier than the mark (a clock set back).
 */
export function missedDueTimes(cron: string, timeZone: string, lastRunningMs: number, nowMs: number, limits: MissedLimits = {}): MissedDueTimes {
  const maxWindowMs = limits.maxWindowMs ?? MISSED_DEFAULTS.maxWindowMs;
  const maxListed = limits.maxListed ?? MISSED_DEFAULTS.maxListed;
  const maxCounted = Math.max(limits.maxCounted ?? MISSED_DEFAULTS.maxCounted, maxListed);
  const windowCapped = nowMs - lastRunningMs > maxWindowMs;
  const from = windowCapped ? nowMs - maxWindowMs : lastRunningMs;
  const listed: number[] = [];
  let total = 0;
  let totalCapped = false;
  let latest: number | null = null;
  const schedule = cronOf(cron, timeZone);
  let at = from;
  while (at < nowMs) {
    const due = schedule.nextRun(new Date(at))?.getTime() ?? null;
    if (due === null || due > nowMs) break;
    if (total >= maxCounted) {
      totalCapped = true;
      break;
    }
    total++;
    if (listed.length < maxListed) listed.push(due);
    latest = due;
    at = due;
  }
  if (totalCapped) {
    // Counting stopped early: the most recent one from the end of the window (a run at `nowMs` itself included).
    const last = schedule.previousRuns(1, new Date(nowMs + 1))[0]?.getTime();
    if (last !== undefined && last > from && last <= nowMs) latest = last;
  }
  return { listed, total, latest, totalCapped, from, to: nowMs, windowCapped };
}

/** Pure: a UTC instant as Beijing local time (China has kept UTC+8 all year since 1991), e.g. `2026-06-02 07:00:00`. */
export function beijingTime(utcMs: number): string {
  const l = toLocal(utcMs, 'Asia/Shanghai');
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${l.year}-${two(l.month)}-${two(l.day)} ${two(l.hour)}:${two(l.minute)}:${two(l.second)}`;
}
