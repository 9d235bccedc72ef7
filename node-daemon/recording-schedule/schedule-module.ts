/**
 * The recording schedule in the daemon: the SQLite store, the XMLTV guide loader, the clock-trust watch and the
 * runner (broadcast/recording/schedule) driving the recorder's `startJob`/`stopJob`. It answers the schedule routes
 * (GET/POST/DELETE /recordings/schedule). Start it after the recorder (which resumes what a restart interrupted) and
 * before HTTP.
 */
import { randomUUID } from 'node:crypto';
import { scheduleChannelOf } from '../../broadcast/recording/schedule/channels.js';
import { planFrom } from '../../broadcast/recording/schedule/plan.js';
import type { ClockTrust, JobRecorder, RunnerTimers, ScheduleBook } from '../../broadcast/recording/schedule/ports.js';
import { ScheduleRunner, type RunnerEvent } from '../../broadcast/recording/schedule/runner.js';
import type { Conflict, PlannedJob, PlanSettings, ScheduleChannel, ScheduleEntry, WeeklyEntry } from '../../broadcast/recording/schedule/schedule-types.js';
import type { Channel } from '../../broadcast/recording/types.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import type { ScheduleAdded, ScheduleConflictView, ScheduleDeleted, ScheduledJobView, ScheduleEntryView, ScheduleView } from '../http/schemas/recording-schedule.js';
import type { Db } from '../storage/database.js';
import { ClockTrustWatch } from './clock-trust-watch.js';
import type { RecordingScheduleConfig, WeeklyEntryConfig } from './config-schema.js';
import { entryFromRequest, ScheduleRequestError, type ScheduleEntryRequest } from './entry-checks.js';
import { GuideLoader } from './guide-loader.js';
import { guideSourceName } from './guide-source.js';
import { realTimers } from './real-timers.js';
import { ScheduleStore, type StoredEntry } from './schedule-store.js';

export interface RecordingScheduleDeps {
  readonly db: Db;
  readonly log: Logger;
  readonly clock: Clock;
  readonly timeZone: string;
  /** The schedule's keys of the `recording` section (defaults when the section is absent). */
  readonly config: Partial<RecordingScheduleConfig> | undefined;
  /** `recording.channels`. */
  readonly channels: readonly Channel[];
  /** The recorder (node-daemon/recording); without one, due jobs are only logged. */
  readonly recorder?: JobRecorder;
  /** Default: the clock-sync probe (health/clock-sync.ts). */
  readonly clockTrust?: ClockTrust & Partial<Pick<Module, 'start' | 'stop'>>;
  /** Default: the real clocks. */
  readonly timers?: RunnerTimers;
}

const DEFAULT_PADDING_BEFORE_S = 60;
const DEFAULT_PADDING_AFTER_S = 300;

/** A config weekly entry's id: made of what it says, so it is the same at every start whatever the list's order. */
export function configWeeklyId(w: WeeklyEntryConfig): string {
  return `cfg-${w.channel}-${w.days.join('')}-${w.start.replace(':', '')}-${w.end.replace(':', '')}`;
}

export class RecordingScheduleModule implements Module, ScheduleBook {
  readonly name = 'recording-schedule';
  readonly store: ScheduleStore;
  readonly guide: GuideLoader;
  readonly runner: ScheduleRunner;
  private readonly channels: readonly ScheduleChannel[];
  private readonly channelNames: ReadonlyMap<string, string>;
  private readonly configWeekly: readonly WeeklyEntry[];
  private readonly clockTrust: ClockTrust & Partial<Pick<Module, 'start' | 'stop'>>;
  private readonly settings: PlanSettings;
  private readonly conflictsLogged = new Set<string>();
  /** The recorder's refusal of a job the runner started, by job id, until the next plan (what recordNow answers). */
  private readonly refusals = new Map<string, string>();

