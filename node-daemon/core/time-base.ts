import { systemClock, type Clock } from './types.js';

/**
 * The box's time bases (issue #14 item 3: a box without an RTC boots with a clock in the past).
 *
 * - `wall()`: the system clock (`Date.now()`). What readings and alarms are stamped with, as always; it may jump
 *   (fake-hwclock at boot, an NTP step, someone's `date -s`).
 * - `mono()`: milliseconds since this process started, from the monotonic clock (`performance.now()`, which NTP may
 *   slew but never steps). For schedules and timeouts that only need "how long since".
 * - `steady()`: the box's time of record for durations: wall-like milliseconds (anchored at the wall clock when the
 *   process started) that run with `mono()` and so never jump when the wall clock does. It moves discontinuously
 *   only through `rebase()`, which the clock-trust service calls once trusted time is known (so that `steady()` is
 *   then the true time), and every listener hears the shift in the same turn, so whoever keeps `steady()` times in
 *   its state (the alarm rules) shifts them by as much and every duration stays what it was.
 *
 * No I/O: the sources are injected (tests run it on virtual time).
 */
export class TimeBase {
  private readonly wallSource: Clock;
  private readonly monoSource: Clock;
  private readonly mono0: number;
  private anchor: number;
  private readonly listeners = new Set<(deltaMs: number) => void>();

  constructor(opts: { readonly wall?: Clock; readonly mono?: Clock } = {}) {
    this.wallSource = opts.wall ?? systemClock;
    this.monoSource = opts.mono ?? (() => performance.now());
    this.mono0 = this.monoSource();
    this.anchor = this.wallSource();
  }

  readonly wall: Clock = () => this.wallSource();

  readonly mono: Clock = () => this.monoSource() - this.mono0;

  /** Integer ms: wall at start + monotonic time since, + every rebase. */
  readonly steady: Clock = () => Math.floor(this.anchor + this.mono());

  /** `steady()` moves by `deltaMs` (trusted time arrived); listeners hear it before anything else reads it. */
  rebase(deltaMs: number): void {
    if (!Number.isFinite(deltaMs)) throw new Error(`fenghuo: time base rebase must be finite, got ${deltaMs}`);
    if (deltaMs === 0) return;
    this.anchor += deltaMs;
    for (const l of this.listeners) l(deltaMs);
  }

  onRebase(listener: (deltaMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
