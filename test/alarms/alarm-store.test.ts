import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, type AlarmEvent } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { MIGRATIONS, migrate, userVersion } from '../../node-daemon/storage/migrations.js';
import { AlarmError } from '../../node-daemon/alarms/store/alarm-errors.js';
import type { RaiseRequest } from '../../node-daemon/alarms/store/alarm-requests.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore, isShelved } from '../../node-daemon/alarms/store/alarm-store.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-alarm-store-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(dir: string): Db {
  const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
  cleanups.push(() => {
    if (db.open) db.close();
  });
  return db;
}

const T0 = Date.UTC(2024, 6, 1, 0, 0, 0);

const flood = (level: 'prepare' | 'evacuate', over: Partial<RaiseRequest> = {}): RaiseRequest => ({
  key: 'flood:qingshui',
  kind: 'flood',
  level,
  siteId: 'qingshui',
  sensorId: 'river',
  drill: false,
  title: level === 'evacuate' ? '清水河站 立即转移' : '清水河站 准备转移',
  cause: { rule: `level-${level}`, sensorId: 'river', readingTs: T0, value: 3.2 },
  ...over,
});

const fault: RaiseRequest = {
  key: 'fault:comm_lost:river',
  kind: 'fault',
  level: null,
  sensorId: 'river',
  drill: false,
  title: '清水河水位计 通讯中断',
  cause: { rule: 'comm_lost', sensorId: 'river' },
};

interface ChangeRow {
  seq: number;
  ts: number;
  kind: string;
  payload: string;
}

function alarmChanges(db: Db): { seq: number; ts: number; payload: unknown }[] {
  return (db.prepare("SELECT seq, ts, kind, payload FROM change_log WHERE kind = 'alarm' ORDER BY seq").all() as ChangeRow[]).map((r) => ({
    seq: r.seq,
    ts: r.ts,
    payload: JSON.parse(r.payload) as unknown,
  }));
}

