/**
 * The box's one clock-trust service (issue #14 item 3). A box without an RTC boots with a clock in the past
 * (fake-hwclock) until NTP or the county hub tells it the time, and the link may be down for days.
 *
 * Sources: the NTP probe (health/clock-sync.ts: timedatectl, timesyncd's marker; a clock nothing can vouch for
 * either way is trusted, as the recordings always did), and the county hub's time (the push client learns hub − box
 * from every verified answer: within HUB_TRUST_MS the clock is trusted; farther, the box knows its error and
 * corrects what it stamped, but stays untrusted since it does not set the system clock).
 *
 * While untrusted the service keeps an open untrusted span (storage/clock-spans.ts): the readings writer marks every
 * reading it takes with it, the alarm transitions written meanwhile fall in its id range. Every second it compares
 * the wall clock's progress with the monotonic clock's (a step: NTP or someone set the clock); a step closes the span
 * and opens the next. When trusted time arrives, each span is corrected in one transaction by the plan of
 * health/clock-trust-plan.ts (`clock.corrected`), the steady time base (core/time-base.ts) is rebased onto the true
 * time, and listeners hear `trusted`. The recordings' schedule uses it through the same `ClockTrust` port.
 */
import type { ClockTrust } from '../../broadcast/recording/schedule/ports.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { TimeBase } from '../core/time-base.js';
import { ClockSpanStore, type CorrectionCounts } from '../storage/clock-spans.js';
import type { Db } from '../storage/database.js';
import type { ClockMarks } from '../storage/readings-writer.js';
import { probeClockSync, type ClockSync } from './clock-sync.js';
import {
  afterStep,
  correctionPlan,
  detectStep,
  judgeHub,
  probeTrusts,
  STEP_THRESHOLD_MS,
  type Observation,
  type PendingSpan,
} from './clock-trust-plan.js';

export type ClockTrustSource = 'ntp' | 'hub' | 'unknown';

/** One measurement of the hub's clock: hub − box (`offsetMs`), taken at box time `at` (a new `at`, a new measurement). */
export interface HubTimeSample {
  readonly offsetMs: number;
  readonly uncertaintyMs?: number;
  readonly at: number;
}

export interface ClockTrustState {
  readonly trusted: boolean;
  /** What made the clock trusted; null while it is not. */
  readonly source: ClockTrustSource | null;
  /** Wall ms when it became trusted. */
  readonly since: number | null;
  /** The last correction applied to untrusted stamps (true − box, ms); null before any. */
  readonly correctionMs: number | null;
  /** Hub − box as last measured; null before any answer of the hub. */
  readonly hubOffsetMs: number | null;
  /** The untrusted span readings are marked with now; null while trusted. */
  readonly span: number | null;
  /** The last wall-clock step seen (ms, + forwards); null before any. */
  readonly lastStepMs: number | null;
}

export interface ClockTrustServiceOptions {
  readonly timeBase: TimeBase;
  readonly log: Logger;
  /** Migrated database: without it the service only tells trust (nothing is marked or corrected). */
  readonly db?: Db;
  readonly probe?: () => Promise<ClockSync>;
  /** How often the NTP probe is asked while untrusted (default 15 s). */
  readonly probeIntervalMs?: number;
  /** How often the wall clock is compared with the monotonic one, and the hub's time read (default 1 s). */
  readonly watchIntervalMs?: number;
  /** The hub's latest time measurement, or undefined before any (the push client's status). */
  readonly hubTime?: () => HubTimeSample | undefined;
}

export class ClockTrustService implements Module, ClockTrust, ClockMarks {
  readonly name = 'clock-trust';
  private readonly store: ClockSpanStore | undefined;
  private readonly listeners = new Set<(trusted: boolean) => void>();
  private value = false;
  private source: ClockTrustSource | null = null;
  private since: number | null = null;
  private correctionMs: number | null = null;
  private hubOffsetMs: number | null = null;
  private lastStepMs: number | null = null;
  private lastHubAt: number | undefined;
  private last: Observation | undefined;
  private span: number | null = null;
  private pending: PendingSpan[] = [];
  /** Corrections of this boot's spans, for readings still in the writer's queue when their span was corrected. */
  private readonly corrections = new Map<number, number>();
  private started = false;
  private watchTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private warned = false;

  constructor(private readonly opts: ClockTrustServiceOptions) {
    this.store = opts.db === undefined ? undefined : new ClockSpanStore(opts.db);
  }

  /** Asks the probe once before returning (so the modules after it start knowing), then watches. Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const abandoned = this.store?.abandonOpen() ?? 0;
    if (abandoned > 0) {
      this.opts.log.warn({ event: 'clock.spans_abandoned', spans: abandoned }, 'untrusted clock spans of an earlier boot can no longer be corrected; their readings stay marked');
    }
    this.last = this.observation();
    await this.check();
    if (!this.value && this.span === null) this.openSpan();
    this.watchTimer = setInterval(() => this.observe(), this.opts.watchIntervalMs ?? 1_000);
    this.watchTimer.unref();
    if (!this.value) {
      this.probeTimer = setInterval(() => void this.check(), this.opts.probeIntervalMs ?? 15_000);
      this.probeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.watchTimer);
    clearInterval(this.probeTimer);
    this.watchTimer = undefined;
    this.probeTimer = undefined;
    this.started = false;
  }

  trusted(): boolean {
    return this.value;
  }

  onChange(listener: (trusted: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): ClockTrustState {
    return {
      trusted: this.value,
      source: this.source,
      since: this.since,
      correctionMs: this.correctionMs,
      hubOffsetMs: this.hubOffsetMs,
      span: this.span,
      lastStepMs: this.lastStepMs,
    };
  }

  // ---- ClockMarks (the readings writer) ----

  currentSpan(): number | null {
    return this.span;
  }

  correctionOf(span: number): number | undefined {
    return this.corrections.get(span);
  }

  // ---- inputs ----

  /** One watch step: a wall-clock step since the last one, and a new hub measurement. Public for tests. */
  observe(): void {
    const now = this.observation();
    const step = this.last === undefined ? null : detectStep(this.last, now, STEP_THRESHOLD_MS);
    this.last = now;
    if (step !== null) this.onStep(step);
    const hub = this.opts.hubTime?.();
    if (hub !== undefined && hub.at !== this.lastHubAt && Number.isFinite(hub.offsetMs)) {
      this.lastHubAt = hub.at;
      this.hubTime(hub.offsetMs, hub.uncertaintyMs ?? 0);
    }
  }

