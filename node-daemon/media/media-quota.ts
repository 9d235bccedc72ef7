import { join } from 'node:path';
import { planEviction, type ImageCandidate, type LibraryCandidate, type RecordingCandidate } from '../../broadcast/media-quota/eviction-plan.js';
import type { MediaConfig } from '../../broadcast/media-quota/media-config.js';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import { bytesUnder, deviceOf, freeSpace, nonEmptyFile, segmentBytes } from './disk-walk.js';
import type { MediaHealth } from './media-health.js';
import type { RecordingsPort } from './recordings-port.js';

/** The disk-pressure fault alarm's key: one for the box. */
export const DISK_ALARM_KEY = 'fault:disk_space';
const DISK_ALARM_TITLE = '存储空间不足，媒体已无可清理 Disk space low: no media left to evict';

/** What the quota needs of the library: the items it may evict and a way to delete one. */
export interface LibraryPort {
  evictable(): { id: number; size: number; file: string; addedAt: number; source: 'county' | 'usb' | 'operator' }[];
  delete(id: number, reason: 'quota'): unknown;
}

/** What the quota needs of the camera pictures (camera/camera-module.ts): every picture, and a way to delete one. */
export interface ImagesPort {
  /** Their folder (`<data>/cameras`), measured as one more kind of media. */
  readonly dir: string;
  evictable(): { id: number; at: number; bytes: number; file: string; alarm: boolean }[];
  delete(id: number): Promise<void>;
}

export interface MediaQuotaOptions {
  readonly dataDir: string;
  /** The recordings' folder (`recording.dir` may put it outside the data folder, on a disk of its own). */
  readonly recordingsDir: string;
  readonly config: MediaConfig;
  readonly recordings: RecordingsPort;
  readonly library: LibraryPort;
  /** Camera pictures: absent without cameras. */
  readonly images?: ImagesPort;
  readonly alarms: AlarmService;
  readonly log: Logger;
  readonly clock: Clock;
}

interface Measured {
  readonly recordingsBytes: number;
  readonly libraryBytes: number;
  readonly contentBytes: number;
  readonly imagesBytes: number;
  /** device → the first path seen on it, its free and total bytes. */
  readonly filesystems: Map<string, { path: string; freeBytes: number; totalBytes: number }>;
}

/**
 * One disk quota for recordings, the library and the county's content (`media` config). Every `checkIntervalMs` it
 * measures the media folders and the free space of every file system holding them or the database, deletes what the
 * pure plan (broadcast/media-quota/eviction-plan.ts) picks (first the original segments of finished recordings whose
 * browser copy is on disk, then whole recordings, then library items), measures again, and raises the fault alarm
 * `fault:disk_space` while the shortfall cannot be closed (pinned recordings or county content fill the space, or
 * something else fills the disk), clearing it when relieved. It never touches the database: readings and alarms
 * are not media. All file work is asynchronous, so polling and alarms run on while it walks and deletes.
 */
export class MediaQuota implements Module {
  readonly name = 'media.quota';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;
  private alarmOpen = false;
  private health: MediaHealth;
  private evicted: { count: number; bytes: number; last?: MediaHealth['evicted']['last'] } = { count: 0, bytes: 0 };

  constructor(private readonly opts: MediaQuotaOptions) {
    this.health = { ...this.policyFields(), usedBytes: 0, recordingsBytes: 0, libraryBytes: 0, contentBytes: 0, filesystems: [], pressure: false, evicted: { count: 0, bytes: 0 } };
  }

