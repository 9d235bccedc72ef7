import type { Db } from '../../storage/database.js';
import {
  LEVEL_RANK,
  type Alarm,
  type AlarmCause,
  type AlarmKind,
  type AlarmLevel,
  type AlarmState,
  type AlarmTransition,
  type AlarmWithHistory,
  type TransitionType,
} from '../types.js';
import { AlarmError } from './alarm-errors.js';
import type { Actor, AlarmChange, AlarmListQuery, ClearOptions, ClearTarget, RaiseRequest } from './alarm-requests.js';

/** Kinds an operator may shelve: a silenced flood alarm could hide an evacuation, so those are acknowledged instead. */
export const SHELVABLE_KINDS: readonly AlarmKind[] = ['fault', 'output_fault'];

interface AlarmRow {
  id: number;
  key: string;
  kind: AlarmKind;
  site_id: string | null;
  sensor_id: string | null;
  level: AlarmLevel | null;
  drill: number;
  state: AlarmState;
  title: string;
  raised_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  acknowledged_by_account: string | null;
  ack_note: string | null;
  cleared_at: number | null;
  shelved_until: number | null;
}

interface TransitionRow {
  id: number;
  alarm_id: number;
  ts: number;
  type: TransitionType;
  level: AlarmLevel | null;
  by: string | null;
  account: string | null;
  note: string | null;
  cause: string;
}

const ALARM_COLUMNS =
  'id, key, kind, site_id, sensor_id, level, drill, state, title, raised_at, updated_at, acknowledged_at, acknowledged_by, acknowledged_by_account, ack_note, cleared_at, shelved_until';

function rank(level: AlarmLevel | null): number {
  return level === null ? 0 : LEVEL_RANK[level];
}

function toAlarm(r: AlarmRow): Alarm {
  return {
    id: r.id,
    key: r.key,
    kind: r.kind,
    ...(r.site_id === null ? {} : { siteId: r.site_id }),
    ...(r.sensor_id === null ? {} : { sensorId: r.sensor_id }),
    level: r.level,
    drill: r.drill === 1,
    state: r.state,
    title: r.title,
    raisedAt: r.raised_at,
    updatedAt: r.updated_at,
    ...(r.acknowledged_at === null ? {} : { acknowledgedAt: r.acknowledged_at }),
    ...(r.acknowledged_by === null ? {} : { acknowledgedBy: r.acknowledged_by }),
    ...(r.acknowledged_by_account === null ? {} : { acknowledgedByAccount: r.acknowledged_by_account }),
    ...(r.ack_note === null ? {} : { ackNote: r.ack_note }),
    ...(r.cleared_at === null ? {} : { clearedAt: r.cleared_at }),
    ...(r.shelved_until === null ? {} : { shelvedUntil: r.shelved_until }),
  };
}

function toTransition(r: TransitionRow): AlarmTransition {
  return {
    id: r.id,
    alarmId: r.alarm_id,
    ts: r.ts,
    type: r.type,
    level: r.level,
    ...(r.by === null ? {} : { by: r.by }),
    ...(r.account === null ? {} : { account: r.account }),
    ...(r.note === null ? {} : { note: r.note }),
    cause: JSON.parse(r.cause) as AlarmCause,
  };
}

// The shelve predicate is pure (dispatch's desired outputs use it too), so it lives with the alarm types.
export { isShelved } from '../types.js';

/**
 * The alarm lifecycle on SQLite. Every state change is ONE transaction holding the alarm row, its transition and an
 * `alarm` change-log row, so a power cut leaves either all three or none. Nothing is kept in memory: a new store on
 * the same file after a restart sees exactly the alarms that were sounding. Synchronous, like better-sqlite3; `now`
 * is passed in (UTC ms) so the rules and tests decide the time.
 */
export class AlarmStore {
  private readonly byId;
  private readonly openByKey;
  private readonly latestByKey;
  private readonly transitionsOf;
  private readonly transitionById;
  private readonly insertAlarm;
  private readonly insertTransition;
  private readonly logChange;
  private readonly raiseTx;
  private readonly acknowledgeTx;
  private readonly clearTx;
  private readonly shelveTx;
  private readonly unshelveTx;

