import {
  DEFAULT_LOGIN_THROTTLE,
  FailureThrottle,
  type LoginAttempt,
  type ThrottleOptions,
  type ThrottleState,
} from '../../node-daemon/auth/rate-limit.js';
import type { SqlPort } from '../store/sql-port.js';

/**
 * The wait the box's throttle policy (node-daemon/auth/rate-limit.ts: free tries, then a doubling delay up to a cap)
 * puts on a key after `failures` failures in a row. Asked of the policy itself rather than written again: a
 * FailureThrottle on a frozen clock is failed that many times. Past ~40 failures the delay is at its cap anyway.
 */
export function policyWaitMs(opts: ThrottleOptions, failures: number): number {
  const probe = new FailureThrottle(() => 0, opts);
  let state = probe.check('k');
  for (let i = 0; i < Math.min(failures, opts.freeFailures + 48); i++) state = probe.fail('k');
  return state.waitMs;
}

/**
 * One throttle key per row of hub_login_failures, shared by every hub process on the database (in-process counters
 * would give a guesser a fresh allowance at each process behind the load balancer). Same rules as the box's
 * FailureThrottle: `forgetAfterMs` without a failure forgets a key; a success forgets it.
 */
export class SharedThrottle {
  constructor(
    private readonly sql: SqlPort,
    private readonly clock: () => number,
    readonly opts: ThrottleOptions,
    private readonly prefix: string,
  ) {}

  async check(key: string): Promise<ThrottleState> {
    const now = this.clock();
    const row = (await this.sql.all('SELECT failures, last_failure_at, until_at FROM hub_login_failures WHERE throttle_key = $1', [this.prefix + key]))[0];
    if (row === undefined || now - Number(row.last_failure_at) >= this.opts.forgetAfterMs) return { waitMs: 0, triesLeft: this.opts.freeFailures };
    return { waitMs: Math.max(0, Number(row.until_at) - now), triesLeft: Math.max(0, this.opts.freeFailures - Number(row.failures)) };
  }

  async fail(key: string): Promise<ThrottleState> {
    const now = this.clock();
    const k = this.prefix + key;
    // One statement counts the failure (starting afresh when the key was forgotten): two processes never lose one.
    const row = (
      await this.sql.all(
        `INSERT INTO hub_login_failures (throttle_key, failures, last_failure_at, until_at) VALUES ($1, 1, $2, $2)
         ON CONFLICT (throttle_key) DO UPDATE SET
           failures = CASE WHEN $2 - hub_login_failures.last_failure_at >= $3 THEN 1 ELSE hub_login_failures.failures + 1 END,
           until_at = CASE WHEN $2 - hub_login_failures.last_failure_at >= $3 THEN $2 ELSE hub_login_failures.until_at END,
           last_failure_at = $2
         RETURNING failures, until_at`,
        [k, now, this.opts.forgetAfterMs],
      )
    )[0];
    const failures = Number(row?.failures ?? 1);
    let until = Number(row?.until_at ?? now);
    const wait = policyWaitMs(this.opts, failures);
    if (now + wait > until) {
      until = now + wait;
      await this.sql.run('UPDATE hub_login_failures SET until_at = $2 WHERE throttle_key = $1 AND until_at < $2', [k, until]);
    }
    return { waitMs: Math.max(0, until - now), triesLeft: Math.max(0, this.opts.freeFailures - failures) };
  }

  async succeed(key: string): Promise<void> {
    await this.sql.run('DELETE FROM hub_login_failures WHERE throttle_key = $1', [this.prefix + key]);
  }

  /** Forgets keys with no failure for `forgetAfterMs`. */
  async prune(): Promise<number> {
    return this.sql.run('DELETE FROM hub_login_failures WHERE throttle_key LIKE $1 AND last_failure_at <= $2', [`${this.prefix}%`, this.clock() - this.opts.forgetAfterMs]);
  }
}

/**
 * The box's login rules (LoginRateLimiter in node-daemon/auth/rate-limit.ts) on the shared table: failures count
 * against the client address (10 free) and the (address, name) pair (5 free), never against a name alone; an
 * attempt waits for the longer of its keys' delays; a success clears the pair only; a browser with a live session
 * is held back only by its pair.
 */
export class HubLoginThrottle {
  readonly byAddress: SharedThrottle;
  readonly byPair: SharedThrottle;

  constructor(sql: SqlPort, clock: () => number, opts: { readonly perAddress?: Partial<ThrottleOptions>; readonly perPair?: Partial<ThrottleOptions> } = {}) {
    this.byAddress = new SharedThrottle(sql, clock, { ...DEFAULT_LOGIN_THROTTLE.perAddress, ...opts.perAddress }, 'address:');
    this.byPair = new SharedThrottle(sql, clock, { ...DEFAULT_LOGIN_THROTTLE.perPair, ...opts.perPair }, 'pair:');
  }

  async check(attempt: LoginAttempt): Promise<ThrottleState> {
    const pair = await this.byPair.check(pairKey(attempt));
    return attempt.knownDevice === true ? pair : worst(pair, await this.byAddress.check(attempt.address));
  }

  async recordFailure(attempt: LoginAttempt): Promise<ThrottleState> {
    const pair = await this.byPair.fail(pairKey(attempt));
    const address = await this.byAddress.fail(attempt.address);
    await this.byAddress.prune();
    await this.byPair.prune();
    return attempt.knownDevice === true ? pair : worst(pair, address);
  }

  async recordSuccess(attempt: LoginAttempt): Promise<void> {
    await this.byPair.succeed(pairKey(attempt));
  }
}

function pairKey(a: LoginAttempt): string {
  return JSON.stringify([a.address, a.account]);
}

function worst(a: ThrottleState, b: ThrottleState): ThrottleState {
  return { waitMs: Math.max(a.waitMs, b.waitMs), triesLeft: Math.min(a.triesLeft, b.triesLeft) };
}
