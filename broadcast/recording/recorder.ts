/**
 * The recorder: runs each recording job on the system ffmpeg from its start until its end, whatever ffmpeg does in
 * between. Segments go to `<rootDir>/<jobId>/seg-00001.ts …`. An ffmpeg that exits before the end is a failure
 * whatever its exit code (a stalled UDP input with a timeout exits 0) and one that writes nothing for `stallSeconds`
 * is killed (SIGTERM, SIGKILL after a grace); either way it is restarted with backoff, and the stretch without data
 * is recorded as a gap. At the end ffmpeg is stopped cleanly (`q`) so the last segment closes, then the browser copy
 * (MP4, no re-encoding) is made and probed. After a daemon restart `resumeAll` picks up every recording still inside
 * its window (new segments appended, the restart recorded as a gap) and finishes the others.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { lstat, open, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { makeBrowserCopy, UNPLAYABLE_VIDEO_MESSAGE } from './browser-copy.js';
import { recordArgs, SEGMENT_FILE } from './ffmpeg-args.js';
import { FfmpegRun, killOrphan } from './ffmpeg-run.js';
import { GapBook } from './gap-book.js';
import { probeMedia } from './media-probe.js';
import {
  newRecordingRow,
  RecorderError,
  type LiveProgress,
  type RecorderLog,
  type RecordingEvent,
  type RecordingInfo,
  type RecordingStore,
} from './recording-types.js';
import { listSegments, nextSegmentNumber, SegmentTail, totals, type SegmentTotals } from './segment-dir.js';
import { DEFAULT_BACKOFF, isStalled, restartDelayMs, runCountsAsWorking, type Backoff } from './stall-watch.js';
import type { Channel, RecordingGap, RecordingJob } from './types.js';

export interface RecorderOptions {
  /** Where recordings live: `<data>/recordings`. */
  readonly rootDir: string;
  readonly channel: (id: string) => Channel | undefined;
  readonly store: RecordingStore;
  readonly clock: () => number;
  readonly log: RecorderLog;
  readonly segmentSeconds: number;
  readonly stallSeconds: number;
  /** A fresh ffmpeg's time to open its input and probe the stream before the stall watch applies (8 s). */
  readonly startupSeconds?: number;
  /** SIGTERM → SIGKILL of a stalled ffmpeg (2 s). */
  readonly killGraceMs?: number;
  /**
   * `q` → SIGINT → SIGKILL of a clean stop. Default: 5 s each, or longer than the inputs' read timeout (2 ×
   * stallSeconds): an ffmpeg blocked on a silent input ignores `q` and SIGINT until that timeout ends its read, and it
   * then closes the last segment itself; a SIGKILL before that loses its unwritten buffer.
   */
  readonly stopGraceMs?: number;
  readonly backoff?: Backoff;
  /** How often the disk is looked at (1 s). */
  readonly tickMs?: number;
  /** How often bytes and segments are written to the store while recording (10 s); states and gaps at once. */
  readonly persistEveryMs?: number;
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
}

/** Job ids name folders: no separators, no leading dot. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;
const BITRATE_WINDOW_MS = 5_000;
/** Samples kept for the bitrate: one a tick over BITRATE_WINDOW_MS, with room for ticks shorter than a second. */
const WINDOW_SLOTS = 64;
const PID_FILE = 'ffmpeg.pid';

