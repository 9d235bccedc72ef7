import type { Alarm, AlarmLevel, AlarmTransition } from '../alarms/types.js';
import type { AlarmSiteConfig } from '../alarms/rules/schema.js';
import { WHOLE_TOWNSHIP, renderTemplate } from '../dispatch/render.js';
import type { SmsConfig, SmsEventKind, SmsTemplates } from './config-schema.js';

/**
 * Pure planning of warning SMS: what an alarm transition is about, who is told, the text, whether the rate limit
 * and the daily cap admit it, and when a failed one is tried again. No I/O, no clock of its own.
 */

export interface SmsRecipient {
  readonly personId: string;
  readonly name: string;
  /** E.164, normalised by the config schema. */
  readonly phone: string;
}

/** What an SMS is about, or null when the transition is not worth one (acknowledged, shelved, an output fault...). */
export function smsEventOf(alarm: Pick<Alarm, 'kind' | 'level'>, transition: Pick<AlarmTransition, 'type' | 'level'>): SmsEventKind | null {
  if (alarm.kind === 'output_fault') return null;
  if (alarm.kind === 'fault') return transition.type === 'raised' ? 'fault' : null;
  switch (transition.type) {
    case 'raised':
    case 'escalated':
    case 'deescalated':
      return transition.level;
    case 'cleared':
      return alarm.level === null ? null : 'all_clear';
    default:
      return null;
  }
}

/** The sites an alarm is about: its own, the sites of its sensor, or (a township-wide manual or county alarm) all. */
export function sitesOf(alarm: Pick<Alarm, 'siteId' | 'sensorId' | 'kind'>, sites: readonly AlarmSiteConfig[]): AlarmSiteConfig[] {
  if (alarm.siteId !== undefined) return sites.filter((s) => s.id === alarm.siteId);
  if (alarm.sensorId !== undefined) return sites.filter((s) => s.sensors.includes(alarm.sensorId!));
  return alarm.kind === 'manual' || alarm.kind === 'county' ? [...sites] : [];
}

/** Everyone in the sites' notify groups that want this event, once per phone number (first mention wins). */
export function recipientsFor(event: SmsEventKind, sites: readonly AlarmSiteConfig[], sms: Pick<SmsConfig, 'people' | 'groups'>): { recipients: SmsRecipient[]; unknownGroups: string[] } {
  const groups = new Map(sms.groups.map((g) => [g.id, g]));
  const byPhone = new Map<string, SmsRecipient>();
  const unknownGroups: string[] = [];
  for (const site of sites) {
    for (const n of site.notify) {
      if (!n.levels.includes(event)) continue;
      const group = groups.get(n.group);
      if (group === undefined) {
        unknownGroups.push(n.group);
        continue;
      }
      for (const p of sms.people) {
        if (!group.people.includes(p.id) && !p.roles.some((r) => group.roles.includes(r))) continue;
        if (!byPhone.has(p.phone)) byPhone.set(p.phone, { personId: p.id, name: p.name, phone: p.phone });
      }
    }
  }
  return { recipients: [...byPhone.values()], unknownGroups };
}

export interface SmsTextContext {
  readonly event: SmsEventKind;
  readonly alarm: Pick<Alarm, 'kind' | 'level' | 'drill' | 'title'>;
  readonly transition: Pick<AlarmTransition, 'ts' | 'level' | 'cause'> & { readonly type?: AlarmTransition['type'] };
  /** The site the alarm is about, when one. */
  readonly site?: AlarmSiteConfig;
  readonly siteName: string | undefined;
  readonly sensorName?: string;
  readonly timeZone: string;
}

/** Manual, drill and county alarms have no reading to quote. */
const MANUAL_TEMPLATE = '【防汛预警】{site}发布{level}指令（{time}），{action}';

/**
 * The SMS text: the config's template with the site, level, water level and threshold, local time; 【演练】 for a drill.
 * An evacuate alarm falling back to prepare gets its own text: the prepare text would tell people already moved to
 * "get ready to move", and some would read it as leave to go home.
 */
