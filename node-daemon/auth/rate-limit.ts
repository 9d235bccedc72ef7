import type { Clock } from '../core/types.js';

export interface RateLimitOptions {
  /** Failed logins a key may have within the window; the next attempt is refused. Default 5. */
  readonly maxFailures: number;
  /** Default 5 minutes. */
  readonly windowMs: number;
  /** Keys remembered at most (oldest forgotten first), so a flood of made-up names cannot exhaust memory. */
  readonly maxKeys: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { maxFailures: 5, windowMs: 5 * 60_000, maxKeys: 10_000 };

/** The keys a login attempt counts against: its client address and the user name it tried. */
export function loginKeys(address: string, name: string): string[] {
  return [`addr:${address}`, `name:${name.trim().toLowerCase()}`];
}

/**
 * Login throttle, pure logic on an injected clock: a key (client address, user name) with `maxFailures` failed
 * logins in the last `windowMs` is refused until the oldest of those leaves the window. Refused attempts are not
 * checked and do not count, so the block lifts on its own; a successful login forgets the key's failures.
 */
export class LoginRateLimiter {
  private readonly opts: RateLimitOptions;
  /** Per key, the times of its most recent failures (at most maxFailures), oldest first. Map order = last touched. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    opts: Partial<RateLimitOptions> = {},
  ) {
    this.opts = { ...DEFAULT_RATE_LIMIT, ...opts };
  }

  /** undefined when an attempt may go ahead, else how many ms until it may (at least 1). */
  blockedForMs(keys: readonly string[]): number | undefined {
    const now = this.clock();
    let wait = 0;
    for (const key of keys) {
      const times = this.recent(key, now);
      if (times.length >= this.opts.maxFailures) {
        const oldest = times[times.length - this.opts.maxFailures]!;
        wait = Math.max(wait, oldest + this.opts.windowMs - now);
      }
    }
    return wait > 0 ? wait : undefined;
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.clock();
    for (const key of keys) {
      const times = [...this.recent(key, now), now].slice(-this.opts.maxFailures);
      this.failures.delete(key);
      this.failures.set(key, times);
    }
    while (this.failures.size > this.opts.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  /** How many keys are remembered (for tests and health). */
  size(): number {
    return this.failures.size;
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (times === undefined) return [];
    const kept = times.filter((t) => t > now - this.opts.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }
}