interface Active {
  readonly id: string;
  readonly channel: Channel;
  readonly endAt: number;
  readonly dir: string;
  readonly gaps: GapBook;
  /** The segments on disk, looked at once a tick without listing the folder. */
  readonly tail: SegmentTail;
  /** The store's row as last read; dropped at each write of it (the recorder is the store's one writer). */
  row: RecordingInfo | undefined;
  run: FfmpegRun | undefined;
  runStartedAt: number;
  runLastDataAt: number | undefined;
  stallKilled: boolean;
  lastDataAt: number | undefined;
  bytes: number;
  segments: number;
  damaged: number;
  restarts: number;
  failures: number;
  speed: number | null;
  outTimeS: number | null;
  /** The bitrate window: a ring of (time, bytes) samples, `winStart` the oldest, `winLen` of them. */
  readonly winT: Float64Array;
  readonly winBytes: Float64Array;
  winStart: number;
  winLen: number;
  hasData: boolean;
  lastPersistAt: number;
  /** End reached, stop asked, daemon stopping or recording deleted: no more runs. */
  ending: boolean;
  mode: 'finish' | 'suspend' | 'discard';
  wake: (() => void) | undefined;
  endTimer: NodeJS.Timeout | undefined;
  tick: NodeJS.Timeout | undefined;
  loop: Promise<void> | undefined;
}

export class Recorder {
  private readonly active = new Map<string, Active>();
  private readonly finishing = new Map<string, Promise<void>>();
  private readonly subject = new Subject<RecordingEvent>();
  readonly events$: Observable<RecordingEvent> = this.subject.asObservable();
  private readonly stallMs: number;
  private readonly startupMs: number;

  constructor(private readonly o: RecorderOptions) {
    this.stallMs = o.stallSeconds * 1_000;
    this.startupMs = (o.startupSeconds ?? 8) * 1_000;
  }

  /** SIGKILL (at twice this) only after a silent input's read timeout (2 × stallSeconds) has let ffmpeg finish. */
  private defaultStopGraceMs(): number {
    return Math.max(5_000, this.o.stallSeconds * 1_000 + 1_000);
  }

  /**
   * Starts recording `job` now (the schedule calls this at the job's start; "record now" too). Idempotent for a job
   * already recording; a job that has finished is never recorded twice. `missed`: a stretch the job lost before this
   * start (the schedule held it while the clock was not trusted), recorded as a gap.
   */
  start(job: RecordingJob, missed?: RecordingGap): RecordingInfo {
    if (!SAFE_ID.test(job.id)) throw new RecorderError('not_found', `job id ${JSON.stringify(job.id)} cannot name a folder`);
    const running = this.active.get(job.id);
    const existing = this.o.store.get(job.id);
    if (running !== undefined && existing !== undefined) return existing;
    if (existing !== undefined && existing.state !== 'recording') {
      throw new RecorderError('already_done', `recording ${job.id} is ${existing.state} already`);
    }
    const now = this.o.clock();
    if (now >= job.endAt) throw new RecorderError('over', `recording ${job.id} ended at ${new Date(job.endAt).toISOString()}`);
    const channel = this.o.channel(job.channelId);
    if (channel === undefined) throw new RecorderError('unknown_channel', `no channel ${job.channelId} in recording.channels`);
    const busy = [...this.active.values()].find((a) => a.channel.id === channel.id && !a.ending);
    if (busy !== undefined && exclusiveSource(channel)) {
      throw new RecorderError('channel_busy', `channel ${channel.id} is being recorded by ${busy.id} and its source cannot be opened twice`);
    }
    if (existing === undefined) {
      this.o.store.insert(newRecordingRow(job, now));
    }
    const row = this.o.store.get(job.id)!;
    const a = this.launch(row, channel);
    if (existing !== undefined) a.gaps.open(this.lastWriteOf(row, a.dir), 'restart');
    if (missed !== undefined) {
      a.gaps.record(missed);
      this.write(job.id, { gaps: a.gaps.closed(), updatedAt: now });
    }
    this.o.log.info({ event: 'recording.started', id: job.id, channel: channel.id, endAt: job.endAt, title: job.title }, 'recording started');
    this.emitState(job.id);
    return this.o.store.get(job.id)!;
  }

