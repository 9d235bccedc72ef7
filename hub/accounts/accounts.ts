import { DEFAULT_SCRYPT_COST, type ScryptCost } from '../../node-daemon/auth/password.js';
import type { ThrottleOptions } from '../../node-daemon/auth/rate-limit.js';
import type { SessionOptions } from '../../node-daemon/auth/sessions.js';
import type { SqlPort } from '../store/sql-port.js';
import { AccountStore } from './account-store.js';
import { HubLoginThrottle } from './login-throttle.js';
import { HubSessionStore } from './session-store.js';

/** What the hub's auth and accounts routes need: accounts, sessions and the login throttle, all in the hub's database. */
export interface HubAccounts {
  readonly accounts: AccountStore;
  readonly sessions: HubSessionStore;
  readonly throttle: HubLoginThrottle;
}

export interface HubAccountsOptions {
  readonly clock?: () => number;
  /** Tests lower it; the default is the box's (node-daemon/auth/password.ts). */
  readonly scryptCost?: ScryptCost;
  readonly sessions?: Partial<SessionOptions>;
  readonly throttle?: { readonly perAddress?: Partial<ThrottleOptions>; readonly perPair?: Partial<ThrottleOptions> };
}

export function createHubAccounts(sql: SqlPort, opts: HubAccountsOptions = {}): HubAccounts {
  const clock = opts.clock ?? Date.now;
  return {
    accounts: new AccountStore(sql, clock, opts.scryptCost ?? DEFAULT_SCRYPT_COST),
    sessions: new HubSessionStore(sql, clock, opts.sessions),
    throttle: new HubLoginThrottle(sql, clock, opts.throttle),
  };
}
