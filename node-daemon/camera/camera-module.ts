import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import type { CameraError } from '../../drivers/camera/errors.js';
import { takeSnapshot as realTakeSnapshot, type Snapshot, type SnapshotRequest } from '../../drivers/camera/snapshot.js';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import type { AlarmEvent, EventHub } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import type { CameraHealth } from '../http/schemas/cameras.js';
import type { ImagesPort } from '../media/media-quota.js';
import type { CameraConfig } from './config-schema.js';
import { ImageStore, type AlarmImage, type CameraImage } from './image-store.js';
import { CameraWorker } from './camera-worker.js';
import { nextScheduledAt, photographsTransition, planAlarmPictures, retentionCutoffs } from './snapshot-plan.js';

export interface CameraModuleOptions {
  readonly cameras: readonly CameraConfig[];
  readonly db: Db;
  readonly dataDir: string;
  readonly hub: Pick<EventHub, 'alarm$'>;
  readonly alarms: Pick<AlarmService, 'raise' | 'clear' | 'active'>;
  readonly log: Logger;
  readonly clock: Clock;
  /** The driver (tests give their own). */
  readonly takeSnapshot?: (r: SnapshotRequest) => Promise<Snapshot>;
  /** After each picture kept (the county sync's picture upload wakes). */
  readonly onPicture?: () => void;
  /** How often old pictures are removed (default hourly). */
  readonly retentionIntervalMs?: number;
}

const DEFAULT_KEEP_DAYS = 14;
const DEFAULT_KEEP_ALARM_DAYS = 365;

/** The fault alarm of a camera that failed `faultAfterFailures` pictures in a row. */
export const cameraFaultKey = (id: string): string => `fault:camera:${id}`;

/**
 * Cameras that photograph the alarm sites (config `cameras`): on a schedule, and at the flood, manual and county alarm
 * transitions of their site ("before": the latest scheduled picture when recent; one at once; one `afterDelayS`
 * later). Pictures go to `<data>/cameras` with a row each (ImageStore), are removed after `keepDays`/`keepAlarmDays`,
 * and count in the one media quota (`imagesPort`). A camera that hangs or sends garbage is killed at its timeout,
 * logged, shown failed in health and, after `faultAfterFailures` in a row, raises `fault:camera:<id>`. The alarm
 * listener only queues work for a later turn of the event loop: no camera ever holds up an alarm.
 */
export class CameraModule implements Module {
  readonly name = 'cameras';
  readonly store: ImageStore;
  private readonly workers = new Map<string, CameraWorker>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lastScheduledAttempt = new Map<string, number>();
  private subscription: Subscription | undefined;
  private stopped = true;

  constructor(private readonly opts: CameraModuleOptions) {
    this.store = new ImageStore(opts.db);
    for (const camera of opts.cameras) {
      this.workers.set(
        camera.id,
        new CameraWorker({
          camera,
          dataDir: opts.dataDir,
          store: this.store,
          log: opts.log,
          clock: opts.clock,
          takeSnapshot: opts.takeSnapshot ?? realTakeSnapshot,
          onResult: (ok, failures, err) => {
            this.faultAlarm(camera, ok, failures, err);
            if (ok) opts.onPicture?.();
          },
        }),
      );
    }
  }

  get dir(): string {
    return join(this.opts.dataDir, 'cameras');
  }

  async start(): Promise<void> {
    this.stopped = false;
    await mkdir(this.dir, { recursive: true });
    await this.dropMissing();
    const open = new Set(this.opts.alarms.active().map((a) => a.key));
    for (const w of this.workers.values()) w.setFaultOpen(open.has(cameraFaultKey(w.id)));
    this.subscription = this.opts.hub.alarm$.subscribe((e) => this.onAlarm(e));
    for (const camera of this.opts.cameras) this.schedule(camera);
    this.retention();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }

  health(): CameraHealth[] {
    return [...this.workers.values()].map((w) => w.health());
  }

  camerasOfSite(site: string): CameraConfig[] {
    return this.opts.cameras.filter((c) => c.site === site);
  }

