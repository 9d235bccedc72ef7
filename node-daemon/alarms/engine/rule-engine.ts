import type { Observable, Subscription } from 'rxjs';
import type { AlarmEvent, EventHub } from '../../core/events.js';
import { monotonicMs, type RulesHeartbeat } from '../../core/liveness.js';
import type { Logger } from '../../core/log.js';
import type { Module } from '../../core/module.js';
import type { TimeBase } from '../../core/time-base.js';
import type { Clock, Reading } from '../../core/types.js';
import type { RainTips } from '../../inputs/board-inputs.js';
import type { Db } from '../../storage/database.js';
import { FAULT_KINDS, faultKey, floodKey, maxLevel, rankOf, type FloodEvent, type Level, type RuleEvent } from '../rules/events.js';
import { isFaulted } from '../rules/faults.js';
import type { AlarmSiteConfig } from '../rules/schema.js';
import { initialSiteState, stepSite, type SensorRuleState, type SiteInput, type SiteState } from '../rules/site.js';
import { initialThresholdState } from '../rules/threshold.js';
import { newestTime, shiftSiteState } from '../rules/time-shift.js';
import type { AlarmChange } from '../store/alarm-requests.js';
import type { AlarmService } from '../store/alarm-service.js';
import type { Alarm, AlarmCause, AlarmLevel } from '../types.js';
import { realTickScheduler, type TickScheduler } from './scheduler.js';
import { parsePending, parseState, readingProblem, RuleStateStore, siteShape } from './state-store.js';
import { faultTitle, floodTitle } from './titles.js';

/** An instant as `Date.prototype.toISOString` writes it, in a rule's cause detail. */
const ISO_INSTANT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/** Bucket tips counted by a rain gauge since its previous report. */
export type { RainTips };

export interface RuleEngineOptions {
  readonly sites: readonly AlarmSiteConfig[];
  /** Migrated (openDatabase): the engine keeps its per-site state in `alarm_rule_state`. */
  readonly db: Db;
  readonly alarms: AlarmService;
  readonly hub: EventHub;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often time-driven rules run (comm-lost, on/off delays, rain windows). Default 1000. */
  readonly tickMs?: number;
  readonly rainTips$?: Observable<RainTips>;
  /** Site id → name for titles; falls back to the site's `name`, then its id. */
  readonly siteNames?: Readonly<Record<string, string>>;
  /** Sensor id → name for fault titles; falls back to the id. */
  readonly sensorNames?: Readonly<Record<string, string>>;
  readonly scheduler?: TickScheduler;
  /**
   * The rules' time base (issue #14 item 3): with it, every duration the rules measure (debounce, on/off delays,
   * rate-of-rise and rain windows, comm-lost and stuck timers) runs on `steady()`, which never jumps when the wall
   * clock does, and a reading counts at the steady time it arrived (so in arrival order), not at its wall `ts`; a
   * rebase (trusted time arrived) shifts the kept state by as much. Causes still name the reading's wall `ts`.
   * Without it: `clock` and the readings' own `ts`, as before.
   */
  readonly timeBase?: Pick<TimeBase, 'steady' | 'onRebase'>;
}

interface SiteRuntime {
  readonly cfg: AlarmSiteConfig;
  readonly shape: string;
  state: SiteState;
  /** JSON of `state` as last computed, to tell a step that changed something. */
  json: string;
  /** Rule events decided (and written ahead with the state) whose alarm calls have not succeeded yet; one per key. */
  pending: RuleEvent[];
  /** The last state write failed: write again on the next tick. */
  dirty: boolean;
  /** Consecutive failed attempts at the head of `pending` (to keep the log readable during an outage). */
  failures: number;
}

const RECONCILE_RULE = 'reconcile';
/** How many readings' wall stamps the engine remembers for causes (a debounce's first sample, a delayed change's). */
const WALL_MEMORY = 1_024;