  constructor(private readonly deps: RecordingScheduleDeps) {
    const cfg = deps.config ?? {};
    const receiverOf = new Map<string, string>();
    for (const [receiver, ids] of Object.entries(cfg.receivers ?? {})) for (const id of ids) receiverOf.set(id, receiver);
    this.channels = deps.channels.map((c) => scheduleChannelOf(c, receiverOf.get(c.id)));
    this.channelNames = new Map(deps.channels.map((c) => [c.id, c.name]));
    this.configWeekly = (cfg.weekly ?? []).map((w) => ({ kind: 'weekly', id: configWeeklyId(w), channelId: w.channel, title: w.title, days: w.days, start: w.start, end: w.end }));
    this.settings = {
      timeZone: deps.timeZone,
      channels: this.channels,
      rules: (cfg.rules ?? []).map((r) => ({ ...r })),
      paddingBeforeMs: (cfg.paddingBeforeS ?? DEFAULT_PADDING_BEFORE_S) * 1000,
      paddingAfterMs: (cfg.paddingAfterS ?? DEFAULT_PADDING_AFTER_S) * 1000,
    };
    this.store = new ScheduleStore(deps.db);
    this.guide = new GuideLoader({ source: cfg.xmltv, store: this.store, log: deps.log, clock: deps.clock, onGuide: () => this.runner.refresh() });
    this.clockTrust = deps.clockTrust ?? new ClockTrustWatch({ log: deps.log });
    this.runner = new ScheduleRunner({
      timers: deps.timers ?? realTimers(deps.clock),
      recorder: deps.recorder ?? this.logOnlyRecorder(),
      clock: this.clockTrust,
      plan: planFrom(this, () => this.settings),
      onEvent: (e) => this.heard(e),
    });
  }

  async start(): Promise<void> {
    await this.clockTrust.start?.();
    await this.guide.start();
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.guide.stop();
    await this.clockTrust.stop?.();
  }

  // ---- ScheduleBook: what planning reads ----

  entries(): readonly ScheduleEntry[] {
    return [...this.configWeekly, ...this.store.entries()];
  }

  skips(): ReadonlySet<string> {
    return this.store.skips(this.deps.clock());
  }

  programmes() {
    return this.guide.programmes();
  }

  // ---- the API ----

  view(): ScheduleView {
    const now = this.deps.clock();
    const status = this.runner.status();
    const recording = new Set(status.recording);
    const waiting = new Set(status.waitingForClock);
    const firstSeen = new Map(this.store.conflicts(now).map((c) => [c.id, c.firstSeenAt]));
    const jobs = (status.plan?.jobs ?? []).filter((j) => j.endAt > now);
    return {
      now,
      timeZone: this.deps.timeZone,
      clock: { trusted: status.clockTrusted },
      jobs: jobs.map((j) => ({ ...this.jobView(j), state: recording.has(j.id) ? 'recording' : waiting.has(j.id) ? 'waiting_for_clock' : 'scheduled' })),
      conflicts: (status.plan?.conflicts ?? []).filter((c) => c.dropped.endAt > now).map((c) => this.conflictView(c, firstSeen.get(c.id) ?? status.plan!.at)),
      entries: [...this.configWeekly.map((e) => this.entryView(e, true)), ...this.store.entries().map((e) => this.entryView(e, false))],
      guide: this.guideView(),
    };
  }

  add(req: ScheduleEntryRequest, account: string | undefined): ScheduleAdded {
    const now = this.deps.clock();
    const entry = this.store.addEntry(entryFromRequest(req, randomUUID().slice(0, 8), now, this.channels), now, account);
    this.deps.log.info({ event: 'recording.schedule_added', id: entry.id, kind: entry.kind, channel: entry.channelId, title: entry.title, account: account ?? null }, 'schedule entry added');
    this.runner.refresh();
    const plan = this.runner.status().plan;
    const mine = (j: { readonly parts: readonly string[] }): boolean => j.parts.some((p) => p === `manual:${entry.id}` || p === `now:${entry.id}` || p.startsWith(`weekly:${entry.id}:`));
    return {
      entry: this.entryView(entry, false),
      jobs: this.view().jobs.filter(mine),
      conflicts: (plan?.conflicts ?? []).filter((c) => mine(c.kept) || mine(c.dropped)).map((c) => this.conflictView(c, now)),
    };
  }

