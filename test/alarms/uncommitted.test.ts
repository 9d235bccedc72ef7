import { describe, expect, it } from 'vitest';
import type { Alarm } from '../../node-daemon/alarms/types.js';
import type { RaiseRequest } from '../../node-daemon/alarms/store/alarm-requests.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import type { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { isStorageFailure, provisionalAlarm, withUncommitted } from '../../node-daemon/alarms/store/uncommitted.js';

const sqlite = (code: string): Error => Object.assign(new Error(code), { code });

const req: RaiseRequest = {
  key: 'flood:town',
  kind: 'flood',
  level: 'evacuate',
  siteId: 'town',
  sensorId: 'river',
  drill: false,
  title: '镇区 立即转移',
  cause: { rule: 'threshold', sensorId: 'river', value: 1.8, readingTs: 1_000 },
};

const committed: Alarm = {
  id: 7,
  key: 'flood:town',
  kind: 'flood',
  siteId: 'town',
  level: 'prepare',
  drill: false,
  state: 'acknowledged',
  title: '镇区 准备转移',
  raisedAt: 500,
  updatedAt: 600,
};

describe('uncommitted raises', () => {
  it('counts SQLite failures of the database, not refusals or constraint failures, as storage failures', () => {
    expect(isStorageFailure(sqlite('SQLITE_FULL'))).toBe(true);
    expect(isStorageFailure(sqlite('SQLITE_IOERR_WRITE'))).toBe(true);
    expect(isStorageFailure(sqlite('SQLITE_CONSTRAINT_CHECK'))).toBe(false);
    expect(isStorageFailure(new Error('invalid_transition'))).toBe(false);
    expect(isStorageFailure(undefined)).toBe(false);
  });

  it('a new alarm gets the provisional id and a raised transition carrying the cause', () => {
    const a = provisionalAlarm(req, undefined, -1, 2_000);
    expect(a).toMatchObject({ id: -1, key: 'flood:town', level: 'evacuate', state: 'active', raisedAt: 2_000, siteId: 'town' });
    expect(a.transitions).toEqual([{ id: -1, alarmId: -1, ts: 2_000, type: 'raised', level: 'evacuate', cause: req.cause }]);
  });

  it('an open committed alarm is escalated in place, active again', () => {
    const a = provisionalAlarm(req, committed, -2, 2_000);
    expect(a).toMatchObject({ id: 7, level: 'evacuate', state: 'active', raisedAt: 500, updatedAt: 2_000 });
    expect(a.transitions[0]).toMatchObject({ type: 'escalated', alarmId: 7, level: 'evacuate' });
  });

  it('an uncommitted alarm replaces the committed one of its key, others stay', () => {
    const other: Alarm = { ...committed, id: 8, key: 'flood:north' };
    const u = provisionalAlarm(req, committed, -1, 2_000);
    expect(withUncommitted([committed, other], [u])).toEqual([other, u]);
    expect(withUncommitted([committed], [])).toEqual([committed]);
  });
});

describe('EmittingAlarmService under a failing database', () => {
  let now = 5_000;
  function service(fail: () => Error | undefined) {
    now = 5_000;
    const raised: Alarm[] = [];
    const store = {
      raise: (r: RaiseRequest, now: number) => {
        const err = fail();
        if (err) throw err;
        const alarm: Alarm = { id: 1, key: r.key, kind: r.kind, level: r.level, drill: r.drill, state: 'active', title: r.title, raisedAt: now, updatedAt: now };
        raised.push(alarm);
        return { changed: true, alarm, transition: { id: 1, alarmId: 1, ts: now, type: 'raised', level: r.level, cause: r.cause }, seq: 1 };
      },
      clear: (_t: unknown, cause: Alarm, now: number) => {
        const err = fail();
        if (err) throw err;
        void cause;
        void now;
        return null;
      },
      findByKey: () => undefined,
    } as unknown as AlarmStore;
    return { svc: new EmittingAlarmService({ store, clock: () => now }), raised };
  }

  it('holds a raise the disk cannot take, tells the listeners once, and lets it go when it commits', () => {
    let err: Error | undefined = sqlite('SQLITE_FULL');
    const { svc } = service(() => err);
    let changes = 0;
    svc.onUncommittedChange(() => changes++);
    expect(() => svc.raise(req)).toThrow('SQLITE_FULL');
    expect(() => svc.raise(req)).toThrow('SQLITE_FULL');
    expect(svc.uncommitted().map((a) => [a.key, a.level, a.id < 0])).toEqual([['flood:town', 'evacuate', true]]);
    expect(changes).toBe(1);
    err = undefined;
    now = 9_000;
    const committed = svc.raise(req);
    expect(svc.uncommitted()).toEqual([]);
    expect(changes).toBe(2);
    // Recorded at the time it first sounded, not when the disk had room again.
    expect(committed.alarm.raisedAt).toBe(5_000);
    expect(svc.raise({ ...req, key: 'flood:north' }).alarm.raisedAt).toBe(9_000);
  });

  it('a clear of the key drops the held raise even when the clear cannot be written; faults and manual raises are never held', () => {
    let err: Error | undefined = sqlite('SQLITE_FULL');
    const { svc } = service(() => err);
    expect(() => svc.raise(req)).toThrow();
    expect(() => svc.raise({ ...req, key: 'fault:comm_lost:river', kind: 'fault', level: null })).toThrow();
    expect(() => svc.raise({ ...req, key: 'manual:1', kind: 'manual' }), 'the API answers a manual raise with the error').toThrow();
    expect(svc.uncommitted().map((a) => a.key)).toEqual(['flood:town']);
    expect(() => svc.clear({ key: 'flood:town' }, { rule: 'threshold' })).toThrow();
    expect(svc.uncommitted()).toEqual([]);
    err = sqlite('SQLITE_CONSTRAINT_CHECK');
    expect(() => svc.raise(req)).toThrow();
    expect(svc.uncommitted(), 'a refused raise is not held').toEqual([]);
  });
});
