import type { SqlPort, SqlRow } from '../store/sql-port.js';

/**
 * The pull lease and status per box (table hub_pull_targets, pull-migration.ts), through the plain-SQL port so the
 * same statements run on SQLite and PostgreSQL. Taking the lease is ONE conditional upsert: it succeeds when the row
 * is new, already ours, or its lease lapsed; PostgreSQL locks the row for the upsert, so of two processes racing for
 * a lapsed lease exactly one gets a row back. Times are UTC ms of the calling process's clock (hub processes on one
 * database are expected to keep NTP time; a lease is minutes, skew is seconds).
 */

/** What a pull target is doing: `pulling` (a round under way), `idle` (caught up), `backoff`, `standby` (another process holds it), `stopped`. */
export const PULL_STATES = ['starting', 'pulling', 'idle', 'backoff', 'standby', 'stopped'] as const;
export type PullState = (typeof PULL_STATES)[number];

export interface PullStatus {
  readonly boxId: string;
  /** The hub process holding the lease (`host:pid:random`). */
  readonly holder: string;
  readonly leaseUntil: number;
  /** The box's API origin pulled (no token). */
  readonly url: string | null;
  readonly state: string;
  readonly lastAttemptAt: number | null;
  readonly lastOkAt: number | null;
  readonly lastError: string | null;
  /** Failed rounds in a row. */
  readonly failures: number;
  readonly nextAt: number | null;
  /** Records stored from pulls by every holder so far (duplicates of pushed ones not counted). */
  readonly recordsPulled: number;
  readonly updatedAt: number;
}

export interface RoundReport {
  readonly state: PullState;
  readonly attemptAt: number;
  /** Set when the round succeeded. */
  readonly okAt?: number;
  readonly error: string | null;
  readonly failures: number;
  readonly nextAt: number | null;
  readonly stored: number;
}

const TAKE = `INSERT INTO hub_pull_targets (box_id, holder, lease_until, url, updated_at) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (box_id) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until, url = excluded.url,
    updated_at = excluded.updated_at
  WHERE hub_pull_targets.holder = excluded.holder OR hub_pull_targets.lease_until <= $5
  RETURNING holder`;

const REPORT = `UPDATE hub_pull_targets SET state = $3, last_attempt_at = $4, last_ok_at = COALESCE($5, last_ok_at), last_error = $6,
    failures = $7, next_at = $8, records_pulled = records_pulled + $9, updated_at = $10
  WHERE box_id = $1 AND holder = $2`;

const RELEASE = `UPDATE hub_pull_targets SET lease_until = 0, state = 'stopped', next_at = NULL, updated_at = $3 WHERE box_id = $1 AND holder = $2`;

const STATUS = `SELECT box_id, holder, lease_until, url, state, last_attempt_at, last_ok_at, last_error, failures, next_at, records_pulled,
    updated_at FROM hub_pull_targets WHERE box_id = $1`;

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toStatus(r: SqlRow): PullStatus {
  return {
    boxId: String(r['box_id']),
    holder: String(r['holder']),
    leaseUntil: Number(r['lease_until']),
    url: strOrNull(r['url']),
    state: String(r['state']),
    lastAttemptAt: numOrNull(r['last_attempt_at']),
    lastOkAt: numOrNull(r['last_ok_at']),
    lastError: strOrNull(r['last_error']),
    failures: Number(r['failures']),
    nextAt: numOrNull(r['next_at']),
    recordsPulled: Number(r['records_pulled']),
    updatedAt: Number(r['updated_at']),
  };
}

/** The leases of one hub process (`holder`). */
export class PullLeases {
  constructor(
    private readonly sql: SqlPort,
    readonly holder: string,
  ) {}

  /** Takes or renews the box's lease until `now + leaseMs`; false while another live holder has it. */
  async take(boxId: string, url: string, now: number, leaseMs: number): Promise<boolean> {
    const rows = await this.sql.all(TAKE, [boxId, this.holder, now + leaseMs, url, now]);
    return rows.length === 1 && rows[0]?.['holder'] === this.holder;
  }

  /** Writes the round's outcome, if this process still holds the box. */
  async report(boxId: string, r: RoundReport): Promise<void> {
    await this.sql.run(REPORT, [boxId, this.holder, r.state, r.attemptAt, r.okAt ?? null, r.error, r.failures, r.nextAt, r.stored, r.attemptAt]);
  }

  /** Lets the lease go at once (on stop), so another process takes over without waiting for it to lapse. */
  async release(boxId: string, now: number): Promise<void> {
    await this.sql.run(RELEASE, [boxId, this.holder, now]);
  }
}

/** The box's pull status as the last holder wrote it; undefined when no hub process ever pulled it. */
export async function pullStatus(sql: SqlPort, boxId: string): Promise<PullStatus | undefined> {
  const rows = await sql.all(STATUS, [boxId]);
  return rows[0] === undefined ? undefined : toStatus(rows[0]);
}