  cameraName(id: string): string | undefined {
    return this.opts.cameras.find((c) => c.id === id)?.name;
  }

  imagesOfSite(site: string, limit: number, before?: number): CameraImage[] {
    return this.store.ofSite(site, limit, before);
  }

  imagesOfAlarm(alarmId: number): AlarmImage[] {
    return this.store.ofAlarm(alarmId);
  }

  /** A picture's files (absolute), or undefined. */
  files(id: number): { file: string; thumbFile: string } | undefined {
    const i = this.store.get(id);
    return i === undefined ? undefined : { file: join(this.opts.dataDir, i.file), thumbFile: join(this.opts.dataDir, i.thumbFile) };
  }

  cameraIds(): string[] {
    return this.opts.cameras.map((c) => c.id);
  }

  /** Takes a picture now (POST /cameras/{id}/picture); false when the camera's queue is full of alarm pictures. */
  takeNow(cameraId: string): boolean {
    return this.workers.get(cameraId)?.request({ cause: 'schedule' }) ?? false;
  }

  /** Resolves once no camera has a picture waiting or being taken (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
  }

  /** The media quota's view of the pictures. */
  imagesPort(): ImagesPort {
    return {
      dir: this.dir,
      evictable: () => this.store.all().map((i) => ({ id: i.id, at: i.ts, bytes: i.bytes + i.thumbBytes, file: i.file, alarm: i.linked })),
      delete: async (id) => this.remove(id, 'quota'),
    };
  }

  /** Removes pictures past their keeping; answers how many went. */
  async removeExpired(): Promise<number> {
    const now = this.opts.clock();
    const expired = this.opts.cameras.flatMap((c) => {
      const cut = retentionCutoffs(now, c.keepDays, c.keepAlarmDays);
      return this.store.expired(cut.schedule, cut.alarm, c.id);
    });
    // Pictures of a camera no longer in the config keep the default days.
    const configured = new Set(this.opts.cameras.map((c) => c.id));
    const cut = retentionCutoffs(now, DEFAULT_KEEP_DAYS, DEFAULT_KEEP_ALARM_DAYS);
    expired.push(...this.store.expired(cut.schedule, cut.alarm).filter((i) => !configured.has(i.cameraId)));
    for (const image of expired) await this.remove(image.id, 'retention');
    return expired.length;
  }

  /**
   * Rows whose picture and thumbnail are both gone (a box restored from a backup, which carries the database but not
   * the pictures; a card swapped): dropped at start, so that the site page lists no broken pictures and the county
   * sync does not try to send them.
   */
  private async dropMissing(): Promise<void> {
    const there = async (rel: string): Promise<boolean> => access(join(this.opts.dataDir, rel)).then(
      () => true,
      () => false,
    );
    const gone: number[] = [];
    for (const image of this.store.all()) if (!(await there(image.file)) && !(await there(image.thumbFile))) gone.push(image.id);
    for (const id of gone) this.store.delete(id);
    if (gone.length > 0) this.opts.log.warn({ event: 'camera.pictures_missing', count: gone.length }, `${gone.length} camera pictures listed in the database have no files (restored from a backup?): dropped`);
  }

  private async remove(id: number, why: 'retention' | 'quota'): Promise<void> {
    const image = this.store.get(id);
    if (image === undefined) return;
    // Files first: a row without its file would be listed with a broken picture; a file without a row is only bytes.
    await rm(join(this.opts.dataDir, image.file), { force: true });
    await rm(join(this.opts.dataDir, image.thumbFile), { force: true });
    this.store.delete(id);
    this.opts.log.info({ event: 'camera.picture_removed', camera: image.cameraId, id, ts: image.ts, why }, `camera picture ${id} removed (${why})`);
  }

