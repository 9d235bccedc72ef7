import type { Recording, RecordingEvent, ScheduleEntryBody, UnplayableVideoMessage } from './api.js';

/**
 * The 录像 page's pure parts: the recordings list kept up to date by the `recording` live events, which recordings are
 * in progress and which are done, and the body of a one-off or weekly entry from the form's fields (times in the box's
 * zone, given with their offset so the daemon reads them as the operator meant).
 */

/** Newest planned start first, as `GET /recordings` orders them. */
function byStart(a: Recording, b: Recording): number {
  return b.plannedStart - a.plannedStart || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The list after one live event: a recording's new state or progress replaces its row (or adds it), `deleted` removes it. */
export function applyRecordingEvent(list: readonly Recording[], ev: RecordingEvent): Recording[] {
  if (ev.type === 'deleted') return list.filter((r) => r.id !== ev.id);
  const next = list.filter((r) => r.id !== ev.recording.id);
  next.push(ev.recording);
  return next.sort(byStart);
}

export function inProgress(list: readonly Recording[]): Recording[] {
  return list.filter((r) => r.state === 'recording' || r.state === 'finishing');
}

export function done(list: readonly Recording[]): Recording[] {
  return list.filter((r) => r.state === 'finished' || r.state === 'failed');
}

/** Seconds without data over all gaps (an open gap counts up to `now`). */
export function gapSeconds(r: Pick<Recording, 'gaps'>): number {
  return r.gaps.reduce((s, g) => s + Math.max(0, g.to - g.from), 0) / 1000;
}

/** The daemon's words when browsers cannot play a recording's video (typed by the contract: a change there fails here). */
const UNPLAYABLE_VIDEO: UnplayableVideoMessage = 'browsers cannot play this video codec';

/** The video codec of a `lastError` saying browsers cannot play the recording's video (`… codec (mpeg2video): …`), else undefined. */
export function unplayableCodec(lastError: string | null): string | undefined {
  if (lastError === null || lastError.indexOf(UNPLAYABLE_VIDEO) !== 0) return undefined;
  const m = /^\s*\(([^()]+)\)/.exec(lastError.slice(UNPLAYABLE_VIDEO.length));
  return m !== null && m[1] !== undefined ? m[1] : '?';
}

/**
 * What a done recording's row says about its browser copy's absence: `unplayable` (its video is in a codec browsers
 * cannot decode: said in the UI's language, with the codec), `error` (any other failure: the daemon's message as
 * today), or nothing.
 */
export type CopyNote = { readonly kind: 'unplayable'; readonly codec: string } | { readonly kind: 'error'; readonly message: string } | { readonly kind: 'none' };

export function copyNote(r: Pick<Recording, 'lastError'>): CopyNote {
  if (r.lastError === null) return { kind: 'none' };
  const codec = unplayableCodec(r.lastError);
  return codec !== undefined ? { kind: 'unplayable', codec } : { kind: 'error', message: r.lastError };
}

/** Whether the row offers the original segments to download: a finished recording without a browser copy. */
export function offersSegments(r: Pick<Recording, 'state' | 'media'>): boolean {
  return r.state === 'finished' && r.media === null;
}

export const WEEKDAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekdayKey = (typeof WEEKDAY_KEYS)[number];

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes east of UTC of `zone` at the instant `ms` (Intl only: Chrome 61 has formatToParts). */
export function zoneOffsetMinutes(zone: string, ms: number): number {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  const hour = p.hour === '24' ? 0 : Number(p.hour);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), hour, Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** `2026-12-07T09:00:00+08:00`: a wall-clock date and time in `zone` with that zone's offset on that day. */
export function zonedIso(date: string, hhmm: string, zone: string): string | undefined {
  const d = DATE.exec(date);
  const t = HHMM.exec(hhmm);
  if (d === null || t === null) return undefined;
  const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]));
  // The offset at the guessed instant, then again at the corrected one (a change of offset between them).
  let offset = zoneOffsetMinutes(zone, wall);
  offset = zoneOffsetMinutes(zone, wall - offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  return `${date}T${hhmm}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The next day of a `YYYY-MM-DD` date. */
function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export interface EntryForm {
  readonly kind: 'once' | 'weekly';
  readonly channel: string;
  readonly title: string;
  /** once: YYYY-MM-DD (the day it starts). */
  readonly date: string;
  readonly start: string;
  readonly end: string;
  readonly days: readonly WeekdayKey[];
}

export type EntryCheck = { readonly ok: true; readonly body: ScheduleEntryBody } | { readonly ok: false; readonly problem: 'channel' | 'title' | 'date' | 'time' | 'days' | 'same' };

/**
 * The POST /recordings/schedule body of the form, or what is missing. An end at or before the start ends the next
 * day (a programme over midnight), for a one-off as for a weekly entry.
 */
export function entryBody(f: EntryForm, zone: string): EntryCheck {
  const title = f.title.trim();
  if (f.channel === '') return { ok: false, problem: 'channel' };
  if (title === '') return { ok: false, problem: 'title' };
  if (!HHMM.test(f.start) || !HHMM.test(f.end)) return { ok: false, problem: 'time' };
  if (f.start === f.end) return { ok: false, problem: 'same' };
  if (f.kind === 'weekly') {
    if (f.days.length === 0) return { ok: false, problem: 'days' };
    const days = WEEKDAY_KEYS.filter((d) => f.days.indexOf(d) >= 0);
    return { ok: true, body: { kind: 'weekly', channel: f.channel, title, days, start: f.start, end: f.end } };
  }
  const start = zonedIso(f.date, f.start, zone);
  const end = zonedIso(f.end <= f.start ? nextDay(f.date) : f.date, f.end, zone);
  if (start === undefined || end === undefined) return { ok: false, problem: 'date' };
  return { ok: true, body: { kind: 'once', channel: f.channel, title, start, end } };
}

/** Today in `zone` as YYYY-MM-DD (the form's default date). */
export function zonedToday(zone: string, now: number): string {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(now))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}`;
}