/**
 * Runs the pure site rules (rules/site.ts) on live input and drives the alarm lifecycle store with what they decide.
 *
 * Durability: every step that changed a site's state is written to `alarm_rule_state` together with the rule events
 * it produced (one statement), BEFORE those events go to the alarm service; once the alarm calls succeed the pending
 * list is emptied. The alarm service commits and announces each transition in its own transaction (announcing after
 * its commit), so the engine does not wrap it in an outer transaction of its own: that would announce transitions
 * that could still roll back. A kill -9 anywhere leaves either the old state (nothing decided yet) or the new state
 * with its events pending, which start() replays (raise/clear by key are idempotent). Whatever still disagrees after
 * that (a lost write, an edited database, a site whose config changed) is reconciled toward the more urgent side:
 * a store alarm the state does not know is adopted into the state (so the rules must clear it through their own
 * hysteresis), a state level the store lacks is raised. A restart never forgets an active alarm nor opens a second
 * one: the store keeps one open alarm per key.
 */
export class RuleEngine implements Module {
  readonly name = 'alarm-rules';
  private readonly cfgs: readonly AlarmSiteConfig[];
  private readonly db: Db;
  private readonly alarms: AlarmService;
  private readonly hub: EventHub;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly tickMs: number;
  private readonly rainTips$: Observable<RainTips> | undefined;
  private readonly siteNames: Readonly<Record<string, string>>;
  private readonly sensorNames: Readonly<Record<string, string>>;
  private readonly scheduler: TickScheduler;
  private readonly timeBase: Pick<TimeBase, 'steady' | 'onRebase'> | undefined;
  private stopRebase: (() => void) | undefined;
  /** Steady time → wall `ts` of the latest readings fed (bounded), so a cause names its reading's own stamp. */
  private readonly wallOfSteady = new Map<number, number>();

  private store: RuleStateStore | undefined;
  private readonly sites = new Map<string, SiteRuntime>();
  private readonly bySensor = new Map<string, SiteRuntime[]>();
  private readonly byFloodKey = new Map<string, SiteRuntime>();
  private subs: Subscription[] = [];
  private stopTick: (() => void) | undefined;
  private running = false;
  /** Liveness for the systemd watchdog (heartbeat()): monotonic ms of the last tick, or of start(). */
  private lastTickAt = monotonicMs();

  constructor(opts: RuleEngineOptions) {
    const ids = opts.sites.map((s) => s.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) throw new Error(`alarm rules: two sites share the id ${dup}`);
    const tickMs = opts.tickMs ?? 1000;
    if (!(Number.isFinite(tickMs) && tickMs > 0)) throw new Error(`alarm rules: tickMs must be positive, got ${tickMs}`);
    this.cfgs = opts.sites;
    this.db = opts.db;
    this.alarms = opts.alarms;
    this.hub = opts.hub;
    this.clock = opts.clock;
    this.log = opts.log;
    this.tickMs = tickMs;
    this.rainTips$ = opts.rainTips$;
    this.siteNames = opts.siteNames ?? {};
    this.sensorNames = opts.sensorNames ?? {};
    this.scheduler = opts.scheduler ?? realTickScheduler;
    this.timeBase = opts.timeBase;
  }

