import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ScheduledProgrammeConfig } from './programme-config.js';
import { nextDue } from './programme-schedule.js';
import type { ProgrammeSound } from './programme.js';
import type { StationClock, StationLog } from './ports.js';
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
}

/** What became of a programme's last due time. */
export type ScheduledOutcome = 'queued' | 'on_air_already' | 'file_missing' | 'missed' | 'refused';

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
 * is not queued twice; a file that is not there is logged and skipped, never a speaker fault.
 */
export class ScheduledProgrammes {
  readonly name = 'station-schedule';
  private readonly entries: Entry[];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(private readonly opts: ScheduledProgrammesOptions) {
    this.entries = opts.programmes.map((cfg) => ({ cfg, timeZone: cfg.timeZone ?? opts.timeZone, next: null, last: null }));
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    const now = this.opts.clock();
    for (const e of this.entries) e.next = nextDue(e.cfg.cron, e.timeZone, now);
    this.opts.log.info(
      { event: 'station.schedule_started', programmes: this.entries.map((e) => ({ id: e.cfg.id, next: e.next })) },
      `${this.entries.length} scheduled programme(s)`,
    );
    this.arm();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve();
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
    for (const e of this.entries) {
      const due = e.next;
      if (due !== null && due <= now) {
        if (now - due <= (this.opts.lateMs ?? 300_000)) void this.fire(e, due);
        else this.record(e, due, 'missed', `due ${new Date(due).toISOString()}, the clock read ${new Date(now).toISOString()}`);
      }
      // From the clock as it reads now: a clock set back (or forward) moves the next due time with it.
      e.next = nextDue(e.cfg.cron, e.timeZone, now);
    }
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
      sound = { file: path };
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

  private record(e: Entry, due: number, outcome: ScheduledOutcome, detail: string): void {
    e.last = { due, at: this.opts.clock(), outcome, detail };
    const line = { event: outcome === 'queued' ? 'station.programme_queued' : 'station.programme_skipped', id: e.cfg.id, title: e.cfg.title, due, outcome, detail };
    if (outcome === 'queued' || outcome === 'on_air_already') this.opts.log.info(line, `scheduled programme ${e.cfg.id}: ${outcome}`);
    else this.opts.log.warn(line, `scheduled programme ${e.cfg.id}: ${outcome}`);
  }
}