  /**
   * "Record now" of POST /recordings/now: a `now` entry as POST /recordings/schedule {kind:"now"} adds it (kept across
   * restarts, planned with the same conflict check), which must start recording at once. Answers the job id the
   * recorder records it under. Refused with 409, and the entry taken back, when it cannot start now: the plan drops
   * it for a conflict on its input, merges it into a job that records that channel already, or holds it for a clock
   * not trusted yet, or the recorder refuses it.
   */
  recordNow(req: { readonly channelId: string; readonly minutes: number; readonly title: string }, account: string | undefined): string {
    const added = this.add({ kind: 'now', channel: req.channelId, minutes: req.minutes, title: req.title }, account);
    const jobId = `now:${added.entry.id}`;
    const refuse = (why: string): never => {
      this.store.deleteEntry(added.entry.id);
      this.runner.refresh();
      this.refusals.delete(jobId);
      this.deps.log.warn({ event: 'recording.record_now_refused', id: added.entry.id, channel: req.channelId, why, account: account ?? null }, 'record now refused');
      throw new ScheduleRequestError(409, why);
    };
    const lost = added.conflicts.find((c) => c.dropped.parts.includes(jobId));
    if (lost !== undefined) {
      refuse(`channel ${req.channelId} needs the input ${lost.sourceKey}, which ${lost.kept.title} (${lost.kept.channelId}) has until ${new Date(lost.to).toISOString()}`);
    }
    const job = added.jobs.find((j) => j.parts.includes(jobId));
    if (job === undefined) return refuse(`the schedule did not plan it (${added.conflicts.length} conflicts)`);
    if (job.id !== jobId) return refuse(`channel ${req.channelId} is being recorded by ${job.id} (${job.title}) until ${job.endIso}`);
    if (job.state === 'waiting_for_clock') return refuse('the clock is not trusted yet (no time sync): the schedule holds recordings until it is');
    const refusal = this.refusals.get(jobId);
    if (refusal !== undefined || job.state !== 'recording') return refuse(refusal ?? `it did not start (${job.state})`);
    return jobId;
  }

  /** Deletes an entry added through the API, or cancels one planned job (or conflict-dropped job); undefined: no such id. */
  remove(id: string, account: string | undefined): ScheduleDeleted | undefined {
    const now = this.deps.clock();
    if (this.configWeekly.some((e) => e.id === id)) {
      throw new ScheduleRequestError(409, `${id} comes from recording.weekly in the config file: change it there, or DELETE one of its jobs`, 'id');
    }
    let result: ScheduleDeleted | undefined;
    if (this.store.deleteEntry(id)) result = { id, deleted: 'entry' };
    else if (this.skipJob(id, now, account)) result = { id, deleted: 'job' };
    else return undefined;
    this.deps.log.info({ event: 'recording.schedule_deleted', id, deleted: result.deleted, account: account ?? null }, 'schedule entry deleted');
    this.runner.refresh();
    return result;
  }

  /**
   * The recording of job `jobId` was deleted (DELETE /recordings/{id}, or the media quota): the job is cancelled as
   * DELETE /recordings/schedule/{jobId} cancels it (a skip of every part, kept across restarts), so neither the runner
   * nor the next start of the daemon records it again while its window is still open. False when the plan holds no such
   * job (its window is over, or it was cancelled already): nothing to do.
   */
  cancelJob(jobId: string, account: string | undefined): boolean {
    if (!this.skipJob(jobId, this.deps.clock(), account)) return false;
    this.deps.log.info({ event: 'recording.job_cancelled', id: jobId, account: account ?? null }, 'scheduled job cancelled: its recording was deleted');
    this.runner.refresh();
    return true;
  }

  /** Skips the planned (or conflict-dropped) job `id`, or the one part `id` of a merged job; false if none is planned. */
  private skipJob(id: string, now: number, account: string | undefined): boolean {
    const plan = this.runner.status().plan;
    const job = [...(plan?.jobs ?? []), ...(plan?.conflicts ?? []).map((c) => c.dropped)].find((j) => j.id === id || j.parts.includes(id));
    if (job === undefined) return false;
    // Cancelling a merged job cancels every part of it; one part named alone goes by itself.
    for (const part of job.id === id ? job.parts : [id]) this.store.skip(part, job.endAt + 24 * 3_600_000, now, account);
    return true;
  }

  // ---- views ----

  private jobView(j: PlannedJob): Omit<ScheduledJobView, 'state'> {
    return {
      id: j.id,
      channelId: j.channelId,
      channelName: this.channelNames.get(j.channelId) ?? j.channelId,
      title: j.title,
      startAt: j.startAt,
      endAt: j.endAt,
      startIso: new Date(j.startAt).toISOString(),
      endIso: new Date(j.endAt).toISOString(),
      origin: j.origin,
      parts: [...j.parts],
    };
  }

