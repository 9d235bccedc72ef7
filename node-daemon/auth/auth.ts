import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from './password.js';
import { LoginRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { SessionStore, type SessionOptions } from './sessions.js';
import { ApiTokens, type ApiTokenConfig } from './tokens.js';
import { UserStore } from './users.js';

/** Everything the HTTP layer needs to sign people in and check requests (`createApp({ auth })`). */
export interface Auth {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly tokens: ApiTokens;
  readonly limiter: LoginRateLimiter;
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
  readonly rateLimit?: Partial<RateLimitOptions>;
  readonly scryptCost?: ScryptCost;
}

export function createAuth(opts: AuthOptions): Auth {
  const clock = opts.clock ?? systemClock;
  return {
    users: new UserStore(opts.db, clock, opts.scryptCost ?? DEFAULT_SCRYPT_COST),
    sessions: new SessionStore(opts.db, clock, opts.sessions),
    tokens: new ApiTokens(opts.apiTokens),
    limiter: new LoginRateLimiter(clock, opts.rateLimit),
    log: opts.log,
    clock,
  };
}

export { ROLES, roleAtLeast, type Role } from './roles.js';
export type { ApiTokenConfig } from './tokens.js';