  /** The rules' now: the steady time base when there is one, else the clock. */
  private now(): number {
    return this.timeBase === undefined ? this.clock() : this.timeBase.steady();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.store ??= new RuleStateStore(this.db);
    this.sites.clear();
    this.bySensor.clear();
    this.byFloodKey.clear();
    for (const cfg of this.cfgs) {
      const site = this.restore(cfg);
      this.sites.set(cfg.id, site);
      this.byFloodKey.set(floodKey(cfg.id), site);
      for (const id of cfg.sensors) this.bySensor.set(id, [...(this.bySensor.get(id) ?? []), site]);
    }
    for (const site of this.sites.values()) {
      if (site.pending.length > 0) {
        this.log.warn({ event: 'alarm.rules.replay', siteId: site.cfg.id, keys: site.pending.map((e) => e.key) }, 'replaying rule events left pending by the last run');
        this.flushPending(site);
      }
    }
    this.reconcileAll();
    this.running = true;
    this.subs = [
      this.hub.reading$.subscribe((r) => this.onReading(r)),
      this.hub.alarm$.subscribe((e) => this.onAlarm(e)),
    ];
    if (this.rainTips$) this.subs.push(this.rainTips$.subscribe((t) => this.onRainTips(t)));
    this.lastTickAt = monotonicMs();
    this.stopTick = this.scheduler.every(this.tickMs, () => this.onTick());
    this.stopRebase = this.timeBase?.onRebase((delta) => this.onRebase(delta));
    this.log.info({ event: 'alarm.rules.started', sites: this.cfgs.length, tickMs: this.tickMs, levels: this.levels() }, 'alarm rules started');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.stopTick?.();
    this.stopTick = undefined;
    this.stopRebase?.();
    this.stopRebase = undefined;
    for (const site of this.sites.values()) {
      if (site.pending.length > 0) this.flushPending(site);
      this.persist(site, this.now());
    }
    this.log.info({ event: 'alarm.rules.stopped', levels: this.levels() }, 'alarm rules stopped');
  }

  /** Each configured site's current flood level (null before start()). A fresh object; changing it changes nothing. */
  levels(): Record<string, Level> {
    const out: Record<string, Level> = {};
    for (const cfg of this.cfgs) out[cfg.id] = this.sites.get(cfg.id)?.state.level ?? null;
    return out;
  }

  // ---- input ----

  private onReading(r: Reading): void {
    const problem = readingProblem(r);
    if (problem !== null) {
      this.log.error({ event: 'alarm.rules.error', phase: 'reading', problem, reading: safeJson(r) }, 'unusable reading ignored by the alarm rules');
      return;
    }
    for (const site of this.bySensor.get(r.sensorId) ?? []) this.feed(site, { kind: 'reading', reading: r });
  }

  private onRainTips(t: RainTips): void {
    const ok = typeof t?.gaugeId === 'string' && Number.isFinite(t.ts) && Number.isFinite(t.tips) && t.tips >= 0;
    if (!ok) {
      this.log.error({ event: 'alarm.rules.error', phase: 'rain', input: safeJson(t) }, 'unusable rain input ignored by the alarm rules');
      return;
    }
    for (const site of this.sites.values()) {
      if (site.cfg.rainfall?.gauge.id === t.gaugeId) this.feed(site, { kind: 'rain_tips', gaugeId: t.gaugeId, ts: t.ts, tips: t.tips });
    }
  }

  private onAlarm(e: AlarmEvent): void {
    if (e.transition.type !== 'acknowledged') return;
    const site = this.byFloodKey.get(e.alarm.key);
    if (!site) return;
    const by = ackedBy(e.transition.account, e.transition.by);
    // Later, not inside the service's announcement: a clear caused by the ack must reach every other subscriber
    // after the acknowledgement itself, not nested before it.
    queueMicrotask(() => {
      if (this.running) this.feed(site, by === undefined ? { kind: 'ack' } : { kind: 'ack', by });
    });
  }

  /** What the systemd watchdog asks before each ping (core/liveness.ts). */
  heartbeat(): RulesHeartbeat {
    const readings = this.subs[0];
    return { running: this.running, subscribed: readings !== undefined && !readings.closed, lastTickAt: this.lastTickAt, tickMs: this.tickMs };
  }

