import type { MigrationStep } from '../store/migration-step.js';

/**
 * v6: the county's accounts for the hub page and its API (hub/accounts). Names are unique regardless of case
 * (`name_key` is the name NFC-normalized and lower-cased; `name` keeps the spelling given). An account is disabled,
 * never deleted, so who issued an order stays resolvable. Sessions keep only the SHA-256 of their id (the cookie
 * value). hub_login_failures is the login throttle every hub process shares (one row per throttle key), so several
 * processes behind a load balancer do not each give a guesser a fresh allowance.
 */
export const ACCOUNTS_MIGRATION: MigrationStep = {
  version: 6,
  name: 'hub_accounts, hub_sessions, hub_login_failures: the county page\'s accounts, sessions and login throttle',
  sql: [
    `CREATE TABLE hub_accounts (
      name_key TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      disabled_at BIGINT
    )`,
    `CREATE TABLE hub_sessions (
      id_hash TEXT PRIMARY KEY,
      account_key TEXT NOT NULL,
      csrf_token TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    )`,
    `CREATE INDEX hub_sessions_account ON hub_sessions (account_key)`,
    `CREATE TABLE hub_login_failures (
      throttle_key TEXT PRIMARY KEY,
      failures BIGINT NOT NULL,
      last_failure_at BIGINT NOT NULL,
      until_at BIGINT NOT NULL
    )`,
    `CREATE INDEX hub_login_failures_last ON hub_login_failures (last_failure_at)`,
  ],
};