  /** Ends a recording before its planned end (the operator, or the schedule): the last segment closes, the copy is made. */
  async stop(id: string): Promise<RecordingInfo> {
    const a = this.active.get(id);
    if (a !== undefined) {
      this.end(a, 'finish');
      await a.loop;
    } else {
      const row = this.o.store.get(id);
      if (row === undefined) throw new RecorderError('not_found', `no recording ${id}`);
      if (row.state === 'recording') {
        this.write(id, { actualEnd: Math.min(this.o.clock(), row.plannedEnd), updatedAt: this.o.clock() });
        await this.finishTracked(id);
      }
    }
    await this.finishing.get(id);
    return this.o.store.get(id)!;
  }

  /** After a start of the daemon: resumes every recording still inside its window, finishes the rest. */
  async resumeAll(): Promise<void> {
    const now = this.o.clock();
    for (const row of this.o.store.list()) {
      if (this.active.has(row.id) || (row.state !== 'recording' && row.state !== 'finishing')) continue;
      const dir = this.dirOf(row.id);
      if (await killOrphan(join(dir, PID_FILE), dir)) {
        this.o.log.warn({ event: 'recording.orphan_killed', id: row.id }, 'ended the ffmpeg a killed daemon left running');
      }
      if (row.state === 'finishing') {
        void this.finishTracked(row.id);
        continue;
      }
      const lastWrite = this.lastWriteOf(row, dir);
      const channel = this.o.channel(row.channelId);
      if (now < row.plannedEnd && channel !== undefined) {
        const a = this.launch(row, channel);
        a.gaps.open(lastWrite, 'restart');
        this.o.log.info({ event: 'recording.resumed', id: row.id, channel: channel.id, since: lastWrite }, 'recording resumed after a restart');
        this.emitState(row.id);
        continue;
      }
      const gaps = new GapBook(row.gaps);
      const end = Math.min(now, row.plannedEnd);
      if (lastWrite < end - 1_000) {
        gaps.open(lastWrite, 'restart');
        gaps.close(end);
      }
      this.write(row.id, {
        gaps: gaps.closed(),
        actualEnd: row.actualEnd ?? Math.max(lastWrite, row.actualStart ?? lastWrite),
        ...(channel === undefined && now < row.plannedEnd ? { lastError: `channel ${row.channelId} is no longer configured` } : {}),
        updatedAt: now,
      });
      void this.finishTracked(row.id);
    }
  }

  /** The daemon stops: every ffmpeg stops cleanly; recordings stay `recording` and resume at the next start. */
  async shutdown(): Promise<void> {
    const all = [...this.active.values()];
    for (const a of all) this.end(a, 'suspend');
    await Promise.all(all.map((a) => a.loop));
    await Promise.all([...this.finishing.values()]);
    this.subject.complete();
  }

  list(): RecordingInfo[] {
    return this.o.store.list();
  }

  get(id: string): RecordingInfo | undefined {
    return this.o.store.get(id);
  }

  /** What only the running recorder knows; undefined when `id` is not recording now. */
  live(id: string): LiveProgress | undefined {
    const a = this.active.get(id);
    return a === undefined ? undefined : this.liveOf(a);
  }

  setPinned(id: string, pinned: boolean): RecordingInfo {
    if (this.o.store.get(id) === undefined) throw new RecorderError('not_found', `no recording ${id}`);
    this.write(id, { pinned, updatedAt: this.o.clock() });
    this.emitState(id);
    return this.o.store.get(id)!;
  }

  /** Deletes a recording (stopping it first if it runs): its folder and its row. False if there was none. */
  async delete(id: string): Promise<boolean> {
    const a = this.active.get(id);
    if (a !== undefined) {
      this.end(a, 'discard');
      await a.loop;
    }
    await this.finishing.get(id);
    if (this.o.store.get(id) === undefined) return false;
    if (SAFE_ID.test(id)) rmSync(this.dirOf(id), { recursive: true, force: true });
    this.o.store.remove(id);
    this.o.log.info({ event: 'recording.deleted', id }, 'recording deleted');
    this.subject.next({ type: 'deleted', id });
    return true;
  }

