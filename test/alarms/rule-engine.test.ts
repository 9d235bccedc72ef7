import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, type AlarmEvent } from '../../node-daemon/core/events.js';
import { createLogger } from '../../node-daemon/core/log.js';
import type { Clock, Reading } from '../../node-daemon/core/types.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import type { RuleEvent } from '../../node-daemon/alarms/rules/events.js';
import { alarmSiteSchema, type AlarmSiteConfig } from '../../node-daemon/alarms/rules/schema.js';
import { initialSiteState, stepSite, type SiteState } from '../../node-daemon/alarms/rules/site.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import type { Alarm } from '../../node-daemon/alarms/types.js';
import { RuleEngine, type RainTips } from '../../node-daemon/alarms/engine/rule-engine.js';
import type { TickScheduler } from '../../node-daemon/alarms/engine/scheduler.js';
import { siteShape } from '../../node-daemon/alarms/engine/state-store.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 0, 0);

/** Virtual time: one clock and one scheduler; `advance` runs the due timers in time order. */
class VirtualTime implements TickScheduler {
  now = T0;
  private timers: { next: number; ms: number; fn: () => void }[] = [];
  readonly clock: Clock = () => this.now;
  every(ms: number, fn: () => void): () => void {
    const t = { next: this.now + ms, ms, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.now = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.now = end;
  }
  get timerCount(): number {
    return this.timers.length;
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-rule-engine-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type LogLine = Record<string, unknown> & { event?: string };

function site(over: Record<string, unknown> = {}): AlarmSiteConfig {
  return alarmSiteSchema.parse({
    id: 'qingshui',
    name: '清水河站',
    sensors: ['up'],
    prepare: { levelM: 3, hysteresisM: 0.2, debounce: { samples: 2 } },
    evacuate: { levelM: 4, hysteresisM: 0.2, debounce: { samples: 2 } },
    faults: { commLostMs: 10 * MIN },
    ...over,
  });
}

/** One "boot" of the box: a real database file, the real alarm store and service, a real hub, and the engine. */
class Box {
  readonly db: Db;
  readonly hub = new EventHub();
  readonly alarms: EmittingAlarmService;
  readonly engine: RuleEngine;
  readonly seen: AlarmEvent[] = [];
  readonly logs: LogLine[] = [];
  readonly rain$ = new Subject<RainTips>();

  constructor(
    readonly dir: string,
    readonly vt: VirtualTime,
    sites: readonly AlarmSiteConfig[] = [site()],
  ) {
    const log = createLogger({ level: 'debug', destination: { write: (s: string) => void this.logs.push(JSON.parse(s) as LogLine) } });
    this.db = openDatabase({ dataDir: dir, log, clock: vt.clock }).db;
    cleanups.push(() => {
      if (this.db.open) this.db.close();
    });
    this.alarms = new EmittingAlarmService({ store: new AlarmStore(this.db), hub: this.hub, clock: vt.clock });
    this.hub.alarm$.subscribe((e) => this.seen.push(e));
    this.engine = new RuleEngine({
      sites,
      db: this.db,
      alarms: this.alarms,
      hub: this.hub,
      clock: vt.clock,
      log,
      tickMs: 5_000,
      rainTips$: this.rain$,
      sensorNames: { up: '清水河上游水位计', down: '清水河下游水位计' },
      scheduler: vt,
    });
  }

  /** A minute passes (ticks run), then each sensor reads. */
  read(values: Record<string, number | null>): void {
    this.vt.advance(MIN);
    for (const [sensorId, value] of Object.entries(values)) {
      const r: Reading = value === null ? { sensorId, ts: this.vt.now, value, quality: 'comm_fail' } : { sensorId, ts: this.vt.now, value, quality: 'good' };
      this.hub.reading$.next(r);
    }
  }

  readUp(...values: number[]): void {
    for (const v of values) this.read({ up: v });
  }

  floodTransitions(): string[] {
    return this.seen.filter((e) => e.alarm.key === 'flood:qingshui').map((e) => `${e.transition.type}:${e.transition.level ?? '-'}`);
  }

  openFlood(): Alarm[] {
    return this.alarms.active().filter((a) => a.key === 'flood:qingshui');
  }

  countAlarms(key: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM alarms WHERE key = ?').get(key) as { n: number }).n;
  }

  logged(event: string): LogLine[] {
    return this.logs.filter((l) => l.event === event);
  }

  async close(): Promise<void> {
    await this.engine.stop();
    this.db.close();
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe('RuleEngine', () => {
  it('raises prepare, escalates to evacuate, de-escalates and clears with hysteresis; transitions carry the cause', async () => {
    const vt = new VirtualTime();
    const box = new Box(tempDir(), vt);
    await box.engine.start();
    expect(box.engine.levels()).toEqual({ qingshui: null });

    box.readUp(2.0, 3.1);
    expect(box.floodTransitions()).toEqual([]); // one sample past the limit is not enough (debounce 2)
    box.readUp(3.2);
    const raisedTs = vt.now;
    expect(box.floodTransitions()).toEqual(['raised:prepare']);
    expect(box.engine.levels()).toEqual({ qingshui: 'prepare' });
    box.readUp(4.1, 4.2);
    const escalatedTs = vt.now;
    expect(box.floodTransitions()).toEqual(['raised:prepare', 'escalated:evacuate']);
    expect(box.openFlood()[0]?.title).toBe('清水河站 立即转移');

    box.readUp(3.9, 3.85); // below 4 but not below 4 - 0.2: hysteresis holds evacuate
    expect(box.engine.levels().qingshui).toBe('evacuate');
    box.readUp(3.7, 3.6);
    const deescalatedTs = vt.now;
    expect(box.floodTransitions()).toEqual(['raised:prepare', 'escalated:evacuate', 'deescalated:prepare']);
    box.readUp(2.9, 2.85); // below 3, not below 2.8
    expect(box.engine.levels().qingshui).toBe('prepare');
    box.readUp(2.7, 2.6);
    const clearedTs = vt.now;
    expect(box.floodTransitions()).toEqual(['raised:prepare', 'escalated:evacuate', 'deescalated:prepare', 'cleared:prepare']);
    expect(box.engine.levels().qingshui).toBeNull();
    expect(box.openFlood()).toEqual([]);

    // The cause of each transition names the rule, the sensor and the reading that decided it, on the hub and in the store.
    const flood = box.seen.filter((e) => e.alarm.key === 'flood:qingshui');
    expect(flood.map((e) => e.transition.cause)).toMatchObject([
      { rule: 'level.prepare', sensorId: 'up', readingTs: raisedTs, value: 3.2 },
      { rule: 'level.evacuate', sensorId: 'up', readingTs: escalatedTs, value: 4.2 },
      { rule: 'level.evacuate', sensorId: 'up', readingTs: deescalatedTs, value: 3.6 },
      { rule: 'level.prepare', sensorId: 'up', readingTs: clearedTs, value: 2.6 },
    ]);
    const stored = box.alarms.get(flood[0]!.alarm.id)!;
    expect(stored).toMatchObject({ kind: 'flood', siteId: 'qingshui', sensorId: 'up', drill: false, state: 'cleared' });
    expect(stored.transitions.map((t) => [t.type, t.cause.rule, t.cause.readingTs])).toEqual([
      ['raised', 'level.prepare', raisedTs],
      ['escalated', 'level.evacuate', escalatedTs],
      ['deescalated', 'level.evacuate', deescalatedTs],
      ['cleared', 'level.prepare', clearedTs],
    ]);
    expect(flood[0]!.alarm.title).toBe('清水河站 准备转移');
    expect(box.logged('alarm.rules.transition')).toHaveLength(4);
    await box.close();
  });

  it('raises a comm-lost fault from ticks when readings stop, while the flood alarm stays active; clears it when they return', async () => {
    const vt = new VirtualTime();
    const box = new Box(tempDir(), vt);
    await box.engine.start();
    box.readUp(3.1, 3.2);
    expect(box.floodTransitions()).toEqual(['raised:prepare']);
    const lastGood = vt.now;

    vt.advance(10 * MIN); // exactly commLostMs: not yet
    expect(box.alarms.active().map((a) => a.key)).toEqual(['flood:qingshui']);
    vt.advance(5_000); // the next tick is past it
    const fault = box.alarms.active().find((a) => a.key === 'fault:comm_lost:up');
    expect(fault).toMatchObject({ kind: 'fault', level: null, sensorId: 'up', siteId: 'qingshui', title: '清水河上游水位计 通信中断', state: 'active' });
    const raised = box.seen.find((e) => e.alarm.key === 'fault:comm_lost:up')!;
    expect(raised.transition.cause).toMatchObject({ rule: 'fault.comm_lost', sensorId: 'up', readingTs: lastGood });

    vt.advance(60 * MIN); // a silent sensor is frozen: its flood alarm neither clears nor changes
    expect(box.openFlood()).toMatchObject([{ level: 'prepare', state: 'active' }]);
    expect(box.engine.levels().qingshui).toBe('prepare');
    expect(box.floodTransitions()).toEqual(['raised:prepare']);

    box.readUp(3.3);
    expect(box.alarms.active().map((a) => a.key)).toEqual(['flood:qingshui']);
    expect(box.seen.filter((e) => e.alarm.key === 'fault:comm_lost:up').map((e) => e.transition.type)).toEqual(['raised', 'cleared']);
    await box.close();
  });

  it('holds a latched evacuate after the water falls until an operator acknowledges it', async () => {
    const vt = new VirtualTime();
    const box = new Box(tempDir(), vt, [site({ evacuate: { levelM: 4, hysteresisM: 0.2, debounce: { samples: 2 }, latch: true } })]);
    await box.engine.start();
    box.readUp(4.1, 4.2);
    expect(box.floodTransitions()).toEqual(['raised:evacuate']);
    box.readUp(2.0, 2.0, 2.01, 2.0, 2.01);
    vt.advance(30 * MIN);
    expect(box.floodTransitions()).toEqual(['raised:evacuate']);
    expect(box.engine.levels().qingshui).toBe('evacuate');

    const id = box.openFlood()[0]!.id;
    box.alarms.acknowledge(id, { account: 'op1', by: '张三' });
    // The ack is fed after the service's announcement (a microtask later), so every subscriber sees ack before clear.
    expect(box.floodTransitions()).toEqual(['raised:evacuate', 'acknowledged:evacuate']);
    await settle();
    expect(box.floodTransitions()).toEqual(['raised:evacuate', 'acknowledged:evacuate', 'cleared:evacuate']);
    // The rule's clear names who acknowledged: the account, and on behalf of whom.
    expect(box.seen.at(-1)!.transition.cause).toMatchObject({ rule: 'ack', detail: 'acknowledged by op1 on behalf of 张三' });
    expect(box.seen.at(-1)!.transition).not.toHaveProperty('account');
    expect(box.engine.levels().qingshui).toBeNull();
    await box.close();
  });

  it('an acknowledged alarm that is not latched keeps following the water', async () => {
    const vt = new VirtualTime();
    const box = new Box(tempDir(), vt);
    await box.engine.start();
    box.readUp(3.1, 3.2);
    box.alarms.acknowledge(box.openFlood()[0]!.id, { by: '李四' });
    await settle();
    expect(box.engine.levels().qingshui).toBe('prepare');
    box.readUp(2.5, 2.5);
    expect(box.floodTransitions()).toEqual(['raised:prepare', 'acknowledged:prepare', 'cleared:prepare']);
    await box.close();
  });

  it('after a restart keeps the active alarm, raises no duplicate and goes on from the restored debounce', async () => {
    const vt = new VirtualTime();
    const dir = tempDir();
    const a = new Box(dir, vt);
    await a.engine.start();
    a.readUp(3.1, 3.2, 4.1); // prepare raised; 4.1 is the first of two samples toward evacuate
    expect(a.floodTransitions()).toEqual(['raised:prepare']);
    await a.close();
    expect(vt.timerCount).toBe(0);
    a.hub.reading$.next({ sensorId: 'up', ts: vt.now, value: 9, quality: 'good' }); // stopped: not listening
    expect(a.floodTransitions()).toEqual(['raised:prepare']);

    vt.advance(2 * MIN);
    const b = new Box(dir, vt);
    await b.engine.start();
    expect(b.engine.levels()).toEqual({ qingshui: 'prepare' });
    expect(b.seen).toEqual([]); // nothing re-raised at start
    expect(b.logged('alarm.rules.restored')).toHaveLength(1);
    expect(b.logged('alarm.rules.reconciled')).toEqual([]);

    b.readUp(4.2); // the second sample toward evacuate: the debounce went on from the restored state
    expect(b.floodTransitions()).toEqual(['escalated:evacuate']);
    expect(b.countAlarms('flood:qingshui')).toBe(1);
    const id = b.openFlood()[0]!.id;
    expect(b.alarms.get(id)!.transitions.map((t) => t.type)).toEqual(['raised', 'escalated']);

    b.readUp(3.7, 3.6, 3.5, 3.5); // de-escalated to prepare: the same alarm, never a second one
    expect(b.floodTransitions()).toEqual(['escalated:evacuate', 'deescalated:prepare']);
    expect(b.countAlarms('flood:qingshui')).toBe(1);
    await b.close();
  });

  it('continues a debounce across a restart: the second sample after the restart completes it', async () => {
    const vt = new VirtualTime();
    const dir = tempDir();
    const a = new Box(dir, vt);
    await a.engine.start();
    a.readUp(2.0, 3.1); // first of two
    await a.close();
    const b = new Box(dir, vt);
    await b.engine.start();
    b.readUp(3.2);
    expect(b.floodTransitions()).toEqual(['raised:prepare']);
    await b.close();
  });

  it('reconciles after a crash between the alarm commit and the state write: the open alarm is adopted, then clears through hysteresis', async () => {
    const vt = new VirtualTime();
    const dir = tempDir();
    const a = new Box(dir, vt);
    await a.engine.start();
    a.readUp(3.1);
    const before = a.db.prepare("SELECT state_json FROM alarm_rule_state WHERE site_id = 'qingshui'").get() as { state_json: string };
    a.readUp(3.2);
    expect(a.floodTransitions()).toEqual(['raised:prepare']);
    await a.close();
    // The crash: the alarm store committed the raise, the rule state on disk is still the one from before it.
    const raw = openDatabase({ dataDir: dir, log: createLogger({ level: 'silent' }) }).db;
    raw.prepare("UPDATE alarm_rule_state SET state_json = ?, pending_json = '[]' WHERE site_id = 'qingshui'").run(before.state_json);
    raw.close();

    const b = new Box(dir, vt);
    await b.engine.start();
    expect(b.logged('alarm.rules.reconciled')).toMatchObject([{ siteId: 'qingshui', action: 'adopt_into_state', state: null, store: 'prepare' }]);
    expect(b.engine.levels().qingshui).toBe('prepare');
    expect(b.seen).toEqual([]);
    b.readUp(3.3, 3.4); // no duplicate raise
    expect(b.countAlarms('flood:qingshui')).toBe(1);
    expect(b.seen).toEqual([]);
    b.readUp(2.9); // inside the hysteresis band: still prepare
    expect(b.engine.levels().qingshui).toBe('prepare');
    b.readUp(2.7, 2.6);
    expect(b.floodTransitions()).toEqual(['cleared:prepare']);
    expect(b.seen[0]!.transition.cause).toMatchObject({ rule: 'level.prepare', sensorId: 'up', value: 2.6 });
    await b.close();
  });

  /** The engine's own steps, through the pure rules: what it would have written just before a crash. */
  function decided(cfg: AlarmSiteConfig, values: number[]): { state: SiteState; events: RuleEvent[]; ts: number } {
    let state = initialSiteState(cfg, T0);
    let events: RuleEvent[] = [];
    let ts = T0;
    for (const v of values) {
      ts += MIN;
      const step = stepSite(cfg, state, { kind: 'reading', reading: { sensorId: 'up', ts, value: v, quality: 'good' } }, ts);
      state = step.state;
      events = step.events;
    }
    return { state, events, ts };
  }

  function seedRow(dir: string, cfg: AlarmSiteConfig, state: SiteState, pending: RuleEvent[]): void {
    const db = openDatabase({ dataDir: dir, log: createLogger({ level: 'silent' }) }).db;
    db.prepare('INSERT INTO alarm_rule_state (site_id, shape, state_json, pending_json, updated_at) VALUES (?, ?, ?, ?, ?)').run(
      cfg.id,
      siteShape(cfg),
      JSON.stringify(state),
      JSON.stringify(pending),
      T0,
    );
    db.close();
  }

  it('replays rule events written ahead when the crash came before the alarm call, with their original cause', async () => {
    const cfg = site();
    const d = decided(cfg, [2.0, 3.1, 3.2]);
    expect(d.events.map((e) => e.type)).toEqual(['raise']);
    const dir = tempDir();
    seedRow(dir, cfg, d.state, d.events);
    const vt = new VirtualTime();
    vt.now = d.ts + 30_000;
    const b = new Box(dir, vt, [cfg]);
    await b.engine.start();
    expect(b.logged('alarm.rules.replay')).toHaveLength(1);
    expect(b.floodTransitions()).toEqual(['raised:prepare']);
    expect(b.seen[0]!.transition.cause).toMatchObject({ rule: 'level.prepare', sensorId: 'up', readingTs: d.ts, value: 3.2 });
    expect(b.logged('alarm.rules.reconciled')).toEqual([]);
    const row = b.db.prepare("SELECT pending_json FROM alarm_rule_state WHERE site_id = 'qingshui'").get() as { pending_json: string };
    expect(row.pending_json).toBe('[]');
    await b.close();

    // A second restart replays nothing and changes nothing.
    const c = new Box(dir, vt, [cfg]);
    await c.engine.start();
    expect(c.seen).toEqual([]);
    expect(c.countAlarms('flood:qingshui')).toBe(1);
    await c.close();
  });

  it('reconciles a state level the store lacks by raising it (and a standing fault), logging alarm.rules.reconciled', async () => {
    const cfg = site();
    const d = decided(cfg, [4.1, 4.2]);
    const up = d.state.sensors.up!;
    const state: SiteState = { ...d.state, sensors: { up: { ...up, faults: { ...up.faults, active: { ...up.faults.active, jump: true } } } } };
    const dir = tempDir();
    seedRow(dir, cfg, state, []); // pending lost: only the state survived
    const vt = new VirtualTime();
    vt.now = d.ts + 30_000;
    const b = new Box(dir, vt, [cfg]);
    await b.engine.start();
    expect(b.logged('alarm.rules.reconciled').map((l) => [l.key, l.action])).toEqual([
      ['flood:qingshui', 'raise_in_store'],
      ['fault:jump:up', 'raise_in_store'],
    ]);
    expect(b.floodTransitions()).toEqual(['raised:evacuate']);
    expect(b.seen[0]!.transition.cause).toMatchObject({ rule: 'reconcile' });
    expect(b.seen[0]!.alarm.title).toBe('清水河站 立即转移');
    expect(b.alarms.active().find((a) => a.key === 'fault:jump:up')).toMatchObject({ title: '清水河上游水位计 数值突变', kind: 'fault' });
    await b.close();
  });

  it('releases a latch whose acknowledgement the state missed', async () => {
    const vt = new VirtualTime();
    const dir = tempDir();
    const cfg = site({ prepare: { levelM: 3, hysteresisM: 0.2, debounce: { samples: 2 }, latch: true } });
    const a = new Box(dir, vt, [cfg]);
    await a.engine.start();
    a.readUp(3.1, 3.2, 2.0, 2.0);
    expect(a.engine.levels().qingshui).toBe('prepare'); // latched
    await a.engine.stop(); // the engine is gone when the operator acknowledges (the crash)
    a.alarms.acknowledge(a.openFlood()[0]!.id, { by: '王五' });
    a.db.close();

    const b = new Box(dir, vt, [cfg]);
    await b.engine.start();
    expect(b.logged('alarm.rules.reconciled')).toMatchObject([{ action: 'release_latch', by: '王五' }]);
    expect(b.floodTransitions()).toEqual(['cleared:prepare']);
    expect(b.engine.levels().qingshui).toBeNull();
    await b.close();
  });

  it('starts a site fresh when its sensor list changed, but keeps its open alarm (adopted), without a duplicate', async () => {
    const vt = new VirtualTime();
    const dir = tempDir();
    const a = new Box(dir, vt);
    await a.engine.start();
    a.readUp(3.1, 3.2);
    await a.close();

    const b = new Box(dir, vt, [site({ sensors: ['up', 'down'] })]);
    await b.engine.start();
    expect(b.logged('alarm.rules.state_reset')).toMatchObject([{ siteId: 'qingshui', reason: 'config changed' }]);
    expect(b.logged('alarm.rules.reconciled')).toMatchObject([{ action: 'adopt_into_state', store: 'prepare' }]);
    expect(b.engine.levels().qingshui).toBe('prepare');
    b.read({ up: 3.3, down: 3.2 });
    b.read({ up: 3.4, down: 3.3 });
    expect(b.seen).toEqual([]);
    b.read({ up: 2.5, down: 2.5 });
    b.read({ up: 2.4, down: 2.51 });
    expect(b.floodTransitions()).toEqual(['cleared:prepare']);
    await b.close();
  });

  it('logs and ignores bad readings and goes on', async () => {
    const vt = new VirtualTime();
    const box = new Box(tempDir(), vt);
    await box.engine.start();
    box.readUp(3.1);
    box.hub.reading$.next({ sensorId: 'up', ts: vt.now, value: Number.NaN, quality: 'good' });
    box.hub.reading$.next({ sensorId: 'up', ts: Number.POSITIVE_INFINITY, value: 3.5, quality: 'good' });
    box.hub.reading$.next(JSON.parse('{"sensorId":"up","ts":1,"value":"3.4","quality":"good"}') as Reading);
    expect(box.logged('alarm.rules.error')).toHaveLength(3);
    box.readUp(3.2); // the streak went on past the bad ones
    expect(box.floodTransitions()).toEqual(['raised:prepare']);
    await box.close();
  });

  it('feeds rain tips to the site with that gauge', async () => {
    const vt = new VirtualTime();
    const cfg = site({ rainfall: { gauge: { id: 'rg1', input: 'tips', mmPerTip: 0.5 }, h1: { prepareMm: 30, evacuateMm: 40 } } });
    const box = new Box(tempDir(), vt, [cfg]);
    await box.engine.start();
    box.readUp(1.0);
    box.rain$.next({ gaugeId: 'other', ts: vt.now, tips: 200 });
    expect(box.engine.levels().qingshui).toBeNull();
    vt.advance(MIN);
    box.rain$.next({ gaugeId: 'rg1', ts: vt.now, tips: 62 }); // 31 mm in the hour
    expect(box.floodTransitions()).toEqual(['raised:prepare']);
    expect(box.seen[0]!.transition.cause.rule).toBe('rain.h1');
    await box.close();
  });
});
