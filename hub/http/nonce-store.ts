import type { Clock } from '../../node-daemon/core/types.js';
import {
  DEFAULT_REPLAY_GUARD,
  ReplayGuard,
  type FreshnessParams,
  type GuardResult,
  type ReplayGuardOptions,
} from '../../node-daemon/sync/protocol/index.js';

/**
 * The hub's memory of accepted (key id, nonce) pairs: the replay guard of docs/sync-signatures.md ("Replay window
 * and nonces"), behind an async interface so that several hub processes can share one.
 *
 * - `MemoryNonceStore`: the protocol's in-memory `ReplayGuard`. Right for one hub process (the default). With several
 *   processes each keeps its own: a replay sent to another process within the window is not caught (ingest is
 *   idempotent regardless, so a replay stores nothing twice).
 * - `TableNonceStore`: the same rules over a shared table (`NonceTable`), which a hub store would provide:
 *
 *       CREATE TABLE hub_nonces (keyid TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL,
 *                                PRIMARY KEY (keyid, nonce))
 *       CREATE INDEX hub_nonces_expiry ON hub_nonces (expires_at)
 *
 *   `remember` = in one transaction: delete rows with `expires_at < now` (or do it every minute or so), refuse
 *   `full` when the table holds `maxEntries` rows or the key `maxEntriesPerKey`, then
 *   `INSERT … ON CONFLICT (keyid, nonce) DO NOTHING`: one row inserted is `remembered`, none is `seen` (the unique
 *   key decides between two processes racing with the same capture: exactly one inserts).
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
  remember(
    entry: { readonly keyid: string; readonly nonce: string; readonly expiresAt: number },
    now: number,
    bounds: { readonly maxEntries: number; readonly maxEntriesPerKey: number },
  ): Promise<'remembered' | 'seen' | 'full'>;
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
    return { ok: false, reason: 'replay_cache_full', detail: 'the shared nonce memory is full' };
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