  private schedule(camera: CameraConfig): void {
    if (this.stopped) return;
    const now = this.opts.clock();
    const last = this.lastScheduledAttempt.get(camera.id) ?? this.store.latestScheduled(camera.id)?.ts;
    const at = nextScheduledAt(last, camera.intervalMin * 60_000, now);
    const worker = this.workers.get(camera.id);
    worker?.setNextScheduled(at);
    if (at === undefined || worker === undefined) return;
    this.later(at - now, () => {
      this.lastScheduledAttempt.set(camera.id, this.opts.clock());
      worker.request({ cause: 'schedule' });
      this.schedule(camera);
    });
  }

  private retention(): void {
    if (this.stopped) return;
    void this.removeExpired()
      .catch((err: unknown) => this.opts.log.error({ event: 'camera.retention_failed', err: String(err) }, 'removing old camera pictures failed'))
      .finally(() => this.later(this.opts.retentionIntervalMs ?? 3_600_000, () => this.retention()));
  }

  /** Called inside the alarm service's emit: it only queues work for later, so the alarm goes on at once. */
  private onAlarm(e: AlarmEvent): void {
    if (this.stopped) return;
    const cameras = this.opts.cameras.filter((c) => c.onAlarm && photographsTransition(c.site, e.alarm, e.transition));
    if (cameras.length === 0) return;
    setImmediate(() => {
      for (const camera of cameras) {
        try {
          this.picturesForTransition(camera, e);
        } catch (err) {
          this.opts.log.error({ event: 'camera.alarm_failed', camera: camera.id, alarmId: e.alarm.id, err: String(err) }, 'could not plan the pictures of an alarm');
        }
      }
    });
  }

  private picturesForTransition(camera: CameraConfig, e: AlarmEvent): void {
    const worker = this.workers.get(camera.id);
    if (worker === undefined || this.stopped) return;
    const now = this.opts.clock();
    const latest = this.store.latestScheduled(camera.id);
    const plan = planAlarmPictures({
      now,
      ...(latest === undefined ? {} : { latestScheduled: { id: latest.id, ts: latest.ts } }),
      intervalMs: camera.intervalMin * 60_000,
      timeoutMs: camera.timeoutS * 1000,
      afterDelayMs: camera.afterDelayS * 1000,
    });
    const ids = { alarmId: e.alarm.id, transitionId: e.transition.id };
    if (plan.beforeImageId !== undefined) this.store.link(plan.beforeImageId, ids.alarmId, ids.transitionId, 'before');
    worker.request({ cause: 'alarm', alarm: { ...ids, role: 'at' } });
    if (plan.afterAt !== undefined) this.later(plan.afterAt - now, () => worker.request({ cause: 'alarm', alarm: { ...ids, role: 'after' } }));
    this.opts.log.info({ event: 'camera.alarm_pictures', camera: camera.id, alarmId: ids.alarmId, transition: e.transition.type, before: plan.beforeImageId, afterAt: plan.afterAt }, `camera ${camera.id}: pictures for alarm ${ids.alarmId}`);
  }

  private faultAlarm(camera: CameraConfig, ok: boolean, failures: number, err?: CameraError): void {
    const worker = this.workers.get(camera.id);
    if (worker === undefined || this.stopped) return;
    const key = cameraFaultKey(camera.id);
    const open = worker.health().faultOpen;
    try {
      if (!ok && !open && camera.faultAfterFailures > 0 && failures >= camera.faultAfterFailures) {
        this.opts.alarms.raise({
          key,
          kind: 'fault',
          level: null,
          drill: false,
          title: `摄像头 ${camera.name ?? camera.id} 无法拍照 Camera ${camera.id} failing`,
          cause: { rule: 'cameras.faultAfterFailures', detail: `${failures} pictures failed in a row; last: ${err?.code ?? '?'}: ${err?.message ?? ''}` },
        });
        worker.setFaultOpen(true);
      } else if (ok && open) {
        this.opts.alarms.clear({ key }, { rule: 'cameras.faultAfterFailures', detail: 'a picture was taken again' });
        worker.setFaultOpen(false);
      }
    } catch (e) {
      this.opts.log.error({ event: 'camera.fault_not_recorded', camera: camera.id, err: String(e) }, 'could not record the camera fault alarm');
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }
}
