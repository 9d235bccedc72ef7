import type { Clock } from '../../core/types.js';

/**
 * Freshness and replay checks for signed sync messages: pure, on an injected clock.
 *
 * A signature is accepted only when
 * - its `created` (signer's clock, whole seconds) is within ±`windowSec` of now (default 300 s): before that it is
 *   `too_old`, after it `from_future`;
 * - its `expires`, if present, has not passed (`expired`);
 * - its (key id, nonce) pair has not been accepted before within the window (`replayed`).
 *
 * Accepted pairs are remembered until their `created` is two windows old (one window would do, since the window check
 * alone refuses an older replay; the second absorbs a clock offset that moves back), so memory is bounded by the
 * traffic of a few windows. There is also a hard bound: at most `maxEntries` pairs, and at most `maxEntriesPerKey`
 * for one key id (so one noisy or hostile box cannot crowd out the others). When a bound is reached the message is
 * refused as `replay_cache_full`: never accepted unchecked.
 *
 * Clocks. "now" is `clock() + clockOffsetMs`: the offset is the caller's estimate of (the peer's clock − ours). The
 * hub, on NTP, leaves it at 0. The box has no real-time clock: until NTP or the hub tells it the time, its clock may
 * be anywhere. It learns the offset from the hub's signed responses (see `clockOffsetFromExchange`): a response bound
 * to the box's own fresh request (`"signature-input";req`) cannot be a replay, so its `created` is the hub's time
 * when it answered, whatever the box's clock says. The box then signs with `created` from its clock plus that offset,
 * and may give the same offset to its own guard.
 */

export interface FreshnessParams {
  readonly keyid: string;
  readonly nonce: string;
  /** Signer's `created`, UNIX seconds. */
  readonly created: number;
  /** Signer's `expires`, UNIX seconds. */
  readonly expires?: number;
}

export interface ReplayGuardOptions {
  /** Accepted distance of `created` from now, either way, in seconds. */
  readonly windowSec: number;
  /** Remembered (key id, nonce) pairs at most. */
  readonly maxEntries: number;
  /** Remembered pairs at most for one key id. */
  readonly maxEntriesPerKey: number;
}

export const DEFAULT_REPLAY_GUARD: ReplayGuardOptions = {
  windowSec: 300,
  maxEntries: 200_000,
  maxEntriesPerKey: 20_000,
};

export type GuardRefusalReason = 'too_old' | 'from_future' | 'expired' | 'replayed' | 'replay_cache_full' | 'malformed';

export type GuardResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: GuardRefusalReason; readonly detail: string };

interface Entry {
  readonly keyid: string;
}

/** A binary min-heap of (expiresAt, entry key): pops what leaves the window first. */
class ExpiryHeap {
  private readonly heap: Array<{ at: number; key: string }> = [];

  get size(): number {
    return this.heap.length;
  }

  push(at: number, key: string): void {
    const h = this.heap;
    h.push({ at, key });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as { at: number }).at <= (h[i] as { at: number }).at) break;
      [h[parent], h[i]] = [h[i] as { at: number; key: string }, h[parent] as { at: number; key: string }];
      i = parent;
    }
  }

  peek(): { at: number; key: string } | undefined {
    return this.heap[0];
  }

  pop(): { at: number; key: string } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && (h[l] as { at: number }).at < (h[m] as { at: number }).at) m = l;
        if (r < h.length && (h[r] as { at: number }).at < (h[m] as { at: number }).at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i] as { at: number; key: string }, h[m] as { at: number; key: string }];
        i = m;
      }
    }
    return top;
  }

}

