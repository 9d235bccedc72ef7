import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from './password.js';
import { FailureThrottle, LoginRateLimiter, type ThrottleOptions } from './rate-limit.js';
import { SessionStore, type SessionOptions } from './sessions.js';
import { SetupCode } from './setup-code.js';
import { ApiTokens, type ApiTokenConfig } from './tokens.js';
import { UserStore } from './users.js';

/** Everything the HTTP layer needs to sign people in and check requests (`createApp({ auth })`). */
export interface Auth {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly tokens: ApiTokens;
  /** Failed logins, per client address and per (address, name). */
  readonly limiter: LoginRateLimiter;
  /** Unknown bearer tokens, per client address. */
  readonly tokenLimiter: FailureThrottle;
  /** Wrong first-run setup codes, per client address. */
  readonly setupLimiter: FailureThrottle;
  /** The one-time setup code asked of a first-run setup from beyond loopback (a Module: the daemon starts it). */
  readonly setupCode: SetupCode;
  readonly log: Logger;
  readonly clock: Clock;
}

export interface AuthOptions {
  /** A migrated database (migration 4 made `users` and `sessions`). */
  readonly db: Db;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Config `http.apiTokens`. */
  readonly apiTokens?: readonly ApiTokenConfig[];
  readonly sessions?: Partial<SessionOptions>;
  readonly rateLimit?: { readonly perAddress?: Partial<ThrottleOptions>; readonly perPair?: Partial<ThrottleOptions> };
  readonly tokenThrottle?: Partial<ThrottleOptions>;
  readonly setupThrottle?: Partial<ThrottleOptions>;
  readonly scryptCost?: ScryptCost;
  /** The data dir: the setup code is written there for `fenghuo setup-code`. */
  readonly dataDir?: string;
  /** The HTTP listen address: beyond loopback with no account, the box logs a warning. */
  readonly listen?: string;
}

export function createAuth(opts: AuthOptions): Auth {
  const clock = opts.clock ?? systemClock;
  const users = new UserStore(opts.db, clock, opts.scryptCost ?? DEFAULT_SCRYPT_COST);
  return {
    users,
    sessions: new SessionStore(opts.db, clock, opts.sessions),
    tokens: new ApiTokens(opts.apiTokens),
    limiter: new LoginRateLimiter(clock, opts.rateLimit),
    tokenLimiter: new FailureThrottle(clock, opts.tokenThrottle),
    setupLimiter: new FailureThrottle(clock, opts.setupThrottle),
    setupCode: new SetupCode({
      users,
      log: opts.log,
      ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
      ...(opts.listen === undefined ? {} : { listen: opts.listen }),
    }),
    log: opts.log,
    clock,
  };
}

export { ROLES, roleAtLeast, type Role } from './roles.js';
export type { ApiTokenConfig } from './tokens.js';