  constructor(private readonly db: Db) {
    this.byId = db.prepare<[number], AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = ?`);
    this.openByKey = db.prepare<[string], AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE key = ? AND state <> 'cleared'`);
    this.latestByKey = db.prepare<[string], AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE key = ? ORDER BY id DESC LIMIT 1`);
    this.transitionById = db.prepare<[number], TransitionRow>(
      'SELECT id, alarm_id, ts, type, level, "by", account, note, cause FROM alarm_transitions WHERE id = ?',
    );
    this.transitionsOf = db.prepare<[number], TransitionRow>(
      'SELECT id, alarm_id, ts, type, level, "by", account, note, cause FROM alarm_transitions WHERE alarm_id = ? ORDER BY id',
    );
    this.insertAlarm = db.prepare(
      `INSERT INTO alarms (key, kind, site_id, sensor_id, level, drill, state, title, raised_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
    );
    this.insertTransition = db.prepare(
      'INSERT INTO alarm_transitions (alarm_id, ts, type, level, "by", account, note, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.logChange = db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'alarm', ?)");

    this.raiseTx = db.transaction((req: RaiseRequest, now: number): AlarmChange => this.raiseIn(req, now));
    this.acknowledgeTx = db.transaction((id: number, who: Actor, note: string | undefined, now: number): AlarmChange => {
      const alarm = this.mustGet(id);
      if (alarm.state !== 'active') {
        throw new AlarmError('invalid_transition', `alarm ${id} is ${alarm.state}; only an active alarm can be acknowledged`, id);
      }
      db.prepare(
        `UPDATE alarms SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, acknowledged_by_account = ?, ack_note = ?,
           updated_at = ? WHERE id = ?`,
      ).run(now, who.by ?? null, who.account ?? null, note ?? null, now, id);
      return this.record(id, now, 'acknowledged', alarm.level, { ...who, note }, {});
    });
    this.clearTx = db.transaction((target: ClearTarget, cause: AlarmCause, opts: ClearOptions, now: number): AlarmChange | null => {
      let alarm: Alarm | undefined;
      if ('key' in target) {
        const row = this.openByKey.get(target.key);
        if (row === undefined) return null;
        alarm = toAlarm(row);
      } else {
        alarm = this.mustGet(target.id);
        if (alarm.state === 'cleared') {
          throw new AlarmError('invalid_transition', `alarm ${alarm.id} is already cleared`, alarm.id);
        }
      }
      db.prepare("UPDATE alarms SET state = 'cleared', cleared_at = ?, updated_at = ? WHERE id = ?").run(now, now, alarm.id);
      return this.record(alarm.id, now, 'cleared', alarm.level, opts, cause);
    });
    this.shelveTx = db.transaction((id: number, who: Actor, untilMs: number, note: string | undefined, now: number): AlarmChange => {
      const alarm = this.mustGet(id);
      if (alarm.state === 'cleared') throw new AlarmError('invalid_transition', `alarm ${id} is cleared; there is nothing to shelve`, id);
      if (!SHELVABLE_KINDS.includes(alarm.kind)) {
        throw new AlarmError(
          'invalid_transition',
          `alarm ${id} is a ${alarm.kind} alarm; only ${SHELVABLE_KINDS.join(' and ')} alarms can be shelved (acknowledge it instead)`,
          id,
        );
      }
      if (!Number.isSafeInteger(untilMs) || untilMs <= now) {
        throw new AlarmError('invalid_transition', `a shelve must end in the future (until ${String(untilMs)}, now ${now})`, id);
      }
      db.prepare('UPDATE alarms SET shelved_until = ?, updated_at = ? WHERE id = ?').run(untilMs, now, id);
      return this.record(id, now, 'shelved', alarm.level, { ...who, note }, {});
    });
    this.unshelveTx = db.transaction((id: number, who: Actor, note: string | undefined, now: number): AlarmChange => {
      const alarm = this.mustGet(id);
      if (alarm.shelvedUntil === undefined || alarm.state === 'cleared') {
        throw new AlarmError('invalid_transition', `alarm ${id} is not shelved`, id);
      }
      db.prepare('UPDATE alarms SET shelved_until = NULL, updated_at = ? WHERE id = ?').run(now, id);
      return this.record(id, now, 'unshelved', alarm.level, { ...who, note }, {});
    });
  }

  /**
   * Raises an alarm, or moves the one already open under `req.key`: same level → nothing (`changed: false`); higher →
   * `escalated`, and an acknowledged alarm becomes active again (the new level must sound); lower → `deescalated`
   * (the state stays). The title follows the newest raise.
   */
  raise(req: RaiseRequest, now: number): AlarmChange {
    return this.raiseTx(req, now);
  }

  /**
   * active → acknowledged, by `who.account` on behalf of `who.by` (each kept on the alarm and the transition when
   * given). Anything else is an `invalid_transition` AlarmError; an unknown id is `not_found`.
   */
  acknowledge(id: number, who: Actor, note: string | undefined, now: number): AlarmChange {
    return this.acknowledgeTx(id, who, note, now);
  }

  /**
   * Clears the open alarm of a key (null when none is open: rules may clear freely) or an alarm by id (an
   * `invalid_transition` if it is already cleared).
   */
  clear(target: ClearTarget, cause: AlarmCause, now: number, opts: ClearOptions = {}): AlarmChange | null {
    return this.clearTx(target, cause, opts, now);
  }

