/**
 * When the recorder gives up on an ffmpeg run, and how long it waits before the next. Pure, on injected times.
 * A run is stalled when no data reached the disk for `stallMs`; a fresh run is first given `startupMs` to open its
 * input and probe the stream (ffmpeg writes nothing while it analyses the first seconds).
 */

export interface StallCheck {
  readonly now: number;
  readonly runStartedAt: number;
  /** When this run last wrote data (bytes on disk or media time grew); undefined before its first. */
  readonly lastDataAt: number | undefined;
  readonly stallMs: number;
  readonly startupMs: number;
}

export function isStalled(c: StallCheck): boolean {
  const since = Math.max(c.lastDataAt ?? Number.NEGATIVE_INFINITY, c.runStartedAt + c.startupMs);
  return c.now - since > c.stallMs;
}

export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 1_000, maxMs: 30_000 };

/** The wait before restart number `attempt` (0 for the first restart after a run that had been working). */
export function restartDelayMs(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.maxMs, b.firstMs * 2 ** Math.min(Math.max(0, attempt), 30));
}

/** A run that wrote data for this long counts as working: the next failure starts the backoff over. */
export function runCountsAsWorking(runStartedAt: number, lastDataAt: number | undefined, stallMs: number): boolean {
  return lastDataAt !== undefined && lastDataAt - runStartedAt >= 3 * stallMs;
}
