/**
 * The schedule runner: keeps the current plan, starts each job at its start and stops it at its end, re-plans when
 * told (guide or entries changed) and every `replanEveryMs`, and holds every start while the clock is not trusted.
 * A job id is started at most once per run; after a restart a job whose window is still open starts again (the
 * recorder records that gap). Stopping the runner does not stop recordings: the recorder's own stop does. Pure: time,
 * the recorder and the clock's trust are handed in (ports.ts).
 */
import type { RecordingGap, RecordingJob } from '../types.js';
import { spellInTrustedTime, startDecision, type UntrustedSpell } from './clock-trust.js';
import type { ClockTrust, JobRecorder, RunnerTimers } from './ports.js';
import type { Plan, PlannedJob } from './schedule-types.js';

export type RunnerEvent =
  | { readonly type: 'planned'; readonly plan: Plan }
  | { readonly type: 'job_started'; readonly job: PlannedJob; readonly gap?: RecordingGap }
  | { readonly type: 'job_stopped'; readonly jobId: string; readonly reason: 'ended' | 'removed' }
  | { readonly type: 'waiting_for_clock'; readonly jobId: string }
  | { readonly type: 'clock'; readonly trusted: boolean; readonly spell?: UntrustedSpell }
  | { readonly type: 'recorder_failed'; readonly jobId: string; readonly action: 'start' | 'stop'; readonly error: string };

export interface RunnerOptions {
  readonly timers: RunnerTimers;
  readonly recorder: JobRecorder;
  readonly clock: ClockTrust;
  /** Makes the plan for `now`, given the ids recording now (see planSchedule's `running`). */
  readonly plan: (now: number, running: ReadonlySet<string>) => Plan;
  /** Re-plan this often even when nothing changed (weekly entries roll forward); default one hour. */
  readonly replanEveryMs?: number;
  readonly onEvent?: (event: RunnerEvent) => void;
}

export interface RunnerStatus {
  readonly plan: Plan | undefined;
  readonly recording: readonly string[];
  /** Jobs due but held until the clock is trusted. */
  readonly waitingForClock: readonly string[];
  readonly clockTrusted: boolean;
}

export class ScheduleRunner {
  readonly name = 'recording-schedule-runner';
  private readonly replanEveryMs: number;
  private current: Plan | undefined;
  private readonly running = new Map<string, { job: PlannedJob; cancelStop: () => void }>();
  /** Started and stopped in this run: never started again (pruned once their end has passed). */
  private readonly done = new Map<string, number>();
  private readonly startTimers = new Map<string, () => void>();
  private readonly waiting = new Set<string>();
  private cancelReplan: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private untrustedSinceMono: number | undefined;
  private spell: UntrustedSpell | undefined;
  private started = false;

  constructor(private readonly opts: RunnerOptions) {
    this.replanEveryMs = opts.replanEveryMs ?? 3_600_000;
  }

  async start(): Promise<void> {
    this.started = true;
    if (!this.opts.clock.trusted()) this.untrustedSinceMono = this.opts.timers.monotonic();
    this.unsubscribe = this.opts.clock.onChange((trusted) => this.clockChanged(trusted));
    this.replan();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    this.cancelReplan?.();
    for (const cancel of this.startTimers.values()) cancel();
    this.startTimers.clear();
    for (const r of this.running.values()) r.cancelStop();
  }

  /** Plan again now: the guide, the entries or the settings changed. */
  refresh(): void {
    if (this.started) this.replan();
  }

  status(): RunnerStatus {
    return {
      plan: this.current,
      recording: [...this.running.keys()],
      waitingForClock: [...this.waiting],
      clockTrusted: this.opts.clock.trusted(),
    };
  }

  private replan(): void {
    const now = this.opts.timers.now();
    this.cancelReplan?.();
    this.cancelReplan = this.opts.timers.at(now + this.replanEveryMs, () => this.replan());
    for (const [id, end] of this.done) if (end <= now) this.done.delete(id);
    const plan = this.opts.plan(now, new Set(this.running.keys()));
    this.current = plan;
    this.emit({ type: 'planned', plan });
    this.apply(plan, now);
  }

