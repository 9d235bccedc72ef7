import { capFeedEntry, type CapFeedEntry } from '../../node-daemon/alarms/cap/atom-feed.js';
import { alarmToCap, type CapContext } from '../../node-daemon/alarms/cap/cap.js';
import {
  ALARM_KINDS,
  ALARM_LEVELS,
  ALARM_STATES,
  TRANSITION_TYPES,
  type AlarmCause,
  type AlarmKind,
  type AlarmLevel,
  type AlarmTransition,
  type AlarmWithHistory,
  type TransitionType,
} from '../../node-daemon/alarms/types.js';
import type { HubAlarm, HubAlarmTransition } from '../store/types.js';
import type { HubCapConfig } from './cap-config.js';

/**
 * A box's alarm as the hub holds it, as the box's own CAP 1.2 message (node-daemon/alarms/cap/cap.ts): same
 * mapping, same identifier rule, the hub's sender. Pure.
 *
 * Sender: `BOX@SENDER`. CAP asks that `sender` be globally unique and `identifier` unique per sender; the box numbers
 * its transitions itself, so one sender per box keeps every identifier unique across the county.
 */

export interface CapBox {
  readonly id: string;
  readonly name: string | null;
}

export function capContextFor(box: CapBox, cfg: HubCapConfig): CapContext {
  const place = box.name ?? box.id;
  return {
    senderCode: cfg.senderCode,
    sender: `${box.id}@${cfg.sender}`,
    senderName: `${cfg.senderName}（${place}）`,
    areaDesc: cfg.areas[box.id] ?? `${cfg.areaDesc}${place}`,
    ...(cfg.geocode === undefined ? {} : { geocode: { valueName: 'GB/T 2260', value: cfg.geocode } }),
    timeZone: cfg.timeZone,
  };
}

const oneOf = <T extends string>(list: readonly T[], v: string | null | undefined): T | undefined => (list as readonly string[]).includes(v ?? '') ? (v as T) : undefined;

function causeOf(v: unknown): AlarmCause {
  if (v === null || typeof v !== 'object') return {};
  const c = v as Record<string, unknown>;
  return {
    ...(typeof c['rule'] === 'string' ? { rule: c['rule'] } : {}),
    ...(typeof c['sensorId'] === 'string' ? { sensorId: c['sensorId'] } : {}),
    ...(typeof c['readingTs'] === 'number' ? { readingTs: c['readingTs'] } : {}),
    ...(typeof c['value'] === 'number' || c['value'] === null ? { value: c['value'] as number | null } : {}),
    ...(typeof c['detail'] === 'string' ? { detail: c['detail'] } : {}),
  };
}

/** The hub's rows as the box's alarm shape; transitions of a type this code does not know are left out. */
export function hubAlarmWithHistory(a: HubAlarm, transitions: readonly HubAlarmTransition[]): AlarmWithHistory {
  const history: AlarmTransition[] = [];
  for (const t of [...transitions].sort((x, y) => x.transitionId - y.transitionId)) {
    const type = oneOf<TransitionType>(TRANSITION_TYPES, t.type);
    if (type === undefined) continue;
    history.push({
      id: t.transitionId,
      alarmId: a.alarmId,
      ts: t.ts,
      type,
      level: oneOf<AlarmLevel>(ALARM_LEVELS, t.level) ?? null,
      ...(t.by === null ? {} : { by: t.by }),
      ...(t.account === null ? {} : { account: t.account }),
      ...(t.note === null ? {} : { note: t.note }),
      cause: causeOf(t.cause),
    });
  }
  return {
    id: a.alarmId,
    key: a.key,
    kind: oneOf<AlarmKind>(ALARM_KINDS, a.kind) ?? 'manual',
    ...(a.siteId === null ? {} : { siteId: a.siteId }),
    ...(a.sensorId === null ? {} : { sensorId: a.sensorId }),
    level: oneOf<AlarmLevel>(ALARM_LEVELS, a.level) ?? null,
    drill: a.drill,
    state: oneOf(ALARM_STATES, a.state) ?? 'active',
    title: a.title,
    raisedAt: a.raisedAt,
    updatedAt: a.updatedAt,
    ...(a.acknowledgedAt === null ? {} : { acknowledgedAt: a.acknowledgedAt }),
    ...(a.clearedAt === null ? {} : { clearedAt: a.clearedAt }),
    transitions: history,
  };
}

/** One CAP message of a box's alarm and what an Atom entry repeats of it (node-daemon/alarms/cap/atom-feed.ts). */
export interface CapMessage extends CapFeedEntry {
  readonly boxId: string;
  /** The box database (series) the alarm belongs to. */
  readonly dbId: string;
  readonly alarmId: number;
}

/**
 * The alarm's CAP message, or undefined when the hub holds no public transition of it (only an acknowledge, say,
 * its raise lost on the box): there is nothing to say in CAP then.
 */
export function hubAlarmCap(a: HubAlarm, transitions: readonly HubAlarmTransition[], box: CapBox, cfg: HubCapConfig): CapMessage | undefined {
  const alarm = hubAlarmWithHistory(a, transitions);
  if (!alarm.transitions.some((t) => t.type === 'raised' || t.type === 'escalated' || t.type === 'deescalated' || t.type === 'cleared')) return undefined;
  return { boxId: box.id, dbId: a.dbId, alarmId: a.alarmId, ...capFeedEntry(alarmToCap(alarm, capContextFor(box, cfg)), a.drill) };
}
