import type { Alarm, AlarmCause, AlarmKind, AlarmLevel, AlarmTransition } from '../types.js';

/** Who makes a change: the account that is signed in, and whom it acts for. Either may be absent; none is invented. */
export interface Actor {
  /** The signed-in user's name, or `token:<id>` for an API token: from the request's authentication only. */
  readonly account?: string;
  /** On behalf of whom, free text as the operator typed it (e.g. 县长). */
  readonly by?: string;
}

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
  /** On behalf of whom, for manual raises (free text), or `button:<input>` for the box's alarm button. */
  readonly by?: string;
  /** The signed-in account (or `token:<id>`) raising it by hand or through the API; absent for the rules. */
  readonly account?: string;
  /** Free text kept on the transition (a manual or county message). */
  readonly note?: string;
}

export type ClearTarget = { readonly key: string } | { readonly id: number };

export interface ClearOptions extends Actor {
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