const isUnixSeconds = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export class ReplayGuard {
  readonly opts: ReplayGuardOptions;
  private offsetMs = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly perKey = new Map<string, number>();
  private readonly heap = new ExpiryHeap();

  constructor(
    private readonly clock: Clock,
    opts: Partial<ReplayGuardOptions> = {},
  ) {
    this.opts = { ...DEFAULT_REPLAY_GUARD, ...opts };
    const { windowSec, maxEntries, maxEntriesPerKey } = this.opts;
    if (!(Number.isFinite(windowSec) && windowSec > 0) || !(Number.isInteger(maxEntries) && maxEntries >= 1) || !(Number.isInteger(maxEntriesPerKey) && maxEntriesPerKey >= 1)) {
      throw new Error(`fenghuo: bad replay guard options ${JSON.stringify(this.opts)}`);
    }
  }

  /** Now as the guard judges it: the local clock plus the learned offset, UNIX ms. */
  now(): number {
    return this.clock() + this.offsetMs;
  }

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /**
   * Sets the estimate of (peer clock − local clock). Pairs are remembered for two windows after their `created`, so
   * moving "now" back by up to one window re-opens nothing; a larger step back (only a wrong first estimate makes
   * one) could let a pair forgotten in that step be accepted again.
   */
  setClockOffsetMs(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) throw new Error('fenghuo: clock offset must be a finite number of ms');
    this.offsetMs = offsetMs;
  }

  /** Remembered pairs (after forgetting those out of the window). */
  get size(): number {
    this.purge(this.now());
    return this.entries.size;
  }

  /** The time checks alone (`created` window, `expires`), remembering nothing. */
  checkTime(p: Pick<FreshnessParams, 'created' | 'expires'>): GuardResult {
    return this.timeCheck(p, this.now());
  }

  /**
   * The full check, and if it passes the pair is remembered: call it only after the signature has verified, so a
   * forged message cannot use up a genuine nonce or the guard's memory.
   */
  accept(p: FreshnessParams): GuardResult {
    if (typeof p.keyid !== 'string' || p.keyid === '' || typeof p.nonce !== 'string' || p.nonce === '') {
      return { ok: false, reason: 'malformed', detail: 'no key id or nonce' };
    }
    const now = this.now();
    const t = this.timeCheck(p, now);
    if (!t.ok) return t;
    this.purge(now);
    const key = `${p.keyid}\n${p.nonce}`;
    if (this.entries.has(key)) return { ok: false, reason: 'replayed', detail: `nonce already used with key ${p.keyid}` };
    if (this.entries.size >= this.opts.maxEntries) {
      return { ok: false, reason: 'replay_cache_full', detail: `replay memory full (${this.opts.maxEntries} nonces in the window)` };
    }
    const forKey = this.perKey.get(p.keyid) ?? 0;
    if (forKey >= this.opts.maxEntriesPerKey) {
      return { ok: false, reason: 'replay_cache_full', detail: `key ${p.keyid} has ${forKey} nonces in the window, the most one key may` };
    }
    const expiresAt = p.created * 1000 + 2 * this.opts.windowSec * 1000;
    this.entries.set(key, { keyid: p.keyid });
    this.perKey.set(p.keyid, forKey + 1);
    this.heap.push(expiresAt, key);
    return { ok: true };
  }

  private timeCheck(p: Pick<FreshnessParams, 'created' | 'expires'>, now: number): GuardResult {
    if (!isUnixSeconds(p.created)) return { ok: false, reason: 'malformed', detail: 'created is not a UNIX time in seconds' };
    if (p.expires !== undefined) {
      if (!isUnixSeconds(p.expires)) return { ok: false, reason: 'malformed', detail: 'expires is not a UNIX time in seconds' };
      if (p.expires < p.created) return { ok: false, reason: 'malformed', detail: 'expires is before created' };
    }
    const windowMs = this.opts.windowSec * 1000;
    const createdMs = p.created * 1000;
    const ageS = Math.round((now - createdMs) / 1000);
    if (createdMs < now - windowMs) return { ok: false, reason: 'too_old', detail: `created ${ageS} s ago, window ${this.opts.windowSec} s` };
    if (createdMs > now + windowMs) return { ok: false, reason: 'from_future', detail: `created ${-ageS} s ahead, window ${this.opts.windowSec} s` };
    if (p.expires !== undefined && now >= p.expires * 1000) {
      return { ok: false, reason: 'expired', detail: `expired ${Math.round((now - p.expires * 1000) / 1000)} s ago` };
    }
    return { ok: true };
  }

  private purge(now: number): void {
    for (let top = this.heap.peek(); top !== undefined && top.at < now; top = this.heap.peek()) {
      this.heap.pop();
      const e = this.entries.get(top.key);
      if (e === undefined) continue;
      this.entries.delete(top.key);
      const n = (this.perKey.get(e.keyid) ?? 1) - 1;
      if (n <= 0) this.perKey.delete(e.keyid);
      else this.perKey.set(e.keyid, n);
    }
  }
}

/**
 * The peer's clock offset from one signed exchange: the request left at `sentAtMs` and the answer came at
 * `receivedAtMs` (local clock), signed with `created` = `peerCreatedSec` (peer clock, truncated to the second).
 * The peer signed somewhere in between, so offset = peer time − local midpoint, within ± `uncertaintyMs`
 * (half the round trip plus half a second for the truncation). Use only a response that verified and is bound to
 * the request just sent.
 */
export function clockOffsetFromExchange(x: { readonly sentAtMs: number; readonly receivedAtMs: number; readonly peerCreatedSec: number }): {
  offsetMs: number;
  uncertaintyMs: number;
} {
  const rtt = Math.max(0, x.receivedAtMs - x.sentAtMs);
  const midpoint = x.sentAtMs + rtt / 2;
  return { offsetMs: Math.round(x.peerCreatedSec * 1000 + 500 - midpoint), uncertaintyMs: Math.ceil(rtt / 2 + 500) };
}
