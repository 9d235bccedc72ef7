/**
 * The recordings module of the daemon: the recorder (broadcast/recording/recorder.ts) on the box's database and data
 * folder, with the config's channels. Started, it resumes what a restart interrupted; stopped, it stops every ffmpeg
 * cleanly and leaves the recordings to resume at the next start. The API routes, the live events, the schedule
 * (`startJob`/`stopJob`) and the media quota (`list`, `delete`, `pinned`) all come through here.
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

export class RecordingsModule implements Module {
  readonly name = 'recordings';
  readonly recorder: Recorder;
  /** `recording` live events for `GET /api/v1/events`. */
  readonly events$: Observable<LiveEvent>;
  private readonly byId: ReadonlyMap<string, Channel>;

  constructor(private readonly deps: RecordingsModuleDeps) {
    const cfg = deps.config;
    this.byId = new Map((cfg?.channels ?? []).map((c) => [c.id, toChannel(c)]));
    this.recorder = new Recorder({
      rootDir: cfg?.dir ?? join(deps.dataDir, 'recordings'),
      channel: (id) => this.byId.get(id),
      store: new SqliteRecordingStore(deps.db),
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

  /** "Record now": from now for `minutes`; the job id names the channel and the start. */
  recordNow(req: RecordNowRequest, account?: string): RecordingInfo {
    const channel = this.byId.get(req.channelId);
    if (channel === undefined) throw new RecorderError('unknown_channel', `no channel ${req.channelId} in recording.channels`);
    const now = this.deps.clock();
    const job: RecordingJob = {
      id: `now-${channel.id}-${now}`,
      channelId: channel.id,
      title: req.title ?? `${channel.name} ${localTime(now, this.deps.timeZone)}`,
      startAt: now,
      endAt: now + req.minutes * 60_000,
      origin: 'now',
    };
    const info = this.recorder.start(job);
    this.deps.log.info({ event: 'recording.record_now', id: job.id, channel: channel.id, minutes: req.minutes, account: account ?? null }, 'record now');
    return info;
  }

  stopRecording(id: string): Promise<RecordingInfo> {
    return this.recorder.stop(id);
  }

  setPinned(id: string, pinned: boolean): RecordingInfo {
    return this.recorder.setPinned(id, pinned);
  }

  delete(id: string): Promise<boolean> {
    return this.recorder.delete(id);
  }

  /** The schedule runner's recorder port (broadcast/recording/schedule/ports.ts `JobRecorder`). */
  startJob(job: RecordingJob, gap?: RecordingGap): void {
    this.recorder.start(job, gap);
  }

  async stopJob(jobId: string): Promise<void> {
    await this.recorder.stop(jobId);
  }
}

function toChannel(c: NonNullable<RecordingConfig>['channels'][number]): Channel {
  return { id: c.id, name: c.name, source: c.source, ...(c.xmltvId === undefined ? {} : { xmltvId: c.xmltvId }) };
}

function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('zh-CN', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(ms);
}