  /** The hub's clock as just measured: hub − box. Public for tests (the daemon reads it through `hubTime`). */
  hubTime(offsetMs: number, uncertaintyMs = 0): void {
    this.hubOffsetMs = offsetMs;
    const verdict = judgeHub(offsetMs, uncertaintyMs);
    if (this.value) {
      if (verdict === 'correct_only') {
        this.opts.log.warn({ event: 'clock.hub_disagrees', offsetMs, uncertaintyMs }, `the hub's clock is ${offsetMs} ms from the trusted clock`);
      }
      return;
    }
    this.correctAll(offsetMs, 'hub');
    if (verdict === 'trust') this.becomeTrusted('hub');
    else this.openSpan(); // still wrong by offsetMs: what is stamped from now on is corrected at the next measurement
  }

  /** Asks the NTP probe (while untrusted). Public for tests. */
  async check(): Promise<void> {
    if (this.value || this.probing) return;
    this.probing = true;
    let sync: ClockSync;
    try {
      sync = await (this.opts.probe ?? probeClockSync)().catch((): ClockSync => ({ source: 'unknown', synchronized: null }));
    } finally {
      this.probing = false;
    }
    if (this.value) return;
    if (!probeTrusts(sync.synchronized)) {
      if (!this.warned) {
        this.warned = true;
        this.opts.log.warn({ event: 'clock.untrusted', source: sync.source }, 'the clock is not synchronised: readings are marked until trusted time arrives');
      }
      return;
    }
    // A step NTP just made belongs to the spans before it: look for it first.
    this.observe();
    if (this.value) return;
    if (this.pending.length > 0 || this.span !== null) this.correctAll(0, sync.synchronized === true ? 'ntp' : 'unknown');
    this.becomeTrusted(sync.synchronized === true ? 'ntp' : 'unknown');
  }

  // ---- internals ----

  private observation(): Observation {
    return { wall: this.opts.timeBase.wall(), mono: this.opts.timeBase.mono() };
  }

  private onStep(stepMs: number): void {
    this.lastStepMs = stepMs;
    this.opts.log.warn({ event: 'clock.step', stepMs, trusted: this.value }, `the wall clock jumped ${stepMs} ms`);
    if (this.value) {
      // Trusted, the wall clock is what the box goes by: the steady time base follows it (its listeners shift what
      // they keep by as much, so no duration changes).
      this.opts.timeBase.rebase(stepMs);
      return;
    }
    this.pending = afterStep(this.pending, stepMs);
    if (this.span !== null) this.store?.close(this.span);
    this.span = null;
    this.openSpan();
  }

  private openSpan(): void {
    if (this.span !== null || this.store === undefined) return;
    try {
      this.span = this.store.open(this.opts.timeBase.wall());
      this.pending.push({ id: this.span, laterStepsMs: 0 });
    } catch (err) {
      this.opts.log.error({ event: 'clock.error', phase: 'open_span', err }, 'could not record an untrusted clock span');
    }
  }

  /** `offsetNowMs`: true time − wall clock, now. */
  private correctAll(offsetNowMs: number, source: ClockTrustSource): void {
    const plan = correctionPlan(this.pending, offsetNowMs);
    let counts: CorrectionCounts = { readings: 0, transitions: 0, alarms: 0 };
    if (this.store !== undefined && plan.length > 0) {
      try {
        counts = this.store.correct(plan, this.opts.timeBase.wall() + offsetNowMs);
      } catch (err) {
        this.opts.log.error({ event: 'clock.error', phase: 'correct', err }, 'could not correct the untrusted readings; they stay marked');
        return;
      }
    }
    for (const p of plan) this.corrections.set(p.span, p.offsetMs);
    this.pending = [];
    this.span = null;
    this.correctionMs = plan[plan.length - 1]?.offsetMs ?? offsetNowMs;
    this.opts.log.info(
      { event: 'clock.corrected', source, offsetMs: this.correctionMs, readings: counts.readings, alarms: counts.alarms, transitions: counts.transitions, spans: plan },
      `untrusted times corrected by ${this.correctionMs} ms`,
    );
    const tb = this.opts.timeBase;
    const delta = tb.wall() + offsetNowMs - tb.steady();
    if (Math.abs(delta) >= 1_000) tb.rebase(delta);
  }

  private becomeTrusted(source: ClockTrustSource): void {
    if (this.value) return;
    this.value = true;
    this.source = source;
    this.since = this.opts.timeBase.wall();
    this.span = null;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.opts.log.info({ event: 'clock.trusted', source }, 'the clock is trusted');
    for (const l of this.listeners) l(true);
  }
}
