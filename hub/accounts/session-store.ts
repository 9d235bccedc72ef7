import { randomBytes } from 'node:crypto';
import { DEFAULT_SESSION_OPTIONS, hashSessionId, type SessionOptions } from '../../node-daemon/auth/sessions.js';
import type { HubRole } from './roles.js';
import type { SqlPort } from '../store/sql-port.js';
import { accountKey, isHubRole } from './names.js';

export interface HubSession {
  /** Hex SHA-256 of the session id: the only form the id is stored in. */
  readonly idHash: string;
  readonly accountName: string;
  /** The account's role now (read on every lookup: a changed role takes effect at once). */
  readonly role: HubRole;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
}

const ID_BYTES = 32;

/**
 * Sign-in sessions in hub_sessions (migration v6), the box's rules (node-daemon/auth/sessions.ts: 12 h idle, 7 days
 * at most, the id and the CSRF token 32 random bytes each, only the id's SHA-256 stored), on whichever database the
 * hub runs: any hub process behind a load balancer knows every session.
 */
export class HubSessionStore {
  readonly opts: SessionOptions;

  constructor(
    private readonly sql: SqlPort,
    private readonly clock: () => number,
    opts: Partial<SessionOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SESSION_OPTIONS, ...opts };
  }

  /** A new session for an account; `id` is the cookie value (returned once, never stored). */
  async create(accountName: string): Promise<{ id: string; csrfToken: string; expiresAt: number }> {
    const id = randomBytes(ID_BYTES).toString('base64url');
    const csrfToken = randomBytes(ID_BYTES).toString('base64url');
    const now = this.clock();
    const expiresAt = now + this.opts.absoluteMs;
    await this.sql.run(
      `INSERT INTO hub_sessions (id_hash, account_key, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)`,
      [hashSessionId(id), accountKey(accountName), csrfToken, now, expiresAt],
    );
    return { id, csrfToken, expiresAt };
  }

  /** The live session with this id (its account enabled), touched at most every `touchEveryMs`; else undefined. */
  async lookup(id: string): Promise<HubSession | undefined> {
    if (id.length === 0 || id.length > 128) return undefined;
    const idHash = hashSessionId(id);
    const row = (
      await this.sql.all(
        `SELECT s.id_hash, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, a.name, a.role
           FROM hub_sessions s JOIN hub_accounts a ON a.name_key = s.account_key
          WHERE s.id_hash = $1 AND a.disabled_at IS NULL`,
        [idHash],
      )
    )[0];
    if (row === undefined || !isHubRole(row.role)) return undefined;
    const now = this.clock();
    const session: HubSession = {
      idHash,
      accountName: String(row.name),
      role: row.role,
      csrfToken: String(row.csrf_token),
      createdAt: Number(row.created_at),
      lastSeenAt: Number(row.last_seen_at),
      expiresAt: Number(row.expires_at),
    };
    if (now >= session.expiresAt || now >= session.lastSeenAt + this.opts.idleMs) {
      await this.delete(idHash);
      return undefined;
    }
    if (now - session.lastSeenAt >= this.opts.touchEveryMs) {
      await this.sql.run('UPDATE hub_sessions SET last_seen_at = $1 WHERE id_hash = $2', [now, idHash]);
      return { ...session, lastSeenAt: now };
    }
    return session;
  }

  async delete(idHash: string): Promise<void> {
    await this.sql.run('DELETE FROM hub_sessions WHERE id_hash = $1', [idHash]);
  }

  /** Deletes expired and idle sessions; returns how many. */
  async prune(): Promise<number> {
    const now = this.clock();
    return this.sql.run('DELETE FROM hub_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [now, now - this.opts.idleMs]);
  }
}