  /** The time base moved by `deltaMs`: so does every time the sites keep, so no duration changes. */
  private onRebase(deltaMs: number): void {
    const moved = [...this.wallOfSteady];
    this.wallOfSteady.clear();
    for (const [steady, wall] of moved) this.wallOfSteady.set(steady + deltaMs, wall);
    for (const site of this.sites.values()) {
      site.state = shiftSiteState(site.state, deltaMs);
      site.json = JSON.stringify(site.state);
      this.persist(site, this.now());
    }
    this.log.info({ event: 'alarm.rules.rebased', deltaMs }, 'alarm rule times moved with the time base');
  }

  private onTick(): void {
    this.lastTickAt = monotonicMs();
    for (const site of this.sites.values()) {
      if (site.dirty) this.persist(site, this.now());
      this.feed(site, { kind: 'tick' });
    }
  }

  // ---- one step ----

  private feed(site: SiteRuntime, input: SiteInput): void {
    try {
      if (site.pending.length > 0) this.flushPending(site);
      const now = this.now();
      const step = this.timeBase === undefined ? stepSite(site.cfg, site.state, input, now) : this.steadyStep(site, input, now);
      const json = JSON.stringify(step.state);
      if (step.events.length === 0 && json === site.json) return;
      site.state = step.state;
      site.json = json;
      site.pending = mergePending(site.pending, step.events);
      this.persist(site, now);
      if (step.events.length > 0) this.flushPending(site);
    } catch (err) {
      this.log.error({ event: 'alarm.rules.error', phase: 'step', siteId: site.cfg.id, input: input.kind, err }, 'alarm rule step failed');
    }
  }

  /**
   * One step on the steady time base: a reading or rain input counts at `now` (when it arrived), and the events'
   * causes name wall-clock reading times again (the reading's own `ts`; older times by the wall − steady distance).
   */
  private steadyStep(site: SiteRuntime, input: SiteInput, now: number): ReturnType<typeof stepSite> {
    const wallOffset = this.clock() - now;
    let own: number | undefined;
    let ruleInput = input;
    if (input.kind === 'reading') {
      own = input.reading.ts;
      ruleInput = { kind: 'reading', reading: { ...input.reading, ts: now } };
      this.wallOfSteady.delete(now);
      this.wallOfSteady.set(now, own);
      if (this.wallOfSteady.size > WALL_MEMORY) this.wallOfSteady.delete(this.wallOfSteady.keys().next().value!);
    } else if (input.kind === 'rain_tips' || input.kind === 'rain_counter') {
      own = input.ts;
      ruleInput = { ...input, ts: now };
    }
    const step = stepSite(site.cfg, site.state, ruleInput, now);
    if (step.events.length === 0) return step;
    const toWall = (t: number): number => (own !== undefined && t === now ? own : (this.wallOfSteady.get(t) ?? t + wallOffset));
    // The rules write the times they name into `detail` too (`… since 2026-…Z`): those are steady times as well.
    const wallText = (text: string): string => text.replace(ISO_INSTANT, (iso) => new Date(toWall(Date.parse(iso))).toISOString());
    const events = step.events.map((e) => ({
      ...e,
      cause: {
        ...e.cause,
        ...(typeof e.cause.readingTs === 'number' ? { readingTs: toWall(e.cause.readingTs) } : {}),
        ...(typeof e.cause.detail === 'string' ? { detail: wallText(e.cause.detail) } : {}),
      },
    }));
    return { state: step.state, events };
  }

  private persist(site: SiteRuntime, now: number): void {
    try {
      this.store!.save(site.cfg.id, site.shape, site.json, site.pending, now);
      if (site.dirty) this.log.info({ event: 'alarm.rules.state_saved', siteId: site.cfg.id }, 'alarm rule state written again');
      site.dirty = false;
    } catch (err) {
      // Logged once per outage: a full disk fails every step and every tick until space returns.
      if (!site.dirty) this.log.error({ event: 'alarm.rules.error', phase: 'persist', siteId: site.cfg.id, err }, 'could not write the alarm rule state');
      site.dirty = true;
    }
  }

