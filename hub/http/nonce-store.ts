import type { Clock } from '../../node-daemon/core/types.js';
import {
  DEFAULT_REPLAY_GUARD,
  ReplayGuard,
  type FreshnessParams,
  type GuardResult,
  type ReplayGuardOptions,
} from '../../node-daemon/sync/protocol/index.js';
import type { HubStore, NonceBounds, NonceOutcome } from '../store/types.js';

/**
 * The hub's memory of accepted (key id, nonce) pairs: the replay guard of docs/sync-signatures.md ("Replay window
 * and nonces"), behind an async interface so that several hub processes can share one.
 *
 * - `MemoryNonceStore`: the protocol's in-memory `ReplayGuard`. Right for one hub process (the SQLite default). With
 *   several processes each would keep its own: a replay sent to another process within the window would not be
 *   caught (ingest is idempotent regardless, so a replay stores nothing twice).
 * - `TableNonceStore`: the same rules over a shared table (`NonceTable`): the hub store's `hub_nonces` (schema v3,
 *   hub/store/migrations.ts). `remember` is, in one transaction: rows with `expires_at < now` deleted; an existing
 *   row is `seen`; `full` when the table holds `maxEntries` rows or the key `maxEntriesPerKey`; then
 *   `INSERT … ON CONFLICT (keyid, nonce) DO NOTHING`: one row inserted is `remembered`, none is `seen` (the unique
 *   key decides between two processes racing with the same capture: exactly one inserts).
 *
 * `nonceStoreFor` picks: the table whenever the store is PostgreSQL (several processes), and on SQLite when asked
 * (several processes on one file); the memory otherwise.
 *
 * Either way the time window (`created` within ±300 s, `expires`) is checked locally first, and a pair is remembered
 * only after the signature verified (the caller's order), so a forgery can neither use up a genuine nonce nor fill
 * the memory.
 */
export interface NonceStore {
  /** The window check, then remember (keyid, nonce) unless already remembered. Call only after the signature verified. */
  accept(p: FreshnessParams): Promise<GuardResult>;
}

export class MemoryNonceStore implements NonceStore {
  readonly guard: ReplayGuard;

  constructor(clock: Clock, opts: Partial<ReplayGuardOptions> = {}) {
    this.guard = new ReplayGuard(clock, opts);
  }

  async accept(p: FreshnessParams): Promise<GuardResult> {
    return this.guard.accept(p);
  }
}

/** What a shared nonce memory needs from a database (see NonceStore). */
export interface NonceTable {
  remember(entry: { readonly keyid: string; readonly nonce: string; readonly expiresAt: number }, now: number, bounds: NonceBounds): Promise<NonceOutcome>;
}

/** The hub store's `hub_nonces` as a NonceTable. */
export function storeNonceTable(store: Pick<HubStore, 'rememberNonce'>): NonceTable {
  return { remember: (entry, now, bounds) => store.rememberNonce(entry, now, bounds) };
}

/**
 * The hub's replay memory for `store`: shared through its table when the store is PostgreSQL (any number of hub
 * processes), or on SQLite with `shared: true`; in memory otherwise.
 */
export function nonceStoreFor(store: HubStore, clock: Clock, opts: { readonly shared?: boolean; readonly guard?: Partial<ReplayGuardOptions> } = {}): NonceStore {
  return store.dialect === 'postgres' || opts.shared === true
    ? new TableNonceStore(storeNonceTable(store), clock, opts.guard)
    : new MemoryNonceStore(clock, opts.guard);
}

export class TableNonceStore implements NonceStore {
  readonly #window: ReplayGuard;
  readonly #opts: ReplayGuardOptions;

  constructor(
    private readonly table: NonceTable,
    private readonly clock: Clock,
    opts: Partial<ReplayGuardOptions> = {},
  ) {
    this.#opts = { ...DEFAULT_REPLAY_GUARD, ...opts };
    // Used for its time checks only (checkTime remembers nothing).
    this.#window = new ReplayGuard(clock, this.#opts);
  }

  async accept(p: FreshnessParams): Promise<GuardResult> {
    if (typeof p.keyid !== 'string' || p.keyid === '' || typeof p.nonce !== 'string' || p.nonce === '') {
      return { ok: false, reason: 'malformed', detail: 'no key id or nonce' };
    }
    const t = this.#window.checkTime(p);
    if (!t.ok) return t;
    // Kept until `created` is two windows old, as the in-memory guard does.
    const expiresAt = p.created * 1000 + 2 * this.#opts.windowSec * 1000;
    const r = await this.table.remember({ keyid: p.keyid, nonce: p.nonce, expiresAt }, this.clock(), {
      maxEntries: this.#opts.maxEntries,
      maxEntriesPerKey: this.#opts.maxEntriesPerKey,
    });
    if (r === 'remembered') return { ok: true };
    if (r === 'seen') return { ok: false, reason: 'replayed', detail: `nonce already used with key ${p.keyid}` };
    return {
      ok: false,
      reason: 'replay_cache_full',
      detail: `shared replay memory full (at most ${this.#opts.maxEntries} nonces, ${this.#opts.maxEntriesPerKey} for one key)`,
    };
  }
}

/**
 * `verifyRequest` takes a synchronous guard; the hub's memory is a NonceStore, consulted right after the signature
 * and the digest verified, with the verified parameters. This guard therefore passes everything: use it only with a
 * NonceStore check following.
 */
export class NonceStoreFollows extends ReplayGuard {
  override accept(): GuardResult {
    return { ok: true };
  }
}
