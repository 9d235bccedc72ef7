/**
 * Records the hub refused as malformed and the box set aside (isolate.ts; docs/sync.md, "A record the hub cannot
 * read"): how many in all and the last few, kept in the box database (`meta` row `sync_set_aside`) so that health
 * still shows them after a restart, and which seqs the push leaves out until the hub's mark passes them. The
 * records themselves stay in the change log (and the pull feed).
 */
import type { Db } from '../../storage/database.js';
import type { Lane } from '../outbox/lanes.js';
import type { SetAsideHealth, SetAsideRecord } from './link-state.js';

const KEY = 'sync_set_aside';
export const SET_ASIDE_KEPT = 20;

interface Stored extends SetAsideHealth {
  /** Set-aside seqs their lane's cursor has not passed yet: left out of every request until it does. */
  readonly skip: readonly { readonly lane: Lane; readonly seq: number }[];
}

const EMPTY: Stored = { count: 0, recent: [], skip: [] };

function isStored(v: unknown): v is Stored {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['count'] === 'number' && Array.isArray(o['recent']) && Array.isArray(o['skip']);
}

export class SetAsideStore {
  private readonly get;
  private readonly put;

  constructor(db: Db) {
    this.get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.put = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  private load(): Stored {
    const row = this.get.get(KEY);
    if (row === undefined) return EMPTY;
    try {
      const parsed: unknown = JSON.parse(row.value);
      return isStored(parsed) ? parsed : EMPTY;
    } catch {
      return EMPTY;
    }
  }

  /** For the health view. */
  read(): SetAsideHealth {
    const { count, recent } = this.load();
    return { count, recent };
  }

  add(r: SetAsideRecord): void {
    const now = this.load();
    const next: Stored = { count: now.count + 1, recent: [...now.recent, r].slice(-SET_ASIDE_KEPT), skip: [...now.skip, { lane: r.lane, seq: r.seq }] };
    this.put.run(KEY, JSON.stringify(next));
  }

  /**
   * The seqs of `lane` to leave out of requests: set aside and still after the lane's cursor. The hub's mark passes
   * them with the next record of the lane it stores (a lane's `after` never moves past a record the hub has not
   * got, or the hub would answer 409); seqs at or below the cursor are forgotten.
   */
  skipped(lane: Lane, cursor: number): Set<number> {
    const now = this.load();
    const keep = now.skip.filter((s) => s.lane !== lane || s.seq > cursor);
    if (keep.length !== now.skip.length) this.put.run(KEY, JSON.stringify({ ...now, skip: keep }));
    return new Set(keep.filter((s) => s.lane === lane).map((s) => s.seq));
  }
}