  /** Applies pending events in order; stops at the first failure (kept for the next try). */
  private flushPending(site: SiteRuntime): void {
    const before = site.pending.length;
    while (site.pending.length > 0) {
      const ev = site.pending[0]!;
      try {
        this.apply(ev);
      } catch (err) {
        site.failures++;
        if (site.failures === 1 || site.failures % 60 === 0) {
          this.log.error({ event: 'alarm.rules.error', phase: 'alarm', siteId: site.cfg.id, key: ev.key, type: ev.type, attempts: site.failures, err }, 'alarm call failed; will retry');
        }
        break;
      }
      site.failures = 0;
      site.pending = site.pending.slice(1);
    }
    if (site.pending.length === before) return;
    try {
      this.store!.savePending(site.cfg.id, site.pending, this.now());
    } catch (err) {
      site.dirty = true;
      this.log.error({ event: 'alarm.rules.error', phase: 'persist', siteId: site.cfg.id, err }, 'could not write the alarm rule state');
    }
  }

  private apply(ev: RuleEvent): AlarmChange | null {
    let change: AlarmChange | null;
    let level: AlarmLevel | null = null;
    if (isFloodEvent(ev)) {
      level = ev.to;
      change =
        level === null
          ? this.alarms.clear({ key: ev.key }, ev.cause)
          : this.alarms.raise({
              key: ev.key,
              kind: 'flood',
              level,
              siteId: ev.siteId,
              sensorId: ev.cause.sensorId,
              drill: false,
              title: floodTitle(this.siteName(ev.siteId), level),
              cause: ev.cause,
            });
    } else if (ev.type === 'fault_raise') {
      change = this.alarms.raise({
        key: ev.key,
        kind: 'fault',
        level: null,
        siteId: ev.siteId,
        sensorId: ev.sensorId,
        drill: false,
        title: faultTitle(this.sensorName(ev.sensorId), ev.fault),
        cause: ev.cause,
      });
    } else {
      change = this.alarms.clear({ key: ev.key }, ev.cause);
    }
    this.log.info(
      { event: 'alarm.rules.transition', siteId: ev.siteId, key: ev.key, type: ev.type, level, cause: ev.cause, changed: change?.changed ?? false, alarmId: change?.alarm.id },
      'alarm rule event applied',
    );
    return change;
  }

  // ---- start: restore and reconcile ----

  private restore(cfg: AlarmSiteConfig): SiteRuntime {
    const now = this.now();
    const shape = siteShape(cfg);
    let row;
    try {
      row = this.store!.load(cfg.id);
    } catch (err) {
      this.log.error({ event: 'alarm.rules.error', phase: 'restore', siteId: cfg.id, err }, 'could not read the alarm rule state');
    }
    let state: SiteState | undefined;
    let pending: RuleEvent[] = [];
    if (row === undefined) {
      this.log.info({ event: 'alarm.rules.state_new', siteId: cfg.id }, 'alarm site starts with a fresh rule state');
    } else {
      const p = parsePending(row.pendingJson);
      pending = p.events;
      if (p.dropped > 0) this.log.error({ event: 'alarm.rules.error', phase: 'restore', siteId: cfg.id, dropped: p.dropped }, 'unusable pending rule events dropped');
      if (row.shape !== shape) {
        this.log.warn(
          { event: 'alarm.rules.state_reset', siteId: cfg.id, reason: 'config changed', was: row.shape, now: shape },
          'alarm site config changed (sensors, rate rule or rain gauge): its rule state starts fresh',
        );
      } else {
        const parsed = parseState(cfg, row.stateJson);
        if ('state' in parsed) {
          state = parsed.state;
          // Saved later than it is now: the clock this run starts on is behind the last run's (a box without an RTC
          // booting with its clock in the past). The time in between is unknown; the state keeps its durations.
          const newest = Math.max(newestTime(state) ?? row.updatedAt, row.updatedAt);
          if (newest > now) {
            state = shiftSiteState(state, now - newest);
            this.log.warn({ event: 'alarm.rules.state_rebased', siteId: cfg.id, deltaMs: now - newest }, 'stored alarm rule state lies in the future of the clock: its times moved back');
          }
          this.log.info({ event: 'alarm.rules.restored', siteId: cfg.id, level: state.level, latched: state.latched, savedAt: row.updatedAt }, 'alarm rule state restored');
        } else {
          this.log.warn({ event: 'alarm.rules.state_reset', siteId: cfg.id, reason: parsed.problem }, 'stored alarm rule state unusable: starting fresh');
        }
      }
    }
    state ??= initialSiteState(cfg, now);
    const site: SiteRuntime = { cfg, shape, state, json: JSON.stringify(state), pending, dirty: false, failures: 0 };
    this.persist(site, now);
    return site;
  }

