/**
 * The schedule's own shapes: what an operator or the config asks to be recorded (entries, guide rules), the channels
 * as the schedule sees them, and what planning makes of it all (jobs and conflicts). Pure.
 */
import type { JobOrigin, RecordingJob } from '../types.js';
import type { Weekday } from './local-time.js';

/** A channel as the schedule needs it: which guide entries are its own and which input it takes. */
export interface ScheduleChannel {
  readonly id: string;
  readonly name: string;
  /** The XMLTV channel id of its guide entries; without it the channel id itself is looked for in the guide. */
  readonly xmltvId?: string;
  /**
   * The input it needs (see `sourceKeyOf`): two channels with the same key cannot be recorded at once, e.g. two
   * programmes of one single-input satellite receiver or one capture card.
   */
  readonly sourceKey: string;
}

/** One recording of a channel between two instants (UTC ms), padding not included: `manual` or `now`. */
export interface OneOffEntry {
  readonly kind: 'once' | 'now';
  readonly id: string;
  readonly channelId: string;
  readonly title: string;
  readonly startAt: number;
  readonly endAt: number;
}

/** The same hours on some weekdays, wall-clock time in `site.timezone`; `end` at or before `start` ends the next day. */
export interface WeeklyEntry {
  readonly kind: 'weekly';
  readonly id: string;
  readonly channelId: string;
  readonly title: string;
  readonly days: readonly Weekday[];
  /** HH:MM */
  readonly start: string;
  /** HH:MM */
  readonly end: string;
}

export type ScheduleEntry = OneOffEntry | WeeklyEntry;

/**
 * Which guide programmes to record: those of `channel` that match every condition given (at least one is): the title
 * against a regular expression, a category (any of the programme's, case ignored), a start time of day in a window
 * (wall-clock time, `to` at or before `from` runs past midnight), on the weekdays listed.
 */
export interface GuideRule {
  readonly channel: string;
  readonly title?: string;
  readonly category?: string;
  readonly window?: { readonly from: string; readonly to: string };
  readonly days?: readonly Weekday[];
}

export interface PlanSettings {
  readonly timeZone: string;
  readonly channels: readonly ScheduleChannel[];
  readonly rules: readonly GuideRule[];
  readonly paddingBeforeMs: number;
  readonly paddingAfterMs: number;
  /** How far ahead jobs are planned (default 8 days). */
  readonly horizonMs?: number;
}

/** A job as planned: what the recorder is asked to do, and the wishes it came from. */
export interface PlannedJob extends RecordingJob {
  /** The ids of the wishes merged into this job (itself included), e.g. two guide programmes back to back. */
  readonly parts: readonly string[];
}

/** One input needed by two jobs at once: `kept` runs, `dropped` (the later one) is not started. */
export interface Conflict {
  /** `<kept id>~<dropped id>`: stable across re-plans. */
  readonly id: string;
  readonly sourceKey: string;
  readonly kept: PlannedJob;
  readonly dropped: PlannedJob;
  /** The overlap (UTC ms). */
  readonly from: number;
  readonly to: number;
}

export interface Plan {
  /** When it was made (UTC ms). */
  readonly at: number;
  /** Jobs to run, by start; conflicts' dropped jobs are not among them. */
  readonly jobs: readonly PlannedJob[];
  readonly conflicts: readonly Conflict[];
}

/** When two wishes start together, which wins the input: the operator's latest word first. */
export const ORIGIN_RANK: Readonly<Record<JobOrigin, number>> = { now: 0, manual: 1, weekly: 2, xmltv: 3 };