  async start(): Promise<void> {
    this.alarmOpen = this.opts.alarms.active().some((a) => a.key === DISK_ALARM_KEY);
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  status(): MediaHealth {
    return this.health;
  }

  /** One check now (the timer's work; tests and tools call it too). */
  check(): Promise<void> {
    this.running = this.running.then(() => this.checkOnce());
    return this.running;
  }

  private tick(): void {
    void this.check().finally(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.opts.config.checkIntervalMs);
    });
  }

  private policyFields(): Pick<MediaHealth, 'quotaBytes' | 'minFreeBytes'> {
    const { quotaBytes, minFreeBytes } = this.opts.config;
    return { ...(quotaBytes === undefined ? {} : { quotaBytes }), minFreeBytes };
  }

  private async checkOnce(): Promise<void> {
    const now = this.opts.clock();
    try {
      const before = await this.measure();
      const recordings = await this.recordingCandidates();
      const library = await this.libraryCandidates();
      const images = await this.imageCandidates();
      const plan = planEviction(this.opts.config, { usedBytes: used(before), freeByDevice: freeOf(before) }, recordings, library, images);
      for (const e of plan.evict) {
        try {
          if (e.kind === 'segments') await this.opts.recordings.dropSegments(e.id);
          else if (e.kind === 'recording') await this.opts.recordings.evict(e.id);
          else if (e.kind === 'image' || e.kind === 'alarm_image') await this.opts.images?.delete(Number(e.id));
          else this.opts.library.delete(Number(e.id), 'quota');
          this.evicted = { count: this.evicted.count + 1, bytes: this.evicted.bytes + e.bytes, last: { at: this.opts.clock(), kind: e.kind, id: e.id, bytes: e.bytes } };
          this.opts.log.info({ event: 'media.evicted', kind: e.kind, id: e.id, bytes: e.bytes, overQuotaBytes: plan.overQuotaBytes, shortByDevice: plan.shortByDevice }, `${e.kind} ${e.id} evicted for disk space`);
        } catch (err) {
          this.opts.log.error({ event: 'media.evict_failed', kind: e.kind, id: e.id, err: String(err) }, 'eviction failed');
        }
      }
      const after = plan.evict.length === 0 ? before : await this.measure();
      const usedAfter = used(after);
      const overQuota = this.opts.config.quotaBytes !== undefined && usedAfter > this.opts.config.quotaBytes;
      const short = [...after.filesystems.values()].filter((f) => f.freeBytes < this.opts.config.minFreeBytes);
      const pressure = overQuota || short.length > 0;
      this.health = {
        ...this.policyFields(),
        usedBytes: usedAfter,
        recordingsBytes: after.recordingsBytes,
        libraryBytes: after.libraryBytes,
        contentBytes: after.contentBytes,
        ...(this.opts.images === undefined ? {} : { imagesBytes: after.imagesBytes }),
        filesystems: [...after.filesystems.values()],
        pressure,
        lastCheckAt: now,
        evicted: { count: this.evicted.count, bytes: this.evicted.bytes, ...(this.evicted.last === undefined ? {} : { last: this.evicted.last }) },
      };
      const detail = pressure
        ? [overQuota ? `媒体 ${usedAfter} 字节超出配额 ${this.opts.config.quotaBytes} media over quota` : '', ...short.map((f) => `${f.path} 剩余 ${f.freeBytes} 字节 < ${this.opts.config.minFreeBytes} free`)].filter((s) => s !== '').join('; ')
        : `relieved: ${usedAfter} bytes of media, every file system above ${this.opts.config.minFreeBytes} free`;
      this.setAlarm(pressure, detail);
    } catch (err) {
      this.health = { ...this.health, lastCheckAt: now, lastError: { ts: now, message: String(err) } };
      this.opts.log.error({ event: 'media.check_failed', err: String(err) }, 'disk quota check failed');
    }
  }

  private setAlarm(pressure: boolean, detail: string): void {
    try {
      if (pressure && !this.alarmOpen) {
        this.opts.alarms.raise({ key: DISK_ALARM_KEY, kind: 'fault', level: null, drill: false, title: DISK_ALARM_TITLE, cause: { rule: 'media.minFreeBytes', detail } });
        this.alarmOpen = true;
        this.opts.log.warn({ event: 'media.disk_pressure', detail }, 'disk space low and nothing left to evict');
      } else if (!pressure && this.alarmOpen) {
        this.opts.alarms.clear({ key: DISK_ALARM_KEY }, { rule: 'media.minFreeBytes', detail });
        this.alarmOpen = false;
        this.opts.log.info({ event: 'media.disk_relieved', detail }, 'disk space relieved');
      }
    } catch (err) {
      this.opts.log.error({ event: 'media.alarm_not_recorded', pressure, err: String(err) }, 'could not record the disk-space alarm');
    }
  }

  private async measure(): Promise<Measured> {
    const dir = (name: string): string => join(this.opts.dataDir, name);
    const filesystems = new Map<string, { path: string; freeBytes: number; totalBytes: number }>();
    for (const path of [this.opts.dataDir, this.opts.recordingsDir, dir('library'), dir('content'), ...(this.opts.images === undefined ? [] : [this.opts.images.dir])]) {
      const dev = await deviceOf(path);
      if (dev === undefined || filesystems.has(dev)) continue;
      filesystems.set(dev, { path, ...(await freeSpace(path)) });
    }
    return {
      recordingsBytes: await bytesUnder(this.opts.recordingsDir),
      libraryBytes: await bytesUnder(dir('library')),
      contentBytes: await bytesUnder(dir('content')),
      imagesBytes: this.opts.images === undefined ? 0 : await bytesUnder(this.opts.images.dir),
      filesystems,
    };
  }

  private async recordingCandidates(): Promise<RecordingCandidate[]> {
    const out: RecordingCandidate[] = [];
    for (const r of this.opts.recordings.list()) {
      let bytes = 0;
      for (const p of r.paths) bytes += await bytesUnder(p);
      // Segments may go only while the browser copy is really there: otherwise they are the only playable form.
      const droppable = !r.pinned && !r.active && r.browserCopy !== null && (await nonEmptyFile(r.browserCopy));
      const spareBytes = droppable ? await segmentBytes(r.dir) : 0;
      out.push({ id: r.id, at: r.at, bytes, spareBytes, device: (await deviceOf(r.paths[0] ?? this.opts.dataDir)) ?? '', pinned: r.pinned, active: r.active });
    }
    return out;
  }

  private async imageCandidates(): Promise<ImageCandidate[]> {
    if (this.opts.images === undefined) return [];
    const device = (await deviceOf(this.opts.images.dir)) ?? '';
    // One folder, one file system: every picture is on the device of <data>/cameras.
    return this.opts.images.evictable().map((i) => ({ id: String(i.id), at: i.at, bytes: i.bytes, device, alarm: i.alarm }));
  }

  private async libraryCandidates(): Promise<LibraryCandidate[]> {
    if (!this.opts.config.evictLibrary) return [];
    const out: LibraryCandidate[] = [];
    for (const l of this.opts.library.evictable()) {
      out.push({ id: String(l.id), at: l.addedAt, bytes: l.size, device: (await deviceOf(join(this.opts.dataDir, ...l.file.split('/')))) ?? '', source: l.source });
    }
    return out;
  }
}

const used = (m: Measured): number => m.recordingsBytes + m.libraryBytes + m.contentBytes + m.imagesBytes;
const freeOf = (m: Measured): Record<string, number> => Object.fromEntries([...m.filesystems].map(([dev, f]) => [dev, f.freeBytes]));
