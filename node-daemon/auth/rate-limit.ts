import type { Clock } from '../core/types.js';

/**
 * Throttling of failed sign-in attempts (passwords, bearer tokens, the first-run setup code): pure logic on an
 * injected clock, no I/O.
 *
 * Failures are counted per key. The first `freeFailures` of a key cost nothing; from then on each further failure
 * makes the key wait before its next attempt is even checked: `baseDelayMs`, then twice that, and so on up to
 * `maxDelayMs`. A key with no failure for `forgetAfterMs` is forgotten, and so is one whose owner succeeds. Nothing
 * is ever blocked outright, so nobody can lock an account out: the worst a guesser does is slow down their own key.
 */
export interface ThrottleOptions {
  /** Failures a key may have before delays start. */
  readonly freeFailures: number;
  /** The wait after the first failure past the free ones; it doubles with each further failure. */
  readonly baseDelayMs: number;
  /** The longest wait. */
  readonly maxDelayMs: number;
  /** A key with no failure this long is forgotten (at least maxDelayMs, so no key is forgotten while it waits). */
  readonly forgetAfterMs: number;
  /** Keys remembered at most (the least recently failed forgotten first), so made-up names cannot exhaust memory. */
  readonly maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxKeys: 10_000,
};

/** Where a key stands: how long until its next attempt may be checked (0: now) and how many failures stay free. */
export interface ThrottleState {
  readonly waitMs: number;
  readonly triesLeft: number;
}

interface KeyState {
  failures: number;
  lastFailureAt: number;
  /** No attempt is checked before this time. */
  until: number;
}

export class FailureThrottle {
  readonly opts: ThrottleOptions;
  /** Map order = least recently failed first. */
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly clock: Clock,
    opts: Partial<ThrottleOptions> = {},
  ) {
    this.opts = { ...DEFAULT_THROTTLE, ...opts };
    const { freeFailures, baseDelayMs, maxDelayMs, forgetAfterMs, maxKeys } = this.opts;
    if (![freeFailures, baseDelayMs, maxDelayMs, forgetAfterMs].every((n) => Number.isFinite(n) && n >= 0) || !(maxKeys >= 1)) {
      throw new Error(`fenghuo: bad throttle options ${JSON.stringify(this.opts)}`);
    }
    if (forgetAfterMs < maxDelayMs) throw new Error('fenghuo: throttle forgetAfterMs must be at least maxDelayMs');
  }

  check(key: string): ThrottleState {
    const now = this.clock();
    const s = this.live(key, now);
    return s === undefined ? { waitMs: 0, triesLeft: this.opts.freeFailures } : this.stateOf(s, now);
  }

  /** Counts a failure of the key; returns where it stands afterwards. */
  fail(key: string): ThrottleState {
    const now = this.clock();
    const s = this.live(key, now) ?? { failures: 0, lastFailureAt: now, until: now };
    s.failures += 1;
    s.lastFailureAt = now;
    const past = s.failures - this.opts.freeFailures;
    if (past > 0) s.until = Math.max(s.until, now + this.delayMs(past));
    this.keys.delete(key);
    this.keys.set(key, s);
    while (this.keys.size > this.opts.maxKeys) {
      const oldest = this.keys.keys().next().value;
      if (oldest === undefined) break;
      this.keys.delete(oldest);
    }
    return this.stateOf(s, now);
  }

  succeed(key: string): void {
    this.keys.delete(key);
  }

  /** How many keys are remembered (for tests and health). */
  size(): number {
    return this.keys.size;
  }

  private stateOf(s: KeyState, now: number): ThrottleState {
    return { waitMs: Math.max(0, s.until - now), triesLeft: Math.max(0, this.opts.freeFailures - s.failures) };
  }

  /** The wait after the `n`th failure past the free ones (n >= 1). */
  private delayMs(n: number): number {
    // 2^(n-1) grows past any cap long before 2^40; clamping the exponent keeps the number finite.
    return Math.min(this.opts.baseDelayMs * 2 ** Math.min(n - 1, 40), this.opts.maxDelayMs);
  }

  private live(key: string, now: number): KeyState | undefined {
    const s = this.keys.get(key);
    if (s === undefined) return undefined;
    if (now - s.lastFailureAt >= this.opts.forgetAfterMs) {
      this.keys.delete(key);
      return undefined;
    }
    return s;
  }
}

/** A login attempt: where it comes from and which account it names. */
export interface LoginAttempt {
  /** The client address (the socket's peer). */
  readonly address: string;
  /**
   * The account the attempt names, as the limiter should tell accounts apart: the caller folds case (names compare
   * regardless of it) and may add the password's generation, so that setting a new password starts afresh.
   */
  readonly account: string;
  /** The request came from a browser with a live session (a known device): its address's failures do not hold it back. */
  readonly knownDevice?: boolean;
}

export interface LoginThrottleOptions {
  /** Failures from one address, whatever names they tried (10 free by default). */
  readonly perAddress: ThrottleOptions;
  /** Failures from one address for one name (5 free by default). */
  readonly perPair: ThrottleOptions;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  perAddress: { ...DEFAULT_THROTTLE, freeFailures: 10 },
  perPair: { ...DEFAULT_THROTTLE, freeFailures: 5 },
};

/**
 * The login throttle: failed logins count against the client address and against the (address, name) pair, never
 * against a name alone, so wrong passwords from one address never slow down a login from another. An attempt waits
 * for the longer of its keys' delays; the tries left are the fewer of the two. A success clears the pair only (the
 * address keeps its count, so logging in to one's own account does not reset a spray over other names).
 */
export class LoginRateLimiter {
  private readonly byAddress: FailureThrottle;
  private readonly byPair: FailureThrottle;

  constructor(clock: Clock, opts: { readonly perAddress?: Partial<ThrottleOptions>; readonly perPair?: Partial<ThrottleOptions> } = {}) {
    this.byAddress = new FailureThrottle(clock, { ...DEFAULT_LOGIN_THROTTLE.perAddress, ...opts.perAddress });
    this.byPair = new FailureThrottle(clock, { ...DEFAULT_LOGIN_THROTTLE.perPair, ...opts.perPair });
  }

  check(attempt: LoginAttempt): ThrottleState {
    const pair = this.byPair.check(pairKey(attempt));
    return attempt.knownDevice === true ? pair : worst(pair, this.byAddress.check(attempt.address));
  }

  recordFailure(attempt: LoginAttempt): ThrottleState {
    const pair = this.byPair.fail(pairKey(attempt));
    const address = this.byAddress.fail(attempt.address);
    return attempt.knownDevice === true ? pair : worst(pair, address);
  }

  recordSuccess(attempt: LoginAttempt): void {
    this.byPair.succeed(pairKey(attempt));
  }

  size(): number {
    return this.byAddress.size() + this.byPair.size();
  }
}

function pairKey(a: LoginAttempt): string {
  // JSON keeps the two parts apart whatever characters the name has.
  return JSON.stringify([a.address, a.account]);
}

function worst(a: ThrottleState, b: ThrottleState): ThrottleState {
  return { waitMs: Math.max(a.waitMs, b.waitMs), triesLeft: Math.min(a.triesLeft, b.triesLeft) };
}

/** `::ffff:10.0.0.7` (an IPv4 client of a dual-stack socket) and `10.0.0.7` are one client. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** 127.0.0.0/8 and ::1 (also IPv4-mapped): a client on the box itself. */
export function isLoopbackAddress(address: string): boolean {
  const a = normalizeAddress(address);
  return /^127(?:\.\d{1,3}){3}$/.test(a) || a === '::1' || a === '0:0:0:0:0:0:0:1';
}