  /**
   * Drops a finished recording's original segments (`seg-*.ts`) and their concat list (`segments.txt`), keeping the
   * recording, playable through its browser copy: the disk quota's first, gentler stage. Refused (an Error; RecorderError
   * `not_found` when there is no such recording) for a recording still recording or finishing, and for one without a
   * browser copy on disk (no copy made, the copy failed, or its video is one browsers cannot play): its segments are
   * then its only playable form. The copy is fsynced first (with its folder entry): it must be durable before its
   * sources go. The row is not written (its bytes and segments stay as recorded history, and the county's change log
   * hears nothing: the metadata did not change). Answers the bytes removed.
   */
  async dropSegments(id: string): Promise<number> {
    const row = this.o.store.get(id);
    if (row === undefined) throw new RecorderError('not_found', `no recording ${id}`);
    if (!SAFE_ID.test(id)) throw new Error(`recording id ${JSON.stringify(id)} cannot name a folder`);
    if (this.active.has(id) || this.finishing.has(id) || row.state !== 'finished') {
      throw new Error(`recording ${id} is ${this.active.has(id) ? 'recording' : this.finishing.has(id) ? 'finishing' : row.state}: its segments are kept`);
    }
    const copy = row.browserPath;
    const noCopy = `recording ${id} has no browser copy on disk: its segments are its only playable form and are kept`;
    if (copy === null || row.lastError?.startsWith(UNPLAYABLE_VIDEO_MESSAGE) === true) throw new Error(noCopy);
    let fh;
    try {
      fh = await open(copy, 'r');
    } catch {
      throw new Error(noCopy);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size === 0) throw new Error(noCopy);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const copyDir = await open(dirname(copy), 'r');
    try {
      await copyDir.sync();
    } finally {
      await copyDir.close();
    }
    const dir = this.dirOf(id);
    let bytes = 0;
    let files = 0;
    for (const name of await readdir(dir).catch((): string[] => [])) {
      if (!SEGMENT_FILE.test(name) && name !== 'segments.txt') continue;
      const path = join(dir, name);
      if (path === copy) continue;
      const st = await lstat(path).catch(() => undefined);
      if (st === undefined || !st.isFile()) continue;
      await rm(path, { force: true });
      bytes += st.size;
      files++;
    }
    this.o.log.info({ event: 'recording.segments_dropped', id, bytes, files }, 'original segments dropped; the browser copy stays');
    return bytes;
  }

  /** The folder of a recording. */
  dirOf(id: string): string {
    return join(this.o.rootDir, id);
  }

  // ---- one recording's life ----

  private launch(row: RecordingInfo, channel: Channel): Active {
    const dir = this.dirOf(row.id);
    mkdirSync(dir, { recursive: true });
    const tail = new SegmentTail(dir);
    const t = tail.resync();
    const now = this.o.clock();
    const a: Active = {
      id: row.id,
      channel,
      endAt: row.plannedEnd,
      dir,
      gaps: new GapBook(row.gaps),
      tail,
      row: undefined,
      run: undefined,
      runStartedAt: now,
      runLastDataAt: undefined,
      stallKilled: false,
      lastDataAt: t.lastWriteAt,
      bytes: t.bytes,
      segments: t.segments,
      damaged: row.damagedPackets,
      restarts: 0,
      failures: 0,
      speed: null,
      outTimeS: null,
      winT: new Float64Array(WINDOW_SLOTS),
      winBytes: new Float64Array(WINDOW_SLOTS),
      winStart: 0,
      winLen: 0,
      hasData: row.actualStart !== null,
      lastPersistAt: now,
      ending: false,
      mode: 'finish',
      wake: undefined,
      endTimer: undefined,
      tick: undefined,
      loop: undefined,
    };
    this.active.set(row.id, a);
    a.endTimer = setTimeout(() => this.end(a, 'finish'), Math.max(0, row.plannedEnd - now));
    a.tick = setInterval(() => this.sample(a), this.o.tickMs ?? 1_000);
    a.loop = this.runLoop(a);
    return a;
  }