export function renderSms(templates: SmsTemplates, ctx: SmsTextContext): string {
  const level: AlarmLevel | null = ctx.transition.level ?? ctx.alarm.level;
  const reading = ctx.alarm.kind === 'flood' || ctx.alarm.kind === 'fault';
  let template: string;
  if (ctx.event === 'all_clear') template = templates.allClear;
  else if (ctx.event === 'fault') template = templates.fault;
  else if (ctx.transition.type === 'deescalated' && ctx.event === 'prepare') template = reading ? templates.deescalated : MANUAL_TEMPLATE.replace('{action}', '预警降为准备转移，已转移群众暂勿返回。');
  else if (reading) template = ctx.event === 'evacuate' ? templates.evacuate : templates.prepare;
  else template = MANUAL_TEMPLATE.replace('{action}', ctx.event === 'evacuate' ? '请立即组织沿河群众转移！' : '请组织沿河群众做好转移准备。');
  const threshold = level !== null && ctx.site !== undefined ? ctx.site[level].levelM.toFixed(2) : '—';
  const filled = template.replaceAll('{threshold}', threshold).replaceAll('{title}', ctx.alarm.title.replace(/^【演练】/, ''));
  return renderTemplate(filled, {
    site: ctx.siteName ?? WHOLE_TOWNSHIP,
    level: ctx.event === 'all_clear' || ctx.event === 'fault' ? level : ctx.event,
    ts: ctx.transition.ts,
    timeZone: ctx.timeZone,
    value: ctx.transition.cause.value ?? null,
    ...(ctx.sensorName === undefined ? {} : { sensor: ctx.sensorName }),
    drill: ctx.alarm.drill,
  });
}

export interface SmsLimits {
  readonly perNumberPerHour: number;
  readonly dailyCap: number;
}

/** SMS counted against the limits (queued or sent, not suppressed) for one number in the last hour and the box today. */
export interface SmsUsage {
  readonly numberLastHour: number;
  readonly today: number;
}

export type Admission = { readonly admit: true } | { readonly admit: false; readonly reason: string };

export function admit(usage: SmsUsage, limits: SmsLimits): Admission {
  if (usage.today >= limits.dailyCap) return { admit: false, reason: `daily cap: ${usage.today} of ${limits.dailyCap} SMS sent today` };
  if (usage.numberLastHour >= limits.perNumberPerHour) return { admit: false, reason: `rate limit: ${usage.numberLastHour} SMS to this number in the last hour (at most ${limits.perNumberPerHour})` };
  return { admit: true };
}

/** UTC ms of the start of the calendar day `ts` falls in, in `timeZone` (for the daily cap). */
export function startOfLocalDay(ts: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(ts);
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const sinceMidnight = ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + (ts % 1000);
  return ts - sinceMidnight;
}

/** The failure of one try, in the driver's terms (SmsError: code, kind). */
export interface SmsFailure {
  readonly code: string;
  readonly kind: string;
}

/** Not worth another try: the number is wrong, the text cannot be sent, the subscription refuses, a person must act. */
const PERMANENT_CODES = new Set(['invalid_input', 'pin_wrong', 'pin_required', 'puk_required', 'closed', 'rejected']);

export function isPermanent(f: SmsFailure): boolean {
  return PERMANENT_CODES.has(f.code) || f.kind === 'destination' || f.kind === 'subscription';
}

/** A failure that says the transport (modem, SIM, network, platform) is unwell, not this one message. */
export function isTransportFailure(f: SmsFailure): boolean {
  return f.kind !== 'destination' && f.code !== 'invalid_input';
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

/** After `attempt` tries (1-based) failed with `f`: when to try again, or null (give up: permanent or out of tries). */
export function nextAttemptAt(now: number, attempt: number, f: SmsFailure, policy: RetryPolicy): number | null {
  if (isPermanent(f) || attempt >= policy.attempts) return null;
  return now + Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
}
