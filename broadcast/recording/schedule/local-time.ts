/**
 * Wall-clock time in a named IANA zone (`site.timezone`) and back, through Intl: no offset is hard-wired, so a zone
 * with daylight saving works as well as Asia/Shanghai (UTC+8 all year). Pure.
 */

import type { Weekday } from './wall-clock.js';
import { WEEKDAYS } from './wall-clock.js';

export { HH_MM_RULE, parseHhMm, WEEKDAYS, type Weekday } from './wall-clock.js';

/** A calendar date in the zone (month 1-12). */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface LocalDateTime extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (an unknown one throws RangeError when a formatter is made). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock date and time in `timeZone` at the instant `ms` (UTC). */
export function toLocal(ms: number, timeZone: string): LocalDateTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    // `24` is midnight in some ICU versions even with h23.
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: (parts.weekday ?? 'Mon').toLowerCase().slice(0, 3) as Weekday,
  };
}

/** How far the zone's wall clock is ahead of UTC at the instant `ms`, in ms (whole seconds). */
function offsetAt(ms: number, timeZone: string): number {
  const l = toLocal(ms, timeZone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC instant of a wall-clock time in `timeZone`. A time skipped by a spring-forward change is taken at the
 * offset before it (so 02:30 on that day is 03:30 in the new offset); a time shown twice in autumn is its first one.
 */
export function fromLocal(date: LocalDate, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  // The offset a few hours either side covers any change near this time; the earlier candidate wins a repeated hour.
  const candidates = [offsetAt(wall - 12 * 3_600_000, timeZone), offsetAt(wall + 12 * 3_600_000, timeZone)]
    .map((offset) => wall - offset)
    .filter((utc) => offsetAt(utc, timeZone) === wall - utc)
    .sort((a, b) => a - b);
  return candidates[0] ?? wall - offsetAt(wall - 12 * 3_600_000, timeZone);
}

/** The calendar date `days` after `date` (negative: before). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The weekday of a calendar date (the same in every zone). */
export function weekdayOf(date: LocalDate): Weekday {
  const js = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(js + 6) % 7]!;
}

/** `2025-12-08`. */
export function isoDate(date: LocalDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}