describe('AlarmStore', () => {
  it('raises, ignores a repeat at the same level, escalates and de-escalates one alarm per key', () => {
    const db = open(tempDir());
    const store = new AlarmStore(db);

    const raised = store.raise(flood('prepare'), T0);
    expect(raised.changed).toBe(true);
    if (!raised.changed) return;
    expect(raised.transition).toMatchObject({ type: 'raised', level: 'prepare', ts: T0, cause: { rule: 'level-prepare', value: 3.2 } });
    expect(raised.alarm).toMatchObject({ key: 'flood:qingshui', kind: 'flood', state: 'active', level: 'prepare', raisedAt: T0, drill: false });
    const id = raised.alarm.id;

    const again = store.raise(flood('prepare'), T0 + 1_000);
    expect(again).toEqual({ changed: false, alarm: raised.alarm });

    const up = store.raise(flood('evacuate'), T0 + 2_000);
    expect(up).toMatchObject({ changed: true, alarm: { id, level: 'evacuate', title: '清水河站 立即转移', updatedAt: T0 + 2_000 }, transition: { type: 'escalated', level: 'evacuate' } });

    const down = store.raise(flood('prepare'), T0 + 3_000);
    expect(down).toMatchObject({ changed: true, alarm: { id, level: 'prepare', state: 'active' }, transition: { type: 'deescalated', level: 'prepare' } });

    expect(store.active().map((a) => a.id)).toEqual([id]);
    expect(store.get(id)?.transitions.map((t) => [t.type, t.level, t.ts])).toEqual([
      ['raised', 'prepare', T0],
      ['escalated', 'evacuate', T0 + 2_000],
      ['deescalated', 'prepare', T0 + 3_000],
    ]);
  });

  it('makes an acknowledged alarm sound again when it escalates, but not when it de-escalates', () => {
    const store = new AlarmStore(open(tempDir()));
    const first = store.raise(flood('prepare'), T0);
    const id = first.alarm.id;
    const acked = store.acknowledge(id, { by: '张三' }, '已通知村组', T0 + 60_000);
    expect(acked.alarm).toMatchObject({ state: 'acknowledged', acknowledgedAt: T0 + 60_000, acknowledgedBy: '张三', ackNote: '已通知村组' });

    const up = store.raise(flood('evacuate'), T0 + 120_000);
    expect(up.alarm.state).toBe('active');
    expect(up.alarm.acknowledgedBy).toBeUndefined();

    store.acknowledge(id, { by: '李四' }, undefined, T0 + 180_000);
    const down = store.raise(flood('prepare'), T0 + 240_000);
    expect(down.alarm).toMatchObject({ state: 'acknowledged', acknowledgedBy: '李四', level: 'prepare' });
    expect(store.get(id)?.transitions.map((t) => [t.type, t.by ?? null])).toEqual([
      ['raised', null],
      ['acknowledged', '张三'],
      ['escalated', null],
      ['acknowledged', '李四'],
      ['deescalated', null],
    ]);
  });

  it('refuses bad transitions with a typed error and writes nothing for them', () => {
    const db = open(tempDir());
    const store = new AlarmStore(db);
    const { alarm } = store.raise(flood('prepare'), T0);
    store.acknowledge(alarm.id, { by: '张三' }, undefined, T0 + 1);
    const before = alarmChanges(db).length;

    const twice = (): unknown => store.acknowledge(alarm.id, { by: '张三' }, undefined, T0 + 2);
    expect(twice).toThrow(AlarmError);
    expect(twice).toThrow(/alarm \d+ is acknowledged; only an active alarm can be acknowledged/);
    expect(() => store.acknowledge(999, { by: 'x' }, undefined, T0)).toThrow(expect.objectContaining({ code: 'not_found', alarmId: 999 }) as Error);
    expect(() => store.shelve(alarm.id, { by: 'x' }, T0 + 60_000, undefined, T0)).toThrow(expect.objectContaining({ code: 'invalid_transition' }) as Error);
    expect(() => store.unshelve(alarm.id, { by: 'x' }, undefined, T0)).toThrow(/not shelved/);

    store.clear({ id: alarm.id }, { detail: 'water fell' }, T0 + 3);
    expect(() => store.clear({ id: alarm.id }, {}, T0 + 4)).toThrow(/already cleared/);
    expect(() => store.acknowledge(alarm.id, { by: 'x' }, undefined, T0 + 5)).toThrow(/is cleared/);
    expect(alarmChanges(db).length).toBe(before + 1);
  });

  it('clears by key (a no-op when nothing is open) and raises a new alarm for the key afterwards', () => {
    const store = new AlarmStore(open(tempDir()));
    expect(store.clear({ key: 'flood:qingshui' }, { rule: 'level-prepare' }, T0)).toBeNull();
    const first = store.raise(flood('evacuate'), T0);
    const cleared = store.clear({ key: 'flood:qingshui' }, { rule: 'level-prepare', value: 1.1 }, T0 + 1_000);
    expect(cleared?.alarm).toMatchObject({ id: first.alarm.id, state: 'cleared', clearedAt: T0 + 1_000, level: 'evacuate' });
    expect(cleared?.changed && cleared.transition).toMatchObject({ type: 'cleared', cause: { value: 1.1 } });
    expect(store.active()).toEqual([]);

    const second = store.raise(flood('prepare'), T0 + 2_000);
    expect(second.changed).toBe(true);
    expect(second.alarm.id).not.toBe(first.alarm.id);
    expect(second.changed && second.transition.type).toBe('raised');
    expect(store.findByKey('flood:qingshui')?.id).toBe(second.alarm.id);
    expect(store.list({ state: 'all', limit: 10 }).map((a) => [a.id, a.state])).toEqual([
      [second.alarm.id, 'active'],
      [first.alarm.id, 'cleared'],
    ]);
    expect(store.list({ state: 'active', limit: 10 }).map((a) => a.id)).toEqual([second.alarm.id]);
    expect(store.list({ state: 'all', from: T0 + 1, limit: 10 }).map((a) => a.id)).toEqual([second.alarm.id]);
    expect(store.list({ state: 'all', to: T0 + 1, limit: 10 }).map((a) => a.id)).toEqual([first.alarm.id]);
    expect(store.list({ state: 'all', limit: 1 })).toHaveLength(1);
  });

  it('shelves and unshelves fault alarms only, with the end in the future', () => {
    const store = new AlarmStore(open(tempDir()));
    const { alarm } = store.raise(fault, T0);
    expect(alarm.level).toBeNull();
    expect(() => store.shelve(alarm.id, { by: '王五' }, T0, undefined, T0)).toThrow(/end in the future/);
    const shelved = store.shelve(alarm.id, { by: '王五' }, T0 + 3_600_000, '换电池中', T0);
    expect(shelved.alarm.shelvedUntil).toBe(T0 + 3_600_000);
    expect(isShelved(shelved.alarm, T0 + 1)).toBe(true);
    expect(isShelved(shelved.alarm, T0 + 3_600_000)).toBe(false);
    const un = store.unshelve(alarm.id, { by: '王五' }, undefined, T0 + 60_000);
    expect(un.alarm.shelvedUntil).toBeUndefined();
    expect(un.changed && un.transition).toMatchObject({ type: 'unshelved', by: '王五' });
    expect(store.get(alarm.id)?.transitions.map((t) => [t.type, t.note ?? null])).toEqual([
      ['raised', null],
      ['shelved', '换电池中'],
      ['unshelved', null],
    ]);
  });

  it('writes one alarm change-log row per transition, in the same order and with the transition ids', () => {
    const db = open(tempDir());
    const store = new AlarmStore(db);
    const changes = [
      store.raise(flood('prepare'), T0),
      store.raise(flood('prepare'), T0 + 1),
      store.raise(flood('evacuate'), T0 + 2),
      store.acknowledge(1, { by: '张三' }, undefined, T0 + 3),
      store.clear({ key: 'flood:qingshui' }, {}, T0 + 4),
    ];
    const committed = changes.flatMap((c) => (c?.changed ? [c] : []));
    expect(committed).toHaveLength(4);
    expect(alarmChanges(db)).toEqual(
      committed.map((c) => ({ seq: c.seq, ts: c.transition.ts, payload: { alarmId: c.alarm.id, transitionId: c.transition.id, type: c.transition.type } })),
    );
  });

  it('rolls the whole transition back when the change-log insert fails', () => {
    const db = open(tempDir());
    const store = new AlarmStore(db);
    db.exec("CREATE TRIGGER no_alarm_log BEFORE INSERT ON change_log WHEN NEW.kind = 'alarm' BEGIN SELECT RAISE(ABORT, 'log refused'); END");
    expect(() => store.raise(flood('prepare'), T0)).toThrow(/log refused/);
    expect(store.active()).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM alarm_transitions').get()).toEqual({ n: 0 });
  });

  it('keeps at most one open alarm per key even against a direct insert', () => {
    const db = open(tempDir());
    new AlarmStore(db).raise(flood('prepare'), T0);
    expect(() =>
      db
        .prepare("INSERT INTO alarms (key, kind, level, drill, state, title, raised_at, updated_at) VALUES ('flood:qingshui', 'flood', 'prepare', 0, 'active', 'x', 0, 0)")
        .run(),
    ).toThrow(/UNIQUE/);
  });

  it('sees the same active alarms after a restart on the same file', () => {
    const dir = tempDir();
    const db1 = open(dir);
    const store1 = new AlarmStore(db1);
    const a = store1.raise(flood('evacuate'), T0);
    store1.acknowledge(a.alarm.id, { by: '张三' }, '广播已播', T0 + 10);
    const b = store1.raise(fault, T0 + 20);
    store1.raise({ ...fault, key: 'fault:stuck:town', sensorId: 'town' }, T0 + 30);
    store1.clear({ key: 'fault:stuck:town' }, {}, T0 + 40);
    const before = store1.active();
    db1.close();

    const store2 = new AlarmStore(open(dir));
    expect(store2.active()).toEqual(before);
    expect(store2.active().map((x) => [x.id, x.state])).toEqual([
      [a.alarm.id, 'acknowledged'],
      [b.alarm.id, 'active'],
    ]);
    expect(store2.raise(flood('evacuate'), T0 + 50).changed).toBe(false);
    expect(store2.get(a.alarm.id)?.transitions.map((t) => t.type)).toEqual(['raised', 'acknowledged']);
  });
});