  private end(a: Active, mode: Active['mode']): void {
    if (a.ending) {
      // A delete overrides a finish in progress; a finish never overrides a delete.
      if (mode === 'discard') a.mode = 'discard';
      return;
    }
    a.ending = true;
    a.mode = mode;
    a.wake?.();
    if (a.run !== undefined) {
      if (mode === 'discard') void a.run.kill(this.o.killGraceMs ?? 2_000);
      else void a.run.stop(this.o.stopGraceMs ?? this.defaultStopGraceMs());
    }
  }

  private async runLoop(a: Active): Promise<void> {
    while (!a.ending) {
      const startNumber = nextSegmentNumber(listSegments(a.dir));
      a.tail.resync();
      a.runStartedAt = this.o.clock();
      a.runLastDataAt = undefined;
      a.stallKilled = false;
      a.speed = null;
      a.outTimeS = null;
      const run = new FfmpegRun({
        ffmpeg: this.o.ffmpeg ?? 'ffmpeg',
        args: recordArgs({
          source: a.channel.source,
          dir: a.dir,
          naming: { kind: 'numbered', startNumber },
          segmentSeconds: this.o.segmentSeconds,
          stallSeconds: this.o.stallSeconds,
        }),
        pidFile: join(a.dir, PID_FILE),
        onProgress: (p) => {
          if (p.speed !== undefined) a.speed = p.speed;
          if (p.outTimeS !== undefined) a.outTimeS = p.outTimeS;
        },
        onDamage: () => {
          a.damaged++;
        },
      });
      a.run = run;
      this.o.log.info({ event: 'recording.ffmpeg_started', id: a.id, pid: run.pid, startNumber, restarts: a.restarts }, 'ffmpeg started');
      const exit = await run.exited;
      a.run = undefined;
      this.sample(a, true);
      if (a.ending) {
        this.o.log.info({ event: 'recording.ffmpeg_stopped', id: a.id, code: exit.code, signal: exit.signal }, 'ffmpeg stopped');
        break;
      }
      // Before the end, any exit is a failure, exit code 0 included.
      const now = this.o.clock();
      const reason: RecordingGap['reason'] =
        a.stallKilled || a.runLastDataAt === undefined || now - a.runLastDataAt > this.stallMs ? 'stall' : 'ffmpeg_exit';
      a.gaps.open(a.lastDataAt ?? a.runStartedAt, reason);
      if (runCountsAsWorking(a.runStartedAt, a.runLastDataAt, this.stallMs)) a.failures = 0;
      const delay = restartDelayMs(a.failures++, this.o.backoff ?? DEFAULT_BACKOFF);
      this.o.log.warn(
        {
          event: 'recording.ffmpeg_exit',
          id: a.id,
          code: exit.code,
          signal: exit.signal,
          reason,
          ...(exit.spawnError === undefined ? {} : { spawnError: exit.spawnError }),
          stderr: exit.stderrTail.slice(-600),
          restartInMs: delay,
        },
        'ffmpeg ended before the recording did; restarting',
      );
      this.persist(a, true);
      await this.sleep(a, delay);
      if (!a.ending) a.restarts++;
    }
    await this.wrapUp(a);
  }

