import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { beijingTime, missedDueTimes, type MissedLimits } from './missed-due.js';
import { isWavFile, type ScheduledProgrammeConfig } from './programme-config.js';
import { nextDue } from './programme-schedule.js';
import type { ProgrammeSound } from './programme.js';
import type { ProgrammeFiles, RunningMark, StationClock, StationLog } from './ports.js';
import type { Station } from './station.js';

export interface ScheduledProgrammesOptions {
  readonly programmes: readonly ScheduledProgrammeConfig[];
  /** The zone a programme's cron is read in when it names none (site.timezone). */
  readonly timeZone: string;
  /** Programme files are read from here (`<data>/content` unless station.contentDir says). */
  readonly contentDir: string;
  readonly station: Pick<Station, 'play' | 'has'>;
  readonly clock: StationClock;
  readonly log: StationLog;
  /** Longest wait before the clock is read again, so a corrected clock is followed. Default 60 000 ms. */
  readonly maxWaitMs?: number;
  /** A due time passed by more than this (the box was off, the clock jumped) is missed, not played late. Default 5 min. */
  readonly lateMs?: number;
  /**
   * Converts programme files that are not WAV (MP3, M4A/AAC, OGG/Opus, FLAC): at start, ahead of their due times, and
   * again at the due time when the file changed. Without it such a programme fails at its due time.
   */
  readonly files?: ProgrammeFiles;
  /**
   * When the station was last known running, kept across restarts. At start the due times since then are logged as
   * missed (`station.programme_missed`), never played late; while running it is written at every due time, at most
   * every `markEveryMs` otherwise, and at stop. Without it nothing is logged.
   */
  readonly runningMark?: RunningMark;
  /** How far back, and how many, missed due times are looked for and logged. */
  readonly missed?: MissedLimits;
  /** Default 5 min. */
  readonly markEveryMs?: number;
}

/** What became of a programme's last due time. */
export type ScheduledOutcome = 'queued' | 'on_air_already' | 'file_missing' | 'failed' | 'missed' | 'refused';

export interface ScheduledProgrammeStatus {
  readonly id: string;
  readonly title: string;
  readonly cron: string;
  readonly timeZone: string;
  /** null: every speaker. */
  readonly speakers: readonly string[] | null;
  readonly source: { readonly file: string } | { readonly text: string };
  /** Next due time (UTC ms); null when the cron never fires again or the schedule is stopped. */
  readonly next: number | null;
  readonly last: { readonly due: number; readonly at: number; readonly outcome: ScheduledOutcome; readonly detail: string | null } | null;
}

interface Entry {
  readonly cfg: ScheduledProgrammeConfig;
  readonly timeZone: string;
  next: number | null;
  last: ScheduledProgrammeStatus['last'];
}

export const scheduledKey = (id: string): string => `scheduled:${id}`;

/**
 * Puts the configured programmes in the station's queue when their cron says (croner reads it): the lowest
 * priority, so an alarm cuts one at once and it does not resume. A programme still on the air when it is due again
 * is not queued twice; a file that is not there is logged and skipped, never a speaker fault. A file that is not WAV
 * is converted ahead (at start) and checked again at its due time; one that cannot be decoded fails its due time
 * (`station.programme_failed`) and nothing plays. Due times that fell while the station was not running are logged at
 * start (`station.programme_missed`) and never played late.
 */