  /** Silences a fault alarm until `untilMs` (UTC ms, in the future). Shelving again moves the end. */
  shelve(id: number, who: Actor, untilMs: number, note: string | undefined, now: number): AlarmChange {
    return this.shelveTx(id, who, untilMs, note, now);
  }

  unshelve(id: number, who: Actor, note: string | undefined, now: number): AlarmChange {
    return this.unshelveTx(id, who, note, now);
  }

  /** One transition of an alarm, with the alarm as it is now; undefined when either is gone (or they don't belong). */
  transition(alarmId: number, transitionId: number): { alarm: Alarm; transition: AlarmTransition } | undefined {
    const row = this.byId.get(alarmId);
    const t = this.transitionById.get(transitionId);
    if (row === undefined || t === undefined || t.alarm_id !== row.id) return undefined;
    return { alarm: toAlarm(row), transition: toTransition(t) };
  }

  get(id: number): AlarmWithHistory | undefined {
    const row = this.byId.get(id);
    if (row === undefined) return undefined;
    return { ...toAlarm(row), transitions: this.transitionsOf.all(id).map(toTransition) };
  }

  /** The newest alarm ever raised under a key, cleared or not. */
  findByKey(key: string): Alarm | undefined {
    const row = this.latestByKey.get(key);
    return row === undefined ? undefined : toAlarm(row);
  }

  /** Newest first (by `raisedAt`, then id). */
  list(q: AlarmListQuery): Alarm[] {
    const where: string[] = [];
    const params: number[] = [];
    if (q.state === 'active') where.push("state <> 'cleared'");
    if (q.from !== undefined) {
      where.push('raised_at >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('raised_at < ?');
      params.push(q.to);
    }
    const sql =
      `SELECT ${ALARM_COLUMNS} FROM alarms` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY raised_at DESC, id DESC LIMIT ?';
    return this.db
      .prepare<number[], AlarmRow>(sql)
      .all(...params, Math.max(0, Math.floor(q.limit)))
      .map(toAlarm);
  }

  /** Every alarm not cleared, oldest first. */
  active(): Alarm[] {
    return this.db.prepare<[], AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE state <> 'cleared' ORDER BY id`).all().map(toAlarm);
  }

  private raiseIn(req: RaiseRequest, now: number): AlarmChange {
    const open = this.openByKey.get(req.key);
    const who = { by: req.by, account: req.account, note: req.note };
    if (open === undefined) {
      const id = Number(
        this.insertAlarm.run(req.key, req.kind, req.siteId ?? null, req.sensorId ?? null, req.level, req.drill ? 1 : 0, req.title, now, now)
          .lastInsertRowid,
      );
      return this.record(id, now, 'raised', req.level, who, req.cause);
    }
    const current = toAlarm(open);
    const diff = rank(req.level) - rank(current.level);
    if (diff === 0) return { changed: false, alarm: current };
    if (diff > 0) {
      // A higher level must sound again even if the lower one was acknowledged or (for safety) shelved.
      this.db
        .prepare(
          `UPDATE alarms SET level = ?, title = ?, state = 'active', acknowledged_at = NULL, acknowledged_by = NULL,
             acknowledged_by_account = NULL, ack_note = NULL, shelved_until = NULL, updated_at = ? WHERE id = ?`,
        )
        .run(req.level, req.title, now, current.id);
      return this.record(current.id, now, 'escalated', req.level, who, req.cause);
    }
    this.db.prepare('UPDATE alarms SET level = ?, title = ?, updated_at = ? WHERE id = ?').run(req.level, req.title, now, current.id);
    return this.record(current.id, now, 'deescalated', req.level, who, req.cause);
  }

  private mustGet(id: number): Alarm {
    const row = this.byId.get(id);
    if (row === undefined) throw new AlarmError('not_found', `no alarm ${id}`, id);
    return toAlarm(row);
  }

  /** Appends the transition and its change-log row; runs inside the caller's transaction. */
  private record(
    alarmId: number,
    now: number,
    type: TransitionType,
    level: AlarmLevel | null,
    who: { readonly by?: string | undefined; readonly account?: string | undefined; readonly note?: string | undefined },
    cause: AlarmCause,
  ): AlarmChange {
    const transitionId = Number(
      this.insertTransition.run(alarmId, now, type, level, who.by ?? null, who.account ?? null, who.note ?? null, JSON.stringify(cause)).lastInsertRowid,
    );
    const seq = Number(this.logChange.run(now, JSON.stringify({ alarmId, transitionId, type })).lastInsertRowid);
    const alarm = this.mustGet(alarmId);
    const transition: AlarmTransition = {
      id: transitionId,
      alarmId,
      ts: now,
      type,
      level,
      ...(who.by === undefined ? {} : { by: who.by }),
      ...(who.account === undefined ? {} : { account: who.account }),
      ...(who.note === undefined ? {} : { note: who.note }),
      cause,
    };
    return { changed: true, alarm, transition, seq };
  }
}