  /**
   * Looks at the disk: bytes, segments, first data, the end of a gap, bitrate; kills a stalled run. Once a second while
   * recording, so it stats the newest segments only (`full`: lists the folder, at an exit and when bytes are persisted),
   * reads the store only after a write of the row, and builds a progress event only for a listener.
   */
  private sample(a: Active, full = false): void {
    const now = this.o.clock();
    const persistDue = now - a.lastPersistAt >= (this.o.persistEveryMs ?? 10_000);
    const t = full || persistDue ? a.tail.resync() : a.tail.poll();
    // A run killed for a stall writes out what its muxer still held as it dies: data from before the stall, written
    // late, not data again; it is counted but neither moves the last data nor closes the stall's gap.
    if (t.bytes > a.bytes && !(a.stallKilled && a.hasData)) {
      // When data last reached the disk (the newest segment's mtime), not when this tick saw it: a gap starts there.
      a.lastDataAt = Math.min(now, t.lastWriteAt ?? now);
      if (a.run !== undefined) a.runLastDataAt = now;
      if (!a.hasData) {
        a.hasData = true;
        this.write(a.id, { actualStart: now, updatedAt: now });
      }
      const gap = a.gaps.close(now);
      if (gap !== undefined) {
        this.o.log.warn({ event: 'recording.gap', id: a.id, ...gap, ms: gap.to - gap.from }, 'data again after a gap');
        this.persist(a, true, t);
        this.subject.next({ type: 'gap', recording: this.rowOf(a)!, gap });
      }
    }
    a.bytes = t.bytes;
    a.segments = t.segments;
    this.pushWindow(a, now, t.bytes);
    const run = a.run;
    if (run !== undefined && run.running() && !a.ending && !a.stallKilled) {
      if (isStalled({ now, runStartedAt: a.runStartedAt, lastDataAt: a.runLastDataAt, stallMs: this.stallMs, startupMs: this.startupMs })) {
        a.stallKilled = true;
        a.gaps.open(a.lastDataAt ?? a.runStartedAt, 'stall');
        this.o.log.warn(
          { event: 'recording.stalled', id: a.id, pid: run.pid, lastDataAt: a.lastDataAt ?? null, stallSeconds: this.o.stallSeconds },
          'no data reached the disk; killing ffmpeg',
        );
        void run.kill(this.o.killGraceMs ?? 2_000);
      }
    }
    if (persistDue) this.persist(a, false, t);
    // Nobody listening (no live view open): no event to build.
    if (!this.subject.observed) return;
    const recording = this.rowOf(a);
    if (recording !== undefined) {
      this.subject.next({
        type: 'progress',
        // The row's bytes and segments are persisted every persistEveryMs; the event has them as of now.
        recording: { ...recording, bytes: a.bytes, segments: a.segments, damagedPackets: a.damaged, gaps: a.gaps.asOf(now) },
        live: this.liveOf(a),
      });
    }
  }

  /** Adds a bitrate sample; drops those older than the window, keeping two at least. */
  private pushWindow(a: Active, now: number, bytes: number): void {
    if (a.winLen === WINDOW_SLOTS) {
      a.winStart = (a.winStart + 1) % WINDOW_SLOTS;
      a.winLen--;
    }
    const i = (a.winStart + a.winLen) % WINDOW_SLOTS;
    a.winT[i] = now;
    a.winBytes[i] = bytes;
    a.winLen++;
    while (a.winLen > 2 && now - a.winT[a.winStart]! > BITRATE_WINDOW_MS) {
      a.winStart = (a.winStart + 1) % WINDOW_SLOTS;
      a.winLen--;
    }
  }

  private persist(a: Active, force: boolean, t: SegmentTotals | undefined = undefined): void {
    const now = this.o.clock();
    if (!force && now - a.lastPersistAt < (this.o.persistEveryMs ?? 10_000)) return;
    a.lastPersistAt = now;
    this.write(a.id, { bytes: t?.bytes ?? a.bytes, segments: t?.segments ?? a.segments, gaps: a.gaps.closed(), damagedPackets: a.damaged, updatedAt: now });
  }

  /** Every write of a row goes here: an active recording's cached row is dropped. */
  private write(id: string, patch: Parameters<RecordingStore['update']>[1]): void {
    this.o.store.update(id, patch);
    const a = this.active.get(id);
    if (a !== undefined) a.row = undefined;
  }

  /** An active recording's row, read from the store only after a write. */
  private rowOf(a: Active): RecordingInfo | undefined {
    a.row ??= this.o.store.get(a.id);
    return a.row;
  }

