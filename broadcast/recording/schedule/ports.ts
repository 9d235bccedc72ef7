/**
 * What the schedule runner is handed: time, the recorder, and word of the clock. The daemon passes real ones, the
 * tests virtual ones. Pure (interfaces only).
 */
import type { RecordingGap, RecordingJob } from '../types.js';
import type { ScheduleEntry } from './schedule-types.js';
import type { GuideProgramme } from './xmltv.js';

export interface RunnerTimers {
  /** The wall clock, UTC ms; may be wrong while the clock is not trusted. */
  now(): number;
  /** A clock that never steps (performance.now()), to measure how long the wall clock was wrong. */
  monotonic(): number;
  /** Calls `fn` once `now() >= at` (checked again if the wall clock steps); returns the cancel function. */
  at(at: number, fn: () => void): () => void;
}

/** The recorder as the schedule drives it: start a job, stop it. Either may be asynchronous; a failure is its own to report. */
export interface JobRecorder {
  /** `gap`: what the job missed before this start because the clock was not trusted. */
  startJob(job: RecordingJob, gap?: RecordingGap): void | Promise<void>;
  stopJob(jobId: string): void | Promise<void>;
}

export interface ClockTrust {
  /** Whether the wall clock is right (NTP-synchronised, or nothing says otherwise). */
  trusted(): boolean;
  /** `listener` hears every change; returns the unsubscribe function. */
  onChange(listener: (trusted: boolean) => void): () => void;
}

/** Where planning reads the operator's wishes and the guide from (the daemon's SQLite store and guide loader). */
export interface ScheduleBook {
  entries(): readonly ScheduleEntry[];
  /** Job or wish ids the operator cancelled. */
  skips(): ReadonlySet<string>;
  /** The last good guide's programmes (none before the first). */
  programmes(): readonly GuideProgramme[];
}
