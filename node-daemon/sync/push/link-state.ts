/**
 * The county link as `GET /api/v1/health` shows it under `sync` (docs/sync.md, "Link economy"). Pure.
 *
 * States:
 * - `not_enrolled`: the box has no enrolment (`fenghuo enroll`), so nothing is pushed;
 * - `up`: the last exchange with the hub succeeded;
 * - `over_budget`: the daily or monthly byte budget is spent (and the last attempt, if any, did not fail): only
 *   alarm records go;
 * - `backoff`: the last attempt failed (no answer, a hub error, an answer not signed by the county) and the box
 *   waits to try again; fewer than DOWN_AFTER_FAILURES in a row;
 * - `down`: DOWN_AFTER_FAILURES failures in a row or more, the hub refused the box itself (400, 401, 403: revoked,
 *   unknown, a signature it will not take), or nothing has been exchanged yet since start. The box still retries
 *   on its backoff.
 */
import type { Lane } from '../outbox/lanes.js';

export const SYNC_LINK_STATES = ['up', 'down', 'backoff', 'over_budget', 'not_enrolled'] as const;
export type SyncLinkState = (typeof SYNC_LINK_STATES)[number];

export const DOWN_AFTER_FAILURES = 3;

export interface SyncLaneBacklog {
  /** Records waiting after the lane's cursor. */
  readonly records: number;
  /** Their approximate size, uncompressed JSON bytes. */
  readonly bytes: number;
  /** How long the oldest has waited (box clock), null when none waits. */
  readonly oldestAgeMs: number | null;
}

export interface SyncBudgetHealth {
  /** Bytes on the wire today / this month (site.timezone), requests and answers, headers included. */
  readonly dayBytes: number;
  readonly monthBytes: number;
  /** The limits (`sync.budget`), when set. */
  readonly dailyBytes?: number;
  readonly monthlyBytes?: number;
}

/** `sync` in GET /api/v1/health (http/schemas.ts `syncHealthSchema` is its documented shape). */
export interface SyncHealth {
  readonly state: SyncLinkState;
  /** The hub's origin (from the enrolment). */
  readonly hub?: string;
  /** Box clock (UTC ms) of the last exchange the hub answered with its marks. */
  readonly lastSuccessAt?: number;
  readonly lastError?: { readonly ts: number; readonly message: string };
  /** While backing off: when the next attempt is due (box clock). */
  readonly nextAttemptAt?: number;
  readonly backlog: Readonly<Record<Lane, SyncLaneBacklog>>;
  readonly budget: SyncBudgetHealth;
  /** Hub clock − box clock, learned from the hub's signed answers (0 until the first). */
  readonly offsetMs: number;
}

export interface LinkFacts {
  readonly enrolled: boolean;
  /** Failed attempts in a row (0 after a success). */
  readonly failures: number;
  /** The last failure was the hub refusing the box (400/401/403/415). */
  readonly refused: boolean;
  /** Whether any exchange has succeeded since start. */
  readonly everUp: boolean;
  readonly overBudget: boolean;
}

export function linkState(f: LinkFacts): SyncLinkState {
  if (!f.enrolled) return 'not_enrolled';
  if (f.failures > 0) return f.refused || f.failures >= DOWN_AFTER_FAILURES ? 'down' : 'backoff';
  if (f.overBudget) return 'over_budget';
  return f.everUp ? 'up' : 'down';
}