  private reconcileAll(): void {
    let open: Map<string, Alarm>;
    try {
      open = new Map(this.alarms.active().map((a) => [a.key, a]));
    } catch (err) {
      this.log.error({ event: 'alarm.rules.error', phase: 'reconcile', err }, 'could not read the open alarms; not reconciled');
      return;
    }
    for (const site of this.sites.values()) {
      try {
        this.reconcile(site, open);
      } catch (err) {
        this.log.error({ event: 'alarm.rules.error', phase: 'reconcile', siteId: site.cfg.id, err }, 'reconcile failed');
      }
    }
    const sensors = new Set(this.cfgs.flatMap((c) => c.sensors));
    const orphans = [...open.values()].filter(
      (a) => (a.kind === 'flood' && a.key.startsWith('flood:') && !this.byFloodKey.has(a.key)) || (a.kind === 'fault' && a.sensorId !== undefined && !sensors.has(a.sensorId)),
    );
    if (orphans.length > 0) {
      this.log.warn({ event: 'alarm.rules.orphan', keys: orphans.map((a) => a.key) }, 'open rule alarms of sites or sensors no longer configured (left for an operator)');
    }
  }

  private reconcile(site: SiteRuntime, open: ReadonlyMap<string, Alarm>): void {
    const { cfg } = site;
    const now = this.now();
    const key = floodKey(cfg.id);
    const flood = open.get(key);
    // A flood alarm always has a level; an open one without (never written by us) counts as prepare.
    const storeLevel: Level = flood === undefined ? null : (flood.level ?? 'prepare');
    let state = site.state;
    const stateLevel = state.level;
    const toRaise: RuleEvent[] = [];
    if (storeLevel !== stateLevel) {
      if (rankOf(stateLevel) > rankOf(storeLevel)) {
        const cause: AlarmCause = { rule: RECONCILE_RULE, detail: `rule state is ${stateLevel}, the alarm store had ${storeLevel ?? 'no open alarm'}` };
        toRaise.push({ type: storeLevel === null ? 'raise' : 'escalate', from: storeLevel, to: stateLevel, ts: now, cause, key, siteId: cfg.id });
        this.log.warn({ event: 'alarm.rules.reconciled', siteId: cfg.id, key, action: 'raise_in_store', state: stateLevel, store: storeLevel }, 'alarm store raised to the rule state');
      } else {
        state = adoptLevel(state, storeLevel!);
        this.log.warn(
          { event: 'alarm.rules.reconciled', siteId: cfg.id, key, action: 'adopt_into_state', state: stateLevel, store: storeLevel, alarmId: flood?.id },
          'open flood alarm adopted into the rule state: it clears only through the rules (hysteresis)',
        );
      }
    }
    for (const sensorId of cfg.sensors) {
      const s = state.sensors[sensorId];
      if (!s) continue;
      for (const fault of FAULT_KINDS) {
        const fkey = faultKey(fault, sensorId);
        const isOpen = open.has(fkey);
        if (s.faults.active[fault] === isOpen) continue;
        if (!isOpen) {
          const cause: AlarmCause = { rule: RECONCILE_RULE, sensorId, detail: `rule state has ${fault}, the alarm store had no open alarm` };
          toRaise.push({ type: 'fault_raise', key: fkey, fault, sensorId, ts: now, cause, siteId: cfg.id });
          this.log.warn({ event: 'alarm.rules.reconciled', siteId: cfg.id, key: fkey, action: 'raise_in_store' }, 'fault alarm raised to match the rule state');
        } else {
          state = adoptFault(state, sensorId, fault);
          this.log.warn({ event: 'alarm.rules.reconciled', siteId: cfg.id, key: fkey, action: 'adopt_into_state' }, 'open fault alarm adopted into the rule state');
        }
      }
    }
    if (state !== site.state || toRaise.length > 0) {
      site.state = state;
      site.json = JSON.stringify(state);
      site.pending = mergePending(site.pending, toRaise);
      this.persist(site, now);
      this.flushPending(site);
    }
    // An acknowledgement the state missed (a crash between the store's commit and our state write) releases the latch.
    if (flood?.state === 'acknowledged' && site.state.latched !== null) {
      const by = ackedBy(flood.acknowledgedByAccount, flood.acknowledgedBy);
      this.log.warn({ event: 'alarm.rules.reconciled', siteId: cfg.id, key, action: 'release_latch', by }, 'acknowledged alarm releases the latched level');
      this.feed(site, by === undefined ? { kind: 'ack' } : { kind: 'ack', by });
    }
  }

