/**
 * The recordings module of the daemon: the recorder (broadcast/recording/recorder.ts) on the box's database and data
 * folder, with the config's channels. Started, it resumes what a restart interrupted; stopped, it stops every ffmpeg
 * cleanly and leaves the recordings to resume at the next start. The API routes, the live events, the schedule
 * (`startJob`/`stopJob`) and the media quota (`list`, `delete`, `dropSegments`, `dirOf`) all come through here.
 */
import { join } from 'node:path';
import { map, type Observable } from 'rxjs';
import { Recorder } from '../../broadcast/recording/recorder.js';
import { RecorderError, type LiveProgress, type RecordingInfo } from '../../broadcast/recording/recording-types.js';
import type { Channel, RecordingGap, RecordingJob } from '../../broadcast/recording/types.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import type { LiveEvent } from '../http/routes/events.js';
import type { RecordingConfig } from './config-schema.js';
import { ScheduleRequestError } from '../recording-schedule/entry-checks.js';
import { SqliteRecordingStore } from './recording-store.js';
import { recordingEventView } from './recording-view.js';

export interface RecordingsModuleDeps {
  readonly db: Db;
  readonly dataDir: string;
  /** The `recording` section; without it no channel can be recorded (old recordings stay listed and playable). */
  readonly config: RecordingConfig | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly timeZone: string;
}

export interface RecordNowRequest {
  readonly channelId: string;
  readonly minutes: number;
  readonly title?: string | undefined;
}

/** What record now and delete need of the recording schedule (node-daemon/recording-schedule/schedule-module.ts is one). */
export interface RecordNowBook {
  /** Adds a `now` entry that starts at once; answers its job id, or throws ScheduleRequestError (400 or 409). */
  recordNow(req: { readonly channelId: string; readonly minutes: number; readonly title: string }, account: string | undefined): string;
  /** Cancels the planned job `jobId` for good (its recording was deleted); false when none is planned. */
  cancelJob(jobId: string, account: string | undefined): boolean;
}

/** Where recordings live: `recording.dir`, else `<data>/recordings` (the disk quota measures the same folder). */
export function recordingsRoot(cfg: { readonly dir?: string | undefined } | undefined, dataDir: string): string {
  return cfg?.dir ?? join(dataDir, 'recordings');
}

export class RecordingsModule implements Module {
  readonly name = 'recordings';
  readonly recorder: Recorder;
  /** `recording` live events for `GET /api/v1/events`. */
  readonly events$: Observable<LiveEvent>;
  private readonly byId: ReadonlyMap<string, Channel>;
  private schedule: RecordNowBook | undefined;

  constructor(private readonly deps: RecordingsModuleDeps) {
    const cfg = deps.config;
    this.byId = new Map((cfg?.channels ?? []).map((c) => [c.id, toChannel(c)]));
    this.recorder = new Recorder({
      rootDir: recordingsRoot(cfg, deps.dataDir),
      channel: (id) => this.byId.get(id),
      store: new SqliteRecordingStore(deps.db, { channelName: (id) => this.byId.get(id)?.name, clock: deps.clock }),
      clock: deps.clock,
      log: deps.log,
      segmentSeconds: cfg?.segmentSeconds ?? 60,
      stallSeconds: cfg?.stallSeconds ?? 10,
    });
    this.events$ = this.recorder.events$.pipe(map((e) => ({ event: 'recording', data: recordingEventView(e, (id) => this.byId.get(id)?.name) })));
  }

  async start(): Promise<void> {
    await this.recorder.resumeAll();
  }

  async stop(): Promise<void> {
    await this.recorder.shutdown();
  }

  channels(): Channel[] {
    return [...this.byId.values()];
  }

  channelName(id: string): string | undefined {
    return this.byId.get(id)?.name;
  }

  list(): RecordingInfo[] {
    return this.recorder.list();
  }

  get(id: string): RecordingInfo | undefined {
    return this.recorder.get(id);
  }

  live(id: string): LiveProgress | undefined {
    return this.recorder.live(id);
  }