  private async wrapUp(a: Active): Promise<void> {
    if (a.endTimer !== undefined) clearTimeout(a.endTimer);
    if (a.tick !== undefined) clearInterval(a.tick);
    this.sample(a, true);
    this.active.delete(a.id);
    if (a.mode === 'discard') return;
    if (a.mode === 'suspend') {
      // The gap a restart brings is measured from the last write on disk at the next start.
      this.persist(a, true);
      this.o.log.info({ event: 'recording.suspended', id: a.id }, 'recording suspended: the daemon is stopping');
      return;
    }
    const now = this.o.clock();
    const end = Math.min(now, a.endAt);
    const gap = a.gaps.close(end);
    if (gap !== undefined) this.o.log.warn({ event: 'recording.gap', id: a.id, ...gap, ms: gap.to - gap.from }, 'the recording ended in a gap');
    this.persist(a, true);
    this.write(a.id, { actualEnd: end, updatedAt: now });
    await this.finishTracked(a.id);
  }

  private finishTracked(id: string): Promise<void> {
    const running = this.finishing.get(id);
    if (running !== undefined) return running;
    const p = this.finish(id).finally(() => this.finishing.delete(id));
    this.finishing.set(id, p);
    return p;
  }

  /** The browser copy and its metadata; `failed` when no data ever reached the disk. */
  private async finish(id: string): Promise<void> {
    const dir = this.dirOf(id);
    const segs = listSegments(dir);
    const t = totals(segs);
    const now = this.o.clock();
    if (t.segments === 0) {
      this.write(id, { state: 'failed', bytes: 0, segments: 0, lastError: 'no data reached the disk', updatedAt: now });
      this.o.log.warn({ event: 'recording.failed', id }, 'recording ended with no data');
      this.emitState(id);
      return;
    }
    this.write(id, { state: 'finishing', bytes: t.bytes, segments: t.segments, updatedAt: now });
    this.emitState(id);
    try {
      const copy = await makeBrowserCopy(dir, segs, this.o.ffmpeg ?? 'ffmpeg', this.o.ffprobe ?? 'ffprobe');
      const probe = await probeMedia(copy.path, this.o.ffprobe ?? 'ffprobe');
      this.write(id, {
        state: 'finished',
        browserPath: copy.path,
        browserBytes: copy.bytes,
        durationS: probe.durationS,
        streams: probe.streams,
        updatedAt: this.o.clock(),
      });
      this.o.log.info({ event: 'recording.finished', id, bytes: t.bytes, segments: t.segments, durationS: probe.durationS }, 'recording finished');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.write(id, { state: 'finished', lastError: message, updatedAt: this.o.clock() });
      this.o.log.error({ event: 'recording.browser_copy_failed', id, err: message }, 'the browser copy failed; the segments are kept');
    }
    this.emitState(id);
  }

  private sleep(a: Active, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        a.wake = undefined;
        resolve();
      }
      a.wake = done;
    });
  }

  private lastWriteOf(row: RecordingInfo, dir: string): number {
    return totals(listSegments(dir)).lastWriteAt ?? row.actualStart ?? row.updatedAt;
  }

  private liveOf(a: Active): LiveProgress {
    const first = a.winStart;
    const last = (a.winStart + a.winLen - 1) % WINDOW_SLOTS;
    const ms = a.winLen > 0 ? a.winT[last]! - a.winT[first]! : 0;
    const bitrateKbit = ms >= 1_000 ? Math.round(((a.winBytes[last]! - a.winBytes[first]!) * 8) / ms) : null;
    return {
      bitrateKbit,
      speed: a.speed,
      outTimeS: a.outTimeS,
      lastDataAt: a.lastDataAt ?? null,
      restarts: a.restarts,
      ffmpegRunning: a.run?.running() ?? false,
    };
  }

  private emitState(id: string): void {
    const r = this.o.store.get(id);
    if (r !== undefined) this.subject.next({ type: 'state', recording: r });
  }
}

/** A source two ffmpeg cannot open at once: a capture device, a UDP port (unicast or not, one bind per port here). */
function exclusiveSource(channel: Channel): boolean {
  return channel.source.kind === 'capture' || channel.source.kind === 'udp';
}
