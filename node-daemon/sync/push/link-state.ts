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
 * - `stale_database`: the hub refused this database (409 stale_database): it holds a newer one of this box; the
 *   installer must act (docs/sync.md, "A box whose database is new"). The box keeps retrying on its backoff.
 * - `certificate_refused`: the https hub showed a certificate whose key is not the one pinned at enrolment (or,
 *   for a hub enrolled unpinned, one the system's CAs refuse); nothing was sent. The box keeps retrying.
 */
import type { ContentHealth } from '../content/plan.js';
import type { ImagesHealth } from '../image-upload/plan.js';
import type { Lane } from '../outbox/lanes.js';
import type { OrdersHealth } from '../orders/orders-health.js';

export const SYNC_LINK_STATES = ['up', 'down', 'backoff', 'over_budget', 'not_enrolled', 'stale_database', 'certificate_refused'] as const;
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

/** A record the hub refused as malformed, set aside by the box (isolate.ts, set-aside.ts). */
export interface SetAsideRecord {
  readonly seq: number;
  readonly lane: Lane;
  /** The record's kind (outbox/records.ts; written out here so the UI's types need nothing of Node). */
  readonly kind: 'alarm' | 'health' | 'readings' | 'aggregates' | 'audit' | 'recording';
  /** When the box committed it (UTC ms, box clock). */
  readonly ts: number;
  /** When it was set aside (UTC ms, box clock). */
  readonly at: number;
  /** What the hub said. */
  readonly reason: string;
}

export interface SetAsideHealth {
  /** Records set aside in all. */
  readonly count: number;
  /** The newest few, newest last. */
  readonly recent: readonly SetAsideRecord[];
}

/** `sync` in GET /api/v1/health (http/schemas.ts `syncHealthSchema` is its documented shape). */
export interface SyncHealth {
  readonly state: SyncLinkState;
  /** The hub's origin (from the enrolment). */
  readonly hub?: string;
  /** The id the box pushes and serves its feed as (the enrolled one when enrolled). */
  readonly boxId?: string;
  /** `sync.boxId` when it differs from the enrolled id (which wins). */
  readonly configuredBoxId?: string;
  /** The hub's TLS key pin from the enrolment (https hubs). */
  readonly tlsPin?: string;
  /** Box clock (UTC ms) of the last exchange the hub answered with its marks. */
  readonly lastSuccessAt?: number;
  readonly lastError?: { readonly ts: number; readonly message: string };
  /** While backing off: when the next attempt is due (box clock). */
  readonly nextAttemptAt?: number;
  readonly backlog: Readonly<Record<Lane, SyncLaneBacklog>>;
  readonly budget: SyncBudgetHealth;
  /** Hub clock − box clock, learned from the hub's signed answers (0 until the first). */
  readonly offsetMs: number;
  /** Records the hub refused as malformed and the box set aside (absent when none ever was). */
  readonly setAside?: SetAsideHealth;
  /** While narrowing down a request the hub refused as malformed: records per request. */
  readonly isolating?: { readonly maxRecords: number; readonly since: number };
  /** The county's content downloads (sync/content; docs/sync.md "Content"). */
  readonly content?: ContentHealth;
  /** The county's downstream orders (sync/orders; docs/sync.md "Downstream"). */
  readonly orders?: OrdersHealth;
  /** The camera pictures to the hub (sync/image-upload; docs/sync.md "Camera pictures to the hub"). */
  readonly images?: ImagesHealth;
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
  /** The last failure needs the installer: the hub refused this database, or its certificate was refused. */
  readonly problem?: 'stale_database' | 'certificate_refused';
}

export function linkState(f: LinkFacts): SyncLinkState {
  if (!f.enrolled) return 'not_enrolled';
  if (f.failures > 0 && f.problem !== undefined) return f.problem;
  if (f.failures > 0) return f.refused || f.failures >= DOWN_AFTER_FAILURES ? 'down' : 'backoff';
  if (f.overBudget) return 'over_budget';
  return f.everUp ? 'up' : 'down';
}