  private siteName(siteId: string): string {
    return this.siteNames[siteId] ?? this.sites.get(siteId)?.cfg.name ?? siteId;
  }

  private sensorName(sensorId: string): string {
    return this.sensorNames[sensorId] ?? sensorId;
  }
}

/** Who acknowledged, as the rules' cause text names it: the account, and on behalf of whom when given. */
function ackedBy(account: string | undefined, by: string | undefined): string | undefined {
  if (account === undefined) return by;
  return by === undefined ? account : `${account} on behalf of ${by}`;
}

function isFloodEvent(ev: RuleEvent): ev is FloodEvent {
  return ev.type !== 'fault_raise' && ev.type !== 'fault_clear';
}

/** One pending event per key: the newest decides (raise/clear by key are "set to" operations). */
function mergePending(pending: readonly RuleEvent[], events: readonly RuleEvent[]): RuleEvent[] {
  let out = [...pending];
  for (const e of events) out = [...out.filter((p) => p.key !== e.key), e];
  return out;
}

/**
 * Makes the state hold `level` the way the rules would have: the level thresholds of the site's healthy sensors (all
 * of them when none is healthy) are set active, so the alarm clears only once readings fall past the hysteresis
 * for the debounce, like any alarm the rules raised themselves.
 */
function adoptLevel(state: SiteState, level: AlarmLevel): SiteState {
  const ids = Object.keys(state.sensors);
  const healthy = ids.filter((id) => !isFaulted(state.sensors[id]!.faults));
  const sensors: Record<string, SensorRuleState> = { ...state.sensors };
  for (const id of healthy.length > 0 ? healthy : ids) {
    const s = sensors[id]!;
    const active = { ...initialThresholdState(), active: true };
    sensors[id] = { ...s, prepare: s.prepare.active ? s.prepare : active, evacuate: level === 'evacuate' && !s.evacuate.active ? active : s.evacuate };
  }
  return { ...state, sensors, level: maxLevel(state.level, level) };
}

/** Marks a fault standing; the fault rules clear it on their own terms (a good reading, consistent samples...). */
function adoptFault(state: SiteState, sensorId: string, fault: (typeof FAULT_KINDS)[number]): SiteState {
  const s = state.sensors[sensorId]!;
  const faults = { ...s.faults, active: { ...s.faults.active, [fault]: true } };
  return { ...state, sensors: { ...state.sensors, [sensorId]: { ...s, faults } } };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