describe('AlarmStore: who did it (account and on behalf of)', () => {
  it('stores the signed-in account beside the free-text by on every operator transition, and never invents either', () => {
    const db = open(tempDir());
    const store = new AlarmStore(db);
    const manual: RaiseRequest = { key: 'manual:all', kind: 'manual', level: 'prepare', drill: false, title: '全镇 准备转移', cause: { rule: 'manual' } };

    const raised = store.raise({ ...manual, account: 'op1', by: '县长' }, T0);
    expect(raised.changed && raised.transition).toMatchObject({ type: 'raised', account: 'op1', by: '县长' });
    const id = raised.alarm.id;
    const acked = store.acknowledge(id, { account: 'op1', by: '县长' }, '已通知', T0 + 1);
    expect(acked.alarm).toMatchObject({ state: 'acknowledged', acknowledgedBy: '县长', acknowledgedByAccount: 'op1', ackNote: '已通知' });
    expect(acked.changed && acked.transition).toMatchObject({ type: 'acknowledged', account: 'op1', by: '县长' });

    // A higher level sounds again: whoever acknowledged the lower one did not acknowledge this.
    const up = store.raise({ ...manual, level: 'evacuate', account: 'token:county' }, T0 + 2);
    expect(up.alarm.acknowledgedBy).toBeUndefined();
    expect(up.alarm.acknowledgedByAccount).toBeUndefined();
    expect(up.changed && up.transition).not.toHaveProperty('by');

    // Only the account: no `by`, no `acknowledgedBy`.
    const self = store.acknowledge(id, { account: 'op2' }, undefined, T0 + 3);
    expect(self.alarm).toMatchObject({ acknowledgedByAccount: 'op2' });
    expect(self.alarm).not.toHaveProperty('acknowledgedBy');
    expect(self.changed && self.transition).not.toHaveProperty('by');
    store.clear({ id }, { rule: 'operator' }, T0 + 4, { account: 'op1' });

    const { alarm: f } = store.raise(fault, T0 + 5);
    store.shelve(f.id, { account: 'op1', by: '县长' }, T0 + 3_600_000, undefined, T0 + 6);
    store.unshelve(f.id, { account: 'op2' }, undefined, T0 + 7);

    // What `get` reads back is what was written, for each transition; rules' transitions carry no account.
    const who = (alarmId: number): (readonly [string, string | null, string | null])[] =>
      store.get(alarmId)!.transitions.map((t) => [t.type, t.account ?? null, t.by ?? null] as const);
    expect(who(id)).toEqual([
      ['raised', 'op1', '县长'],
      ['acknowledged', 'op1', '县长'],
      ['escalated', 'token:county', null],
      ['acknowledged', 'op2', null],
      ['cleared', 'op1', null],
    ]);
    expect(who(f.id)).toEqual([
      ['raised', null, null],
      ['shelved', 'op1', '县长'],
      ['unshelved', 'op2', null],
    ]);
    // The columns themselves, so a reader of the file (the county sync) sees the same.
    expect(db.prepare('SELECT type, account, "by" FROM alarm_transitions WHERE alarm_id = ? ORDER BY id').raw().all(id)).toEqual(who(id));
    expect(store.list({ state: 'all', limit: 10 }).find((a) => a.id === id)).toMatchObject({ acknowledgedByAccount: 'op2' });
  });

  it('migration 6 adds the account columns: rows written before keep null and read back without account', () => {
    const dir = tempDir();
    const old = new Database(join(dir, 'fenghuo.db'));
    migrate(old, silentLogger(), MIGRATIONS.filter((m) => m.version <= 5));
    expect(userVersion(old)).toBe(5);
    old
      .prepare(
        `INSERT INTO alarms (key, kind, level, drill, state, title, raised_at, updated_at, acknowledged_at, acknowledged_by)
         VALUES ('manual:all', 'manual', 'prepare', 0, 'acknowledged', '全镇 准备转移', ?, ?, ?, '县长')`,
      )
      .run(T0, T0 + 1, T0 + 1);
    old.prepare(`INSERT INTO alarm_transitions (alarm_id, ts, type, level, "by", cause) VALUES (1, ?, 'raised', 'prepare', '值班员', '{}')`).run(T0);
    old.prepare(`INSERT INTO alarm_transitions (alarm_id, ts, type, level, "by", cause) VALUES (1, ?, 'acknowledged', 'prepare', '县长', '{}')`).run(T0 + 1);
    old.close();

    const db = open(dir);
    expect(userVersion(db)).toBeGreaterThanOrEqual(6);
    expect(db.prepare('SELECT account FROM alarm_transitions ORDER BY id').pluck().all()).toEqual([null, null]);
    expect(db.prepare('SELECT acknowledged_by_account FROM alarms').pluck().all()).toEqual([null]);
    const store = new AlarmStore(db);
    const before = store.get(1)!;
    expect(before).toMatchObject({ acknowledgedBy: '县长' });
    expect(before).not.toHaveProperty('acknowledgedByAccount');
    expect(before.transitions.map((t) => [t.type, t.by])).toEqual([
      ['raised', '值班员'],
      ['acknowledged', '县长'],
    ]);
    for (const t of before.transitions) expect(t).not.toHaveProperty('account');
    // New transitions on the migrated file carry it.
    const cleared = store.clear({ id: 1 }, { rule: 'operator' }, T0 + 2, { account: 'op1' });
    expect(cleared?.changed && cleared.transition).toMatchObject({ type: 'cleared', account: 'op1' });
    expect(store.get(1)!.transitions.map((t) => t.account ?? null)).toEqual([null, null, 'op1']);
  });
});

describe('EmittingAlarmService', () => {
  it('announces each committed transition on hub.alarm$, and nothing for a no-op or a refusal', () => {
    const hub = new EventHub();
    const seen: AlarmEvent[] = [];
    hub.alarm$.subscribe((e) => seen.push(e));
    let now = T0;
    const service = new EmittingAlarmService({ store: new AlarmStore(open(tempDir())), hub, clock: () => now });
    const { alarm } = service.raise(flood('prepare'));
    now += 1_000;
    service.raise(flood('prepare'));
    expect(() => service.unshelve(alarm.id, { by: 'x' })).toThrow(AlarmError);
    service.acknowledge(alarm.id, { by: '张三' });
    expect(service.clear({ key: 'nothing-open' }, {})).toBeNull();
    expect(seen.map((e) => [e.transition.type, e.transition.ts, e.alarm.state])).toEqual([
      ['raised', T0, 'active'],
      ['acknowledged', T0 + 1_000, 'acknowledged'],
    ]);
    expect(service.get(alarm.id)?.transitions).toEqual(seen.map((e) => e.transition));
  });
});
