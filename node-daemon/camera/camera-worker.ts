import { join } from 'node:path';
import { CameraError, type CameraErrorCode } from '../../drivers/camera/errors.js';
import type { CameraSource, Snapshot, SnapshotRequest } from '../../drivers/camera/snapshot.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/types.js';
import type { CameraHealth } from '../http/schemas/cameras.js';
import type { CameraConfig } from './config-schema.js';
import type { AlarmRole, CameraImage, ImageStore } from './image-store.js';
import { pictureFiles, queueDrop } from './snapshot-plan.js';

/** One picture asked of a camera. */
export interface PictureJob {
  readonly cause: 'schedule' | 'alarm';
  /** For an alarm's picture: the transition it is for, and its role (`at` or `after`). */
  readonly alarm?: { readonly alarmId: number; readonly transitionId: number; readonly role: Exclude<AlarmRole, 'before'> };
}

export interface CameraWorkerOptions {
  readonly camera: CameraConfig;
  readonly dataDir: string;
  readonly store: ImageStore;
  readonly log: Logger;
  readonly clock: Clock;
  readonly takeSnapshot: (r: SnapshotRequest) => Promise<Snapshot>;
  /** After each picture: ok, or the failure (the module raises and clears the fault alarm). */
  readonly onResult: (ok: boolean, consecutiveFailures: number, error?: CameraError) => void;
  /** Largest number of waiting pictures (default 4). */
  readonly maxQueue?: number;
}

/**
 * One camera's pictures, one ffmpeg at a time: a bounded queue (a scheduled picture is dropped first when it is full),
 * each picture taken with the camera's hard timeout, stored as files and a row, and the camera's health kept (last
 * picture, last error, failures in a row). `request` only queues: it never waits for a camera, so the alarm path that
 * calls it is never held up; the picture starts on a later turn of the event loop.
 */
export class CameraWorker {
  private readonly queue: PictureJob[] = [];
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private stopped = false;
  private n = 0;
  private lastOkAt: number | undefined;
  private lastError: { ts: number; code: CameraErrorCode; message: string } | undefined;
  private failures = 0;
  private faultOpen = false;
  private nextScheduled: number | undefined;
  private busy = false;

  constructor(private readonly opts: CameraWorkerOptions) {}

  get id(): string {
    return this.opts.camera.id;
  }

  /** Queues a picture; false when it was dropped (queue full of pictures that matter more, or stopping). */
  request(job: PictureJob): boolean {
    if (this.stopped) return false;
    const drop = queueDrop(this.queue, job, this.opts.maxQueue ?? 4);
    if (drop === 'next') {
      this.opts.log.warn({ event: 'camera.queue_full', camera: this.id, cause: job.cause }, `camera ${this.id}: busy, scheduled picture skipped`);
      return false;
    }
    if (drop !== undefined) {
      const [gone] = this.queue.splice(drop, 1);
      this.opts.log.warn({ event: 'camera.queue_full', camera: this.id, dropped: gone?.cause }, `camera ${this.id}: queue full, a waiting picture dropped`);
    }
    this.queue.push(job);
    if (this.running === undefined) this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    return true;
  }

  setFaultOpen(open: boolean): void {
    this.faultOpen = open;
  }

  setNextScheduled(at: number | undefined): void {
    this.nextScheduled = at;
  }

  /** Ends a picture being taken (ffmpeg killed) and forgets the waiting ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.abort.abort();
    await this.running;
  }

  /** Resolves once the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  health(): CameraHealth {
    const c = this.opts.camera;
    return {
      id: c.id,
      ...(c.name === undefined ? {} : { name: c.name }),
      site: c.site,
      source: c.source.rtsp !== undefined ? 'rtsp' : 'snapshotUrl',
      state: this.lastError === undefined && this.lastOkAt === undefined ? 'unknown' : this.failures > 0 ? 'failed' : 'ok',
      ...(this.lastOkAt === undefined ? {} : { lastOkAt: this.lastOkAt }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      consecutiveFailures: this.failures,
      faultOpen: this.faultOpen,
      busy: this.busy,
      queued: this.queue.length,
      ...(this.nextScheduled === undefined ? {} : { nextScheduledAt: this.nextScheduled }),
    };
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.queue.shift(); job !== undefined && !this.stopped; job = this.queue.shift()) {
        this.busy = true;
        await this.take(job);
        this.busy = false;
      }
    } finally {
      this.busy = false;
      this.running = undefined;
    }
  }

  private async take(job: PictureJob): Promise<void> {
    const c = this.opts.camera;
    const ts = this.opts.clock();
    const files = pictureFiles(c.id, ts, ++this.n);
    const source: CameraSource = c.source.rtsp !== undefined ? { rtsp: c.source.rtsp } : { snapshotUrl: c.source.snapshotUrl ?? '' };
    const started = Date.now();
    try {
      const shot = await this.opts.takeSnapshot({
        source,
        output: join(this.opts.dataDir, files.file),
        thumbnail: join(this.opts.dataDir, files.thumbFile),
        timeoutMs: c.timeoutS * 1000,
        signal: this.abort.signal,
      });
      if (this.stopped) return;
      const image: CameraImage = this.opts.store.add(
        {
          cameraId: c.id,
          siteId: c.site,
          ts,
          cause: job.cause,
          alarmId: job.alarm?.alarmId ?? null,
          transitionId: job.alarm?.transitionId ?? null,
          file: files.file,
          thumbFile: files.thumbFile,
          bytes: shot.bytes,
          thumbBytes: shot.thumbBytes,
        },
        job.alarm?.role,
      );
      this.lastOkAt = ts;
      this.failures = 0;
      this.opts.log.info({ event: 'camera.picture', camera: c.id, site: c.site, id: image.id, cause: job.cause, role: job.alarm?.role, alarmId: job.alarm?.alarmId, bytes: shot.bytes, ms: Date.now() - started }, `camera ${c.id}: picture taken`);
      this.opts.onResult(true, 0);
    } catch (err) {
      if (this.stopped) return;
      const e = err instanceof CameraError ? err : new CameraError('ffmpeg-failed', String(err));
      this.failures += 1;
      this.lastError = { ts, code: e.code, message: e.message };
      this.opts.log.warn(
        { event: 'camera.picture_failed', camera: c.id, site: c.site, cause: job.cause, code: e.code, err: e.message, stderr: e.stderrTail, failures: this.failures, ms: Date.now() - started },
        `camera ${c.id}: picture failed (${e.code})`,
      );
      this.opts.onResult(false, this.failures, e);
    }
  }
}
