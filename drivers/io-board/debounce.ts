/**
 * Debouncing of one digital input: a new level counts only once it has held for `delayMs`. Pure logic: time and
 * timers come from the injected scheduler, so it is tested without a board or a real clock.
 */

export interface Scheduler {
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export type Level = 0 | 1;

/** `initial` is true for the first level ever seen: a baseline, not a change. */
export type StableListener = (level: Level, at: number, initial: boolean) => void;

export class Debouncer {
  private stable: Level | undefined;
  private raw: Level | undefined;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly scheduler: Scheduler,
    private readonly onStable: StableListener,
  ) {
    if (!(delayMs >= 0)) throw new RangeError(`debounce delay must be >= 0 ms, got ${delayMs}`);
  }

  /** The debounced level, or undefined before the first sample. */
  level(): Level | undefined {
    return this.stable;
  }

  /** Feeds one raw reading; repeats of the same level are harmless. */
  sample(level: Level): void {
    if (this.stable === undefined) {
      this.stable = level;
      this.raw = level;
      this.onStable(level, this.scheduler.now(), true);
      return;
    }
    if (level === this.raw) return;
    this.raw = level;
    this.cancel?.();
    this.cancel = undefined;
    if (level === this.stable) return; // bounced back before it settled
    if (this.delayMs === 0) {
      this.settle(level);
      return;
    }
    this.cancel = this.scheduler.after(this.delayMs, () => {
      this.cancel = undefined;
      this.settle(level);
    });
  }

  dispose(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private settle(level: Level): void {
    if (level === this.stable) return;
    this.stable = level;
    this.onStable(level, this.scheduler.now(), false);
  }
}
