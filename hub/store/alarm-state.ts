import type { AlarmRecordAlarm, HubAlarm, HubAlarmTransition } from './types.js';

/** A stored transition as the fold reads it back (hub_alarm_transitions): the queries' transition, with its title. */
export type FoldTransition = Pick<HubAlarmTransition, 'transitionId' | 'seq' | 'ts' | 'type' | 'level' | 'by' | 'account' | 'receivedAt'> & {
  readonly title: string;
};

/** One row of hub_alarms: an alarm's state after every transition the hub holds of it (and the seq that brought the newest). */
export type AlarmStateRow = Omit<HubAlarm, 'boxId' | 'dbId'> & { readonly lastSeq: number };

/**
 * The alarm's state after its transitions in transition-id order, by the box's own lifecycle rules
 * (node-daemon/alarms/store/alarm-store.ts): `raised`/`escalated` make it active again (an escalation must sound even
 * if the lower level was acknowledged or shelved), `acknowledged` acknowledges, `cleared` clears, `deescalated` only
 * moves the level, `shelved`/`unshelved` toggle the shelve. Every transition carries the level after it; a type this
 * hub does not know moves only the level. Recomputed from all stored transitions, so arrival order never matters.
 */
export function foldAlarm(alarm: AlarmRecordAlarm, transitions: readonly FoldTransition[]): AlarmStateRow {
  const sorted = [...transitions].sort((a, b) => a.transitionId - b.transitionId);
  const last = sorted[sorted.length - 1];
  if (last === undefined) throw new Error(`hub store: alarm ${alarm.id} has no transition to fold`);
  let state: AlarmStateRow['state'] = 'active';
  let level: string | null = null;
  let shelved = false;
  let ack: { at: number; by: string | null; account: string | null } | null = null;
  let clearedAt: number | null = null;
  for (const t of sorted) {
    level = t.level;
    switch (t.type) {
      case 'raised':
      case 'escalated':
        state = 'active';
        ack = null;
        shelved = false;
        clearedAt = null;
        break;
      case 'acknowledged':
        state = 'acknowledged';
        ack = { at: t.ts, by: t.by, account: t.account };
        break;
      case 'cleared':
        state = 'cleared';
        clearedAt = t.ts;
        shelved = false;
        break;
      case 'shelved':
        shelved = true;
        break;
      case 'unshelved':
        shelved = false;
        break;
      default:
        break;
    }
  }
  return {
    alarmId: alarm.id,
    key: alarm.key,
    kind: alarm.kind,
    siteId: alarm.siteId ?? null,
    sensorId: alarm.sensorId ?? null,
    drill: alarm.drill,
    title: last.title,
    raisedAt: alarm.raisedAt,
    state,
    level,
    shelved,
    acknowledgedAt: ack?.at ?? null,
    acknowledgedBy: ack?.by ?? null,
    acknowledgedByAccount: ack?.account ?? null,
    clearedAt,
    updatedAt: last.ts,
    lastTransitionId: last.transitionId,
    lastSeq: last.seq,
    receivedAt: last.receivedAt,
  };
}

const LEVEL_ORDER: Readonly<Record<string, number>> = { evacuate: 2, prepare: 1 };

/** Evacuate before prepare before no level, then the oldest raise first, then box and alarm id. */
export function compareActive(
  a: { level: string | null; raisedAt: number; boxId: string; alarmId: number },
  b: { level: string | null; raisedAt: number; boxId: string; alarmId: number },
): number {
  const rank = (l: string | null): number => (l === null ? 0 : (LEVEL_ORDER[l] ?? 0));
  return (
    rank(b.level) - rank(a.level) ||
    a.raisedAt - b.raisedAt ||
    (a.boxId < b.boxId ? -1 : a.boxId > b.boxId ? 1 : 0) ||
    a.alarmId - b.alarmId
  );
}