export class ScheduledProgrammes {
  readonly name = 'station-schedule';
  private readonly entries: Entry[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private markedAt: number | null = null;

  constructor(private readonly opts: ScheduledProgrammesOptions) {
    this.entries = opts.programmes.map((cfg) => ({ cfg, timeZone: cfg.timeZone ?? opts.timeZone, next: null, last: null }));
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    const now = this.opts.clock();
    this.logMissed(now);
    for (const e of this.entries) e.next = nextDue(e.cfg.cron, e.timeZone, now);
    this.opts.log.info(
      { event: 'station.schedule_started', programmes: this.entries.map((e) => ({ id: e.cfg.id, next: e.next })) },
      `${this.entries.length} scheduled programme(s)`,
    );
    this.mark(now);
    this.arm();
    void this.prepareFiles();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.running) this.mark(this.opts.clock());
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  /** Records that the station runs at `now`; a failure to write is logged and does not stop the schedule. */
  private mark(now: number): void {
    const mark = this.opts.runningMark;
    if (mark === undefined) return;
    try {
      mark.write(now);
      this.markedAt = now;
    } catch (err) {
      this.opts.log.warn({ event: 'station.running_mark_failed', err: err instanceof Error ? err.message : String(err) }, 'could not record that the station runs');
    }
  }

  /**
   * Logs each due time that fell while the station was not running (since the mark), as missed: a 07:00 bulletin is
   * not played at 09:30. At most `missed.maxListed` per programme, then one summary with the count.
   */
  private logMissed(now: number): void {
    const mark = this.opts.runningMark;
    if (mark === undefined) return;
    let since: number | null;
    try {
      since = mark.read();
    } catch (err) {
      this.opts.log.warn({ event: 'station.running_mark_failed', err: err instanceof Error ? err.message : String(err) }, 'could not read when the station last ran');
      return;
    }
    if (since === null || !Number.isFinite(since)) return;
    for (const e of this.entries) {
      const m = missedDueTimes(e.cfg.cron, e.timeZone, since, now, this.opts.missed);
      if (m.total === 0) continue;
      const down = `the station was not running from ${beijingTime(since)} to ${beijingTime(now)} (Beijing time)`;
      for (const due of m.listed) {
        this.opts.log.warn(
          { event: 'station.programme_missed', id: e.cfg.id, title: e.cfg.title, due, dueBeijing: beijingTime(due), dueUtc: new Date(due).toISOString(), timeZone: e.timeZone, lastRunning: since },
          `scheduled programme ${e.cfg.id} was due at ${beijingTime(due)} (Beijing time) and is missed: ${down}; not played late`,
        );
      }
      if (m.total > m.listed.length || m.windowCapped) {
        this.opts.log.warn(
          {
            event: 'station.programme_missed_summary',
            id: e.cfg.id,
            title: e.cfg.title,
            total: m.total,
            totalIsAtLeast: m.totalCapped,
            listed: m.listed.length,
            notListed: m.total - m.listed.length,
            from: m.from,
            to: m.to,
            lookedBackFrom: beijingTime(m.from),
            windowCapped: m.windowCapped,
            lastRunning: since,
          },
          `scheduled programme ${e.cfg.id}: ${m.totalCapped ? 'at least ' : ''}${m.total} due time(s) missed since ${beijingTime(m.from)} (Beijing time), ${m.listed.length} listed` +
            (m.windowCapped ? `; the station had been down since ${beijingTime(since)}, earlier ones not looked for` : ''),
        );
      }
      if (m.latest !== null) {
        e.last = { due: m.latest, at: now, outcome: 'missed', detail: `${down}${m.total > 1 ? `; ${m.totalCapped ? 'at least ' : ''}${m.total} due times missed` : ''}` };
      }
    }
  }

  /** Converts the programmes' non-WAV files now, one after another, so their due times do not wait for ffmpeg. */
  private async prepareFiles(): Promise<void> {
    const files = this.opts.files;
    if (files === undefined) return;
    for (const e of this.entries) {
      if (!this.running) return;
      if (e.cfg.file === undefined || isWavFile(e.cfg.file)) continue;
      const path = resolve(this.opts.contentDir, e.cfg.file);
      const isFile = await stat(path).then((s) => s.isFile(), () => false);
      if (!isFile) continue; // logged at its due time
      const started = this.opts.clock();
      const res = await files.prepareFile(path);
      if (res.ok) {
        this.opts.log.info({ event: 'station.programme_file_ready', id: e.cfg.id, file: path, wav: res.wav, ms: this.opts.clock() - started }, `scheduled programme ${e.cfg.id}: file converted to WAV`);
      } else {
        this.opts.log.warn(
          { event: 'station.programme_file_unreadable', id: e.cfg.id, title: e.cfg.title, file: path, error: res.detail ?? res.error, detail: res.error },
          `scheduled programme ${e.cfg.id}: ${path} cannot be decoded; it will fail at its due time unless the file is replaced`,
        );
      }
    }
  }

  status(): readonly ScheduledProgrammeStatus[] {
    return this.entries.map((e) => ({
      id: e.cfg.id,
      title: e.cfg.title,
      cron: e.cfg.cron,
      timeZone: e.timeZone,
      speakers: e.cfg.speakers ?? null,
      source: e.cfg.file !== undefined ? { file: e.cfg.file } : { text: e.cfg.text ?? '' },
      next: this.running ? e.next : null,
      last: e.last,
    }));
  }

  private arm(): void {
    if (!this.running) return;
    const now = this.opts.clock();
    const soonest = Math.min(...this.entries.map((e) => e.next ?? Infinity));
    if (soonest === Infinity) return;
    const wait = Math.min(Math.max(0, soonest - now), this.opts.maxWaitMs ?? 60_000);
    this.timer = setTimeout(() => this.wake(), wait);
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.opts.clock();
    let handled = false;
    for (const e of this.entries) {
      const due = e.next;
      if (due !== null && due <= now) {
        handled = true;
        if (now - due <= (this.opts.lateMs ?? 300_000)) void this.fire(e, due);
        else this.record(e, due, 'missed', `due ${new Date(due).toISOString()}, the clock read ${new Date(now).toISOString()}`);
      }
      // From the clock as it reads now: a clock set back (or forward) moves the next due time with it.
      e.next = nextDue(e.cfg.cron, e.timeZone, now);
    }
    // Every due time handled is behind the mark, so a restart never counts it as missed.
    if (handled || this.markedAt === null || now - this.markedAt >= (this.opts.markEveryMs ?? 300_000) || now < this.markedAt) this.mark(now);
    this.arm();
  }

  private async fire(e: Entry, due: number): Promise<void> {
    const key = scheduledKey(e.cfg.id);
    if (this.opts.station.has(key)) {
      this.record(e, due, 'on_air_already', 'the last one still plays or waits');
      return;
    }
    let sound: ProgrammeSound;
    if (e.cfg.file !== undefined) {
      const path = resolve(this.opts.contentDir, e.cfg.file);
      const isFile = await stat(path).then((s) => s.isFile(), () => false);
      if (!isFile) {
        this.record(e, due, 'file_missing', path);
        return;
      }
      if (isWavFile(path)) {
        sound = { file: path };
      } else {
        const res = this.opts.files === undefined ? { ok: false as const, error: 'no converter for files that are not WAV', detail: null } : await this.opts.files.prepareFile(path);
        if (!res.ok) {
          this.record(e, due, 'failed', res.detail ?? res.error, { file: path, error: res.detail ?? res.error, detail: res.error });
          return;
        }
        sound = { file: res.wav };
      }
    } else {
      sound = { speech: e.cfg.text ?? '' };
    }
    if (!this.running) return;
    try {
      const res = this.opts.station.play({ key, kind: 'scheduled', title: e.cfg.title, sound, repeat: 1, intervalS: 0 }, e.cfg.speakers);
      this.record(e, due, 'queued', res.speakers.join(','));
    } catch (err) {
      this.record(e, due, 'refused', err instanceof Error ? err.message : String(err));
    }
  }

  private record(e: Entry, due: number, outcome: ScheduledOutcome, detail: string, extra: object = {}): void {
    e.last = { due, at: this.opts.clock(), outcome, detail };
    const event = outcome === 'queued' ? 'station.programme_queued' : outcome === 'failed' ? 'station.programme_failed' : 'station.programme_skipped';
    const line = { event, id: e.cfg.id, title: e.cfg.title, due, outcome, detail, ...extra };
    if (outcome === 'queued' || outcome === 'on_air_already') this.opts.log.info(line, `scheduled programme ${e.cfg.id}: ${outcome}`);
    else if (outcome === 'failed') this.opts.log.warn(line, `scheduled programme ${e.cfg.id} not played: its file cannot be decoded (${detail})`);
    else this.opts.log.warn(line, `scheduled programme ${e.cfg.id}: ${outcome}`);
  }
}