  /**
   * "Record now" (POST /recordings/now): from now for `minutes`, through the schedule (`useSchedule`): the same entry
   * as the schedule's own record now, so it is checked for conflicts and kept across restarts. Answers the recording
   * the schedule started; RecorderError `unknown_channel` (400) or `channel_busy` (409) when it cannot start.
   */
  recordNow(req: RecordNowRequest, account?: string): RecordingInfo {
    const channel = this.byId.get(req.channelId);
    if (channel === undefined) throw new RecorderError('unknown_channel', `no channel ${req.channelId} in recording.channels`);
    if (this.schedule === undefined) throw new Error('record now needs the recording schedule (compose.ts: recordings.useSchedule)');
    const title = req.title ?? `${channel.name} ${localTime(this.deps.clock(), this.deps.timeZone)}`;
    let jobId: string;
    try {
      jobId = this.schedule.recordNow({ channelId: channel.id, minutes: req.minutes, title }, account);
    } catch (err) {
      if (err instanceof ScheduleRequestError) throw new RecorderError(err.status === 400 ? 'unknown_channel' : 'channel_busy', err.message);
      throw err;
    }
    const info = this.recorder.get(jobId);
    if (info === undefined) throw new Error(`the schedule started ${jobId} but the recorder has no recording of it`);
    this.deps.log.info({ event: 'recording.record_now', id: jobId, channel: channel.id, minutes: req.minutes, account: account ?? null }, 'record now');
    return info;
  }

  /** Where record now goes (the recording schedule, built after this module because it drives it). */
  useSchedule(schedule: RecordNowBook): void {
    this.schedule = schedule;
  }

  stopRecording(id: string): Promise<RecordingInfo> {
    return this.recorder.stop(id);
  }

  setPinned(id: string, pinned: boolean): RecordingInfo {
    return this.recorder.setPinned(id, pinned);
  }

  /**
   * Deletes a recording (stopping it first), and cancels its job in the schedule: a recording deleted while its window
   * is open would otherwise be recorded again by the next start of the daemon (the schedule still plans the job, and
   * the recorder no longer has a row that says it was done). False if there was no such recording.
   */
  async delete(id: string, account?: string): Promise<boolean> {
    if (!(await this.recorder.delete(id))) return false;
    if (this.schedule?.cancelJob(id, account) === true) {
      this.deps.log.info({ event: 'recording.deleted_job_cancelled', id, account: account ?? null }, 'the deleted recording\'s scheduled job is cancelled');
    }
    return true;
  }

  /**
   * The media quota's first stage: drops a finished recording's original segments, keeping it playable through its
   * browser copy (Recorder.dropSegments: refused while it records or finishes, or without a copy on disk). No row
   * write, no live event, nothing for the county: the recording's metadata does not change. Answers the bytes freed.
   */
  dropSegments(id: string): Promise<number> {
    return this.recorder.dropSegments(id);
  }

  /** A recording's folder (the media quota measures it). */
  dirOf(id: string): string {
    return this.recorder.dirOf(id);
  }

  /** The schedule runner's recorder port (broadcast/recording/schedule/ports.ts `JobRecorder`). */
  startJob(job: RecordingJob, gap?: RecordingGap): void {
    try {
      this.recorder.start(job, gap);
    } catch (err) {
      // Stopped early (or deleted and finished) and planned again after a restart: it is never recorded twice.
      if (err instanceof RecorderError && err.code === 'already_done') {
        this.deps.log.info({ event: 'recording.job_done_already', id: job.id }, err.message);
        return;
      }
      throw err;
    }
  }

  async stopJob(jobId: string): Promise<void> {
    try {
      await this.recorder.stop(jobId);
    } catch (err) {
      // A job the recorder refused to start, or a recording deleted before its end: nothing to stop.
      if (!(err instanceof RecorderError && err.code === 'not_found')) throw err;
    }
  }
}

function toChannel(c: NonNullable<RecordingConfig>['channels'][number]): Channel {
  return { id: c.id, name: c.name, source: c.source, ...(c.xmltvId === undefined ? {} : { xmltvId: c.xmltvId }) };
}

function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('zh-CN', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(ms);
}
