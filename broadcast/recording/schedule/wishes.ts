/**
 * What the schedule wants recorded before padding, merging and conflicts: guide programmes picked by the rules, and
 * the occurrences of the operator's entries, each with its stable id. Pure.
 */
import type { JobOrigin } from '../types.js';
import { addDays, fromLocal, isoDate, parseHhMm, toLocal, weekdayOf, type LocalDate } from './local-time.js';
import type { GuideRule, ScheduleChannel, ScheduleEntry, WeeklyEntry } from './schedule-types.js';
import { preferredText, type GuideProgramme } from './xmltv.js';

/** A recording wished for, unpadded; `id` is stable across re-plans and restarts. */
export interface Wish {
  readonly id: string;
  readonly channelId: string;
  readonly title: string;
  readonly startAt: number;
  readonly endAt: number;
  readonly origin: JobOrigin;
  /** Whether padding applies (not to "record now": it starts now and runs the minutes asked for). */
  readonly padded: boolean;
}

/** `xmltv:<channel>:<programme start>`: the same programme picked by several rules is one wish. */
export function guideWishId(channelId: string, start: number): string {
  return `xmltv:${channelId}:${start}`;
}

export function entryWishId(entry: ScheduleEntry, occurrence?: LocalDate): string {
  if (entry.kind === 'weekly') return `weekly:${entry.id}:${isoDate(occurrence!)}`;
  return `${entry.kind === 'now' ? 'now' : 'manual'}:${entry.id}`;
}

/** The guide programmes of our channels that some rule picks, once each. */
export function guideWishes(
  programmes: readonly GuideProgramme[],
  channels: readonly ScheduleChannel[],
  rules: readonly GuideRule[],
  timeZone: string,
): Wish[] {
  const byChannel = new Map<string, GuideRule[]>();
  for (const r of rules) byChannel.set(r.channel, [...(byChannel.get(r.channel) ?? []), r]);
  const wishes = new Map<string, Wish>();
  for (const channel of channels) {
    const channelRules = byChannel.get(channel.id);
    if (channelRules === undefined) continue;
    const guideId = channel.xmltvId ?? channel.id;
    for (const p of programmes) {
      if (p.channel !== guideId || !channelRules.some((r) => ruleMatches(r, p, timeZone))) continue;
      const id = guideWishId(channel.id, p.start);
      if (wishes.has(id)) continue;
      wishes.set(id, { id, channelId: channel.id, title: preferredText(p.titles) ?? channel.name, startAt: p.start, endAt: p.stop, origin: 'xmltv', padded: true });
    }
  }
  return [...wishes.values()];
}

export function ruleMatches(rule: GuideRule, p: GuideProgramme, timeZone: string): boolean {
  if (rule.title !== undefined) {
    const re = new RegExp(rule.title, 'iu');
    if (!p.titles.some((t) => re.test(t.text))) return false;
  }
  if (rule.category !== undefined) {
    const wanted = rule.category.toLowerCase();
    if (!p.categories.some((c) => c.text.toLowerCase() === wanted)) return false;
  }
  if (rule.window !== undefined || rule.days !== undefined) {
    const local = toLocal(p.start, timeZone);
    if (rule.days !== undefined && !rule.days.includes(local.weekday)) return false;
    if (rule.window !== undefined && !inWindow(local.hour * 60 + local.minute, rule.window.from, rule.window.to)) return false;
  }
  return true;
}

function inWindow(minute: number, fromText: string, toText: string): boolean {
  const from = parseHhMm(fromText) ?? 0;
  const to = parseHhMm(toText) ?? 0;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** The occurrences of the entries that end after `from` and start before `until`. */
export function entryWishes(entries: readonly ScheduleEntry[], from: number, until: number, timeZone: string): Wish[] {
  const out: Wish[] = [];
  for (const e of entries) {
    if (e.kind === 'weekly') out.push(...weeklyWishes(e, from, until, timeZone));
    else if (e.endAt > from && e.startAt < until) {
      out.push({ id: entryWishId(e), channelId: e.channelId, title: e.title, startAt: e.startAt, endAt: e.endAt, origin: e.kind === 'now' ? 'now' : 'manual', padded: e.kind !== 'now' });
    }
  }
  return out;
}

function weeklyWishes(e: WeeklyEntry, from: number, until: number, timeZone: string): Wish[] {
  const start = parseHhMm(e.start);
  const end = parseHhMm(e.end);
  if (start === undefined || end === undefined) return [];
  const out: Wish[] = [];
  // From the day before `from` (an occurrence past midnight may still run) to the day `until` falls on.
  const first = addDays(toLocal(from, timeZone), -1);
  const last = toLocal(until, timeZone);
  for (let day = first; isoDate(day) <= isoDate(last); day = addDays(day, 1)) {
    if (!e.days.includes(weekdayOf(day))) continue;
    const startAt = fromLocal(day, Math.floor(start / 60), start % 60, timeZone);
    const endDay = end <= start ? addDays(day, 1) : day;
    const endAt = fromLocal(endDay, Math.floor(end / 60), end % 60, timeZone);
    if (endAt <= from || startAt >= until) continue;
    out.push({ id: entryWishId(e, day), channelId: e.channelId, title: e.title, startAt, endAt, origin: 'weekly', padded: true });
  }
  return out;
}
