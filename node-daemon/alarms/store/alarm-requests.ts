import type { Alarm, AlarmCause, AlarmKind, AlarmLevel, AlarmTransition } from '../types.js';

/** Ask for an alarm to sound (or to keep sounding at a new level). Same key, same alarm while it is not cleared. */
export interface RaiseRequest {
  readonly key: string;
  readonly kind: AlarmKind;
  /** null for faults. */
  readonly level: AlarmLevel | null;
  readonly siteId?: string;
  readonly sensorId?: string;
  readonly drill: boolean;
  readonly title: string;
  readonly cause: AlarmCause;
  /** Operator, for manual raises. */
  readonly by?: string;
  /** Free text kept on the transition (a manual or county message). */
  readonly note?: string;
}

export type ClearTarget = { readonly key: string } | { readonly id: number };

export interface ClearOptions {
  readonly by?: string;
  readonly note?: string;
}

export interface AlarmListQuery {
  /** `active`: every alarm not cleared (acknowledged ones included); `all`: cleared ones too. */
  readonly state: 'active' | 'all';
  /** Inclusive UTC ms on `raisedAt`. */
  readonly from?: number;
  /** Exclusive UTC ms on `raisedAt`. */
  readonly to?: number;
  readonly limit: number;
}

/**
 * What a lifecycle call did. `changed: false` means nothing was written (a raise at the level the alarm already has):
 * no transition, no change-log row, no event.
 */
export type AlarmChange =
  | { readonly changed: true; readonly alarm: Alarm; readonly transition: AlarmTransition; readonly seq: number }
  | { readonly changed: false; readonly alarm: Alarm };

/** A change that wrote a transition. */
export type AlarmTransitionCommitted = Extract<AlarmChange, { changed: true }>;
