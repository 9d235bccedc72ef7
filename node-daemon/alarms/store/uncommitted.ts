import type { Alarm, AlarmWithHistory } from '../types.js';
import type { RaiseRequest } from './alarm-requests.js';

/**
 * A flood raise the database could not take yet (disk full, I/O error): the rules keep it pending and retry, and
 * meanwhile the outputs must sound anyway (EmittingAlarmService holds it, the dispatcher sounds it). This is the alarm as it would stand once committed, with a provisional negative id
 * and one provisional transition; it is never written, listed by the API or announced on `alarm$`.
 */

/** A failure of the database itself, not a refusal of the request: SQLite's codes other than constraint failures. */
export function isStorageFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') && !code.startsWith('SQLITE_CONSTRAINT');
}

/**
 * The alarm `req` would make: the open committed alarm of its key at the new level (an escalation), else a new one.
 * `id` is the provisional id to use for a new alarm (negative, so it never names a stored alarm).
 */
export function provisionalAlarm(req: RaiseRequest, open: Alarm | undefined, id: number, now: number): AlarmWithHistory {
  const base: Alarm =
    open !== undefined && open.state !== 'cleared'
      ? { ...open, level: req.level, state: 'active', updatedAt: now }
      : {
          id,
          key: req.key,
          kind: req.kind,
          ...(req.siteId === undefined ? {} : { siteId: req.siteId }),
          ...(req.sensorId === undefined ? {} : { sensorId: req.sensorId }),
          level: req.level,
          drill: req.drill,
          state: 'active',
          title: req.title,
          raisedAt: now,
          updatedAt: now,
        };
  const type = base.id === id ? 'raised' : 'escalated';
  return {
    ...base,
    transitions: [
      {
        id,
        alarmId: base.id,
        ts: now,
        type,
        level: req.level,
        ...(req.by === undefined ? {} : { by: req.by }),
        ...(req.account === undefined ? {} : { account: req.account }),
        ...(req.note === undefined ? {} : { note: req.note }),
        cause: req.cause,
      },
    ],
  };
}

/** The committed alarms with the uncommitted ones put in: an uncommitted alarm replaces the committed one of its key. */
export function withUncommitted<A extends Alarm>(committed: readonly A[], uncommitted: readonly AlarmWithHistory[]): (A | AlarmWithHistory)[] {
  if (uncommitted.length === 0) return [...committed];
  const keys = new Set(uncommitted.map((a) => a.key));
  return [...committed.filter((a) => !keys.has(a.key)), ...uncommitted];
}