  private apply(plan: Plan, now: number): void {
    for (const cancel of this.startTimers.values()) cancel();
    this.startTimers.clear();
    this.waiting.clear();
    const planned = new Map(plan.jobs.map((j) => [j.id, j]));
    for (const [id, r] of [...this.running]) {
      const next = planned.get(id);
      if (next === undefined) this.stopJob(id, 'removed');
      else if (next.endAt !== r.job.endAt) {
        r.cancelStop();
        this.running.set(id, { job: next, cancelStop: this.opts.timers.at(next.endAt, () => this.stopJob(id, 'ended')) });
      }
    }
    for (const job of plan.jobs) {
      if (this.running.has(job.id) || this.done.has(job.id)) continue;
      this.consider(job, now);
    }
  }

  private consider(job: PlannedJob, now: number): void {
    const d = startDecision(job, now, this.opts.clock.trusted(), this.spell);
    if (d.kind === 'start') this.startJob(job, d.gap);
    else if (d.kind === 'not_yet') this.startTimers.set(job.id, this.opts.timers.at(d.at, () => this.due(job.id)));
    else if (d.kind === 'wait_for_clock') {
      // The wall clock may be anything now: a job it calls due is noted, and its own time is looked at again once trusted.
      if (job.startAt <= now && now < job.endAt) {
        this.waiting.add(job.id);
        this.emit({ type: 'waiting_for_clock', jobId: job.id });
      } else if (now < job.startAt) this.startTimers.set(job.id, this.opts.timers.at(job.startAt, () => this.due(job.id)));
    }
  }

  private due(id: string): void {
    this.startTimers.delete(id);
    const job = this.current?.jobs.find((j) => j.id === id);
    if (job === undefined || this.running.has(id) || this.done.has(id)) return;
    this.consider(job, this.opts.timers.now());
  }

  private startJob(job: PlannedJob, gap: RecordingGap | undefined): void {
    const cancelStop = this.opts.timers.at(job.endAt, () => this.stopJob(job.id, 'ended'));
    this.running.set(job.id, { job, cancelStop });
    this.emit({ type: 'job_started', job, ...(gap === undefined ? {} : { gap }) });
    const plain: RecordingJob = { id: job.id, channelId: job.channelId, title: job.title, startAt: job.startAt, endAt: job.endAt, origin: job.origin };
    this.call(job.id, 'start', () => this.opts.recorder.startJob(plain, gap));
  }

  private stopJob(id: string, reason: 'ended' | 'removed'): void {
    const r = this.running.get(id);
    if (r === undefined) return;
    r.cancelStop();
    this.running.delete(id);
    this.done.set(id, Math.max(r.job.endAt, this.opts.timers.now()));
    this.emit({ type: 'job_stopped', jobId: id, reason });
    this.call(id, 'stop', () => this.opts.recorder.stopJob(id));
  }

  private call(jobId: string, action: 'start' | 'stop', fn: () => void | Promise<void>): void {
    const failed = (err: unknown): void => this.emit({ type: 'recorder_failed', jobId, action, error: err instanceof Error ? err.message : String(err) });
    try {
      const result = fn();
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  private clockChanged(trusted: boolean): void {
    if (!this.started) return;
    const t = this.opts.timers;
    if (!trusted) {
      this.untrustedSinceMono ??= t.monotonic();
      this.emit({ type: 'clock', trusted });
      return;
    }
    if (this.untrustedSinceMono !== undefined) {
      this.spell = spellInTrustedTime(this.untrustedSinceMono, t.monotonic(), t.now());
      this.untrustedSinceMono = undefined;
    }
    this.emit({ type: 'clock', trusted, ...(this.spell === undefined ? {} : { spell: this.spell }) });
    this.replan();
    // Every job the spell held has started in that re-plan; a job added later owes nothing to it.
    this.spell = undefined;
  }

  private emit(event: RunnerEvent): void {
    this.opts.onEvent?.(event);
  }
}
