/**
 * Retry delays while the hub cannot be reached (docs/sync.md, "Link economy"): exponential backoff with full jitter.
 * Pure: the random source is passed in (a number in [0, 1), like Math.random).
 *
 * After the n-th failure in a row the ceiling is `min(maxMs, minMs · 2^(n-1))` (2 s, 4 s, 8 s … up to
 * `sync.maxBackoffMs`, default 10 min) and the delay is uniform in [0, ceiling): many boxes coming back after a
 * county-wide outage spread out instead of arriving together. A success starts over. An alarm waiting resets the
 * backoff to its minimum once per outage (`alarmWaiting`): the alarm is tried within `minMs`, and an outage that
 * stays does not turn into a retry storm because alarms keep coming.
 */

export interface BackoffOptions {
  /** Default 2 s. */
  readonly minMs?: number;
  /** `sync.maxBackoffMs`; default 10 minutes. */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF = { minMs: 2_000, maxMs: 600_000 } as const;

export interface BackoffState {
  /** Failed attempts in a row. */
  readonly failures: number;
  /** Whether this outage already had its one alarm reset. */
  readonly alarmResetUsed: boolean;
}

export const BACKOFF_START: BackoffState = { failures: 0, alarmResetUsed: false };

export function afterFailure(state: BackoffState): BackoffState {
  return { ...state, failures: state.failures + 1 };
}

export function afterSuccess(): BackoffState {
  return BACKOFF_START;
}

/** An alarm is waiting: back to the minimum, once per outage. `reset` says whether it happened. */
export function alarmWaiting(state: BackoffState): { readonly state: BackoffState; readonly reset: boolean } {
  if (state.alarmResetUsed || state.failures <= 1) return { state, reset: false };
  return { state: { failures: 1, alarmResetUsed: true }, reset: true };
}

/** The ceiling of the next delay: 0 before any failure. */
export function backoffCeiling(state: BackoffState, opts: BackoffOptions = {}): number {
  if (state.failures <= 0) return 0;
  const min = Math.max(1, opts.minMs ?? DEFAULT_BACKOFF.minMs);
  const max = Math.max(min, opts.maxMs ?? DEFAULT_BACKOFF.maxMs);
  // 2^(n-1) overflows nothing useful past 2^40; cap the exponent so the arithmetic stays exact.
  return Math.min(max, min * 2 ** Math.min(state.failures - 1, 40));
}

/** The delay before the next attempt: uniform in [0, ceiling). */
export function backoffDelay(state: BackoffState, random: () => number, opts: BackoffOptions = {}): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCeiling(state, opts));
}
