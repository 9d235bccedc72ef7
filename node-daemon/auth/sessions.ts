import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/types.js';
import type { Db } from '../storage/database.js';
import { isRole, type Role } from './roles.js';

export interface SessionOptions {
  /** A session unused this long ends. Default 12 h. */
  readonly idleMs: number;
  /** A session ends this long after sign-in, however busy. Default 7 days. */
  readonly absoluteMs: number;
  /** last_seen_at is written at most this often per session (each write is an fsync on the flash card). Default 60 s. */
  readonly touchEveryMs: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = { idleMs: 12 * 3_600_000, absoluteMs: 7 * 24 * 3_600_000, touchEveryMs: 60_000 };

export interface Session {
  /** Hex SHA-256 of the session id: the only form the id is stored in. */
  readonly idHash: string;
  readonly userName: string;
  /** The user's role now (read from `users` on every lookup, so a changed role or a deleted user takes effect at once). */
  readonly role: Role;
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
}

interface SessionRow {
  id_hash: string;
  user_name: string;
  role: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

const ID_BYTES = 32;

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfTokenMatches(session: Pick<Session, 'csrfToken'>, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(session.csrfToken, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Sign-in sessions in SQLite (table `sessions`, migration 4), so they survive a restart. The session id (the cookie
 * value) and the CSRF token are 32 random bytes each; only a SHA-256 of the id is stored, so a copy of the database
 * does not let anyone in.
 */
export class SessionStore {
  readonly opts: SessionOptions;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    opts: Partial<SessionOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SESSION_OPTIONS, ...opts };
  }

  /** Starts a session for an existing user; returns the id to put in the cookie (never stored) and the session. */
  create(userName: string): { id: string; session: Session } {
    const now = this.clock();
    this.prune();
    const id = randomBytes(ID_BYTES).toString('base64url');
    const csrfToken = randomBytes(ID_BYTES).toString('base64url');
    const idHash = hashSessionId(id);
    const expiresAt = now + this.opts.absoluteMs;
    this.db
      .prepare('INSERT INTO sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(idHash, userName, csrfToken, now, now, expiresAt);
    const session = this.byHash(idHash);
    if (session === undefined) throw new Error(`fenghuo: no user ${userName} to start a session for`);
    return { id, session };
  }

  /** The live session with this id, touched; undefined (and deleted if it was there) when unknown or expired. */
  lookup(id: string): Session | undefined {
    if (id.length === 0 || id.length > 128) return undefined;
    const idHash = hashSessionId(id);
    const session = this.byHash(idHash);
    if (session === undefined) return undefined;
    const now = this.clock();
    if (!this.unexpired(session, now)) {
      this.deleteByHash(idHash);
      return undefined;
    }
    if (now - session.lastSeenAt >= this.opts.touchEveryMs) {
      this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(now, idHash);
      return { ...session, lastSeenAt: now };
    }
    return session;
  }

  /**
   * Whether the session is still live: not logged out, not ended by a password change, its user not deleted, not
   * expired (idle or absolute). Reads only, never touches it: for long-lived answers (the live event stream) to learn
   * that the session they were opened with has ended.
   */
  isLive(idHash: string): boolean {
    const session = this.byHash(idHash);
    return session !== undefined && this.unexpired(session, this.clock());
  }

  /** Neither past its absolute end nor idle too long. */
  private unexpired(session: Session, now: number): boolean {
    return now < session.expiresAt && now < session.lastSeenAt + this.opts.idleMs;
  }

  deleteByHash(idHash: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(idHash);
  }

  /** Ends every session of a user, but the one named (e.g. the admin's own after changing their password). */
  deleteForUser(userName: string, exceptIdHash?: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE user_name = ? AND id_hash <> ?').run(userName, exceptIdHash ?? '').changes;
  }

  /** Deletes expired sessions; returns how many. */
  prune(): number {
    const now = this.clock();
    return this.db.prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?').run(now, now - this.opts.idleMs).changes;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }

  private byHash(idHash: string): Session | undefined {
    const row = this.db
      .prepare('SELECT s.*, u.role FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = ?')
      .get(idHash) as SessionRow | undefined;
    if (row === undefined || !isRole(row.role)) return undefined;
    return {
      idHash: row.id_hash,
      userName: row.user_name,
      role: row.role,
      csrfToken: row.csrf_token,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
    };
  }
}