  private conflictView(c: Conflict, firstSeenAt: number): ScheduleConflictView {
    return { id: c.id, sourceKey: c.sourceKey, kept: this.jobView(c.kept), dropped: this.jobView(c.dropped), from: c.from, to: c.to, firstSeenAt };
  }

  private entryView(e: ScheduleEntry | StoredEntry, fromConfig: boolean): ScheduleEntryView {
    const who = 'createdAt' in e ? { createdAt: e.createdAt, ...(e.account === undefined ? {} : { account: e.account }) } : {};
    const when = e.kind === 'weekly' ? { days: [...e.days], start: e.start, end: e.end } : { startAt: e.startAt, endAt: e.endAt };
    return { id: e.id, kind: e.kind, channelId: e.channelId, title: e.title, ...when, fromConfig, ...who };
  }

  private guideView(): ScheduleView['guide'] {
    const source = this.deps.config?.xmltv;
    const g = this.store.guide();
    const state = g?.error !== undefined ? 'error' : g?.loadedAt !== undefined ? 'ok' : 'none';
    return {
      configured: source !== undefined,
      ...(source === undefined ? {} : { source: guideSourceName(source) }),
      state,
      ...(g?.source === undefined ? {} : { keptSource: g.source }),
      ...(g?.loadedAt === undefined ? {} : { loadedAt: g.loadedAt }),
      ...(g?.programmes === undefined ? {} : { programmes: g.programmes }),
      ...(g?.attemptedAt === undefined ? {} : { attemptedAt: g.attemptedAt }),
      ...(g?.error === undefined ? {} : { error: g.error }),
    };
  }

  // ---- what the runner tells ----

  private heard(e: RunnerEvent): void {
    const log = this.deps.log;
    switch (e.type) {
      case 'planned': {
        this.refusals.clear();
        this.store.prune(e.plan.at);
        this.store.noteConflicts(e.plan.conflicts, e.plan.at);
        for (const c of e.plan.conflicts) {
          if (this.conflictsLogged.has(c.id)) continue;
          this.conflictsLogged.add(c.id);
          log.warn(
            { event: 'recording.conflict', id: c.id, input: c.sourceKey, kept: c.kept.id, keptChannel: c.kept.channelId, dropped: c.dropped.id, droppedChannel: c.dropped.channelId, from: c.from, to: c.to },
            `recording conflict: ${c.dropped.title} (${c.dropped.channelId}) needs the input ${c.kept.title} (${c.kept.channelId}) has; it will not be recorded`,
          );
        }
        break;
      }
      case 'job_started':
        log.info({ event: 'recording.job_due', id: e.job.id, channel: e.job.channelId, title: e.job.title, startAt: e.job.startAt, endAt: e.job.endAt, ...(e.gap === undefined ? {} : { gap: e.gap }) }, 'scheduled recording starts');
        break;
      case 'job_stopped':
        log.info({ event: 'recording.job_over', id: e.jobId, reason: e.reason }, 'scheduled recording stops');
        break;
      case 'waiting_for_clock':
        log.warn({ event: 'recording.waiting_for_clock', id: e.jobId }, 'a recording is due but the clock is not trusted yet');
        break;
      case 'clock':
        log.info({ event: 'recording.schedule_clock', trusted: e.trusted, ...(e.spell === undefined ? {} : { untrustedFrom: e.spell.from, untrustedTo: e.spell.to }) }, 'clock trust changed');
        break;
      case 'recorder_failed':
        if (e.action === 'start') this.refusals.set(e.jobId, e.error);
        log.error({ event: 'recording.recorder_refused', id: e.jobId, action: e.action, err: e.error }, `the recorder could not ${e.action} a scheduled recording`);
        break;
    }
  }

  private logOnlyRecorder(): JobRecorder {
    return {
      startJob: (job) => this.deps.log.warn({ event: 'recording.no_recorder', id: job.id }, 'a recording is due but no recorder is wired'),
      stopJob: () => undefined,
    };
  }
}

export { ScheduleRequestError } from './entry-checks.js';
