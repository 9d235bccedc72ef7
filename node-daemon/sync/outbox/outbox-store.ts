/**
 * The box side of the county sync's record feed on SQLite (docs/sync.md): the lanes' cursors and their next records,
 * expanded into self-contained payloads; acknowledgements; the raw debt of batches sent as aggregates (the `bulk`
 * lane); backlog figures per lane; the persisted byte budget; and the pull feed's pages.
 *
 * Tables (migration 7): `sync_cursor (lane, acked_seq, acked_at)`, `sync_raw_debt (seq)`, and the (kind, seq)
 * index on change_log every lane read seeks with. Synchronous, like better-sqlite3; one store per database handle.
 *
 * Records are rebuilt from the database each time they are read, never cached: a batch read again (a resend after
 * a timeout) is the same record, byte for byte, as long as its rows are there (a batch whose raw readings retention
 * deleted goes partial, see records.ts).
 */
import { systemClock, type Clock } from '../../core/types.js';
import type { Db } from '../../storage/database.js';
import { qualityFromCode } from '../../storage/quality-codes.js';
import { AlarmStore } from '../../alarms/store/alarm-store.js';
import { ClockSpanStore } from '../../storage/clock-spans.js';
import { isBudgetState, type BudgetState } from './budget.js';
import { LANE_LOG_KINDS, LANES, LOG_KINDS, type FeedLane, type Lane, type LogKind } from './lanes.js';
import { readingsForm, type ReadingsFormOptions } from './readings-form.js';
import {
  aggregatesPayload,
  APPROX_BYTES,
  newestReadingTs,
  parseAlarmRef,
  parseBatchRef,
  readingsPayload,
  recordBytes,
  type AlarmPayload,
  type LoggedPayload,
  type ReadingTuple,
  type RecordingPayload,
  type SyncRecord,
} from './records.js';

export interface OutboxStoreOptions {
  /** A database migrated to version 7 or later. */
  readonly db: Db;
  /** Now, for the readings lane's raw-or-aggregates choice and the backlog's ages. */
  readonly clock?: Clock;
  /** When a readings batch goes as aggregates (default: every reading older than a day, more than 500 waiting). */
  readonly readingsForm?: ReadingsFormOptions;
}

/** A record ready for a request, with the bytes it adds to the body (uncompressed JSON). */
export interface OutboxRecord {
  readonly record: SyncRecord;
  readonly bytes: number;
}

export interface LaneCursor {
  /** The highest seq the hub acknowledged in the lane; 0 before the first acknowledgement. */
  readonly ackedSeq: number;
  /** When (box clock, UTC ms) the cursor last moved; null before the first acknowledgement. */
  readonly ackedAt: number | null;
}

export interface LaneBacklog {
  /** Records waiting after the lane's cursor. */
  readonly records: number;
  /** Their approximate size as uncompressed JSON (see APPROX_BYTES in records.ts), never expanded to tell. */
  readonly approxBytes: number;
  /** Commit time (box clock) of the oldest waiting record, null when none waits. */
  readonly oldestTs: number | null;
  /** How long it has waited (now − oldestTs, at least 0), null when none waits. */
  readonly oldestAgeMs: number | null;
}

export interface ReadLaneOptions {
  /** At most this many records. */
  readonly limit: number;
  /** Read after this seq instead of the lane's cursor (e.g. after records already in flight). */
  readonly after?: number;
  /**
   * For the readings lane: whether an old batch may go as aggregates while the lane is behind (default true). The
   * pull feed always gives readings raw.
   */
  readonly aggregates?: boolean;
}

export interface FeedQuery {
  readonly after: number;
  readonly limit: number;
  /** One lane only; every lane's records (in seq order) when absent. */
  readonly lane?: FeedLane;
  /** Stop adding records once the page's records reach this many bytes (at least one record always). */
  readonly maxBytes?: number;
}

export interface FeedPage {
  readonly records: readonly SyncRecord[];
  /** The seq to ask `after` next: the last record's, or `after` itself when there was none. */
  readonly next: number;
  /** Whether more records follow `next` (now). */
  readonly more: boolean;
}

export interface AckOptions {
  /**
   * Readings lane: the seqs among the acknowledged records that went as `aggregates`. Their raw batches become debt
   * (the bulk lane), in the same transaction that moves the cursor.
   */
  readonly aggregated?: readonly number[];
}

/** A page of the pull feed is cut at about this size (the hub asks again: `more` is true). */
export const FEED_MAX_BYTES = 4 * 1_048_576;

interface LogRow {
  seq: number;
  ts: number;
  kind: string;
  payload: string;
}

interface ReadingRow {
  id: number;
  sensor_id: string;
  ts: number;
  value: number | null;
  quality: number;
}

interface Figures {
  records: number;
  bytes: number;
}

interface Tracker {
  /** change_log's max(seq) and min(seq) when the figures were last brought up to date. */
  max: number;
  min: number;
  lanes: Map<Lane, Figures>;
}

const BUDGET_META_KEY = 'sync_budget';

// A record's approximate size, in SQL, over change_log rows `c` (see APPROX_BYTES); its parameters come in this order.
const APPROX_SQL = `CASE c.kind
  WHEN 'readings' THEN ? + ? * coalesce(json_extract(c.payload, '$.count'), 0)
  WHEN 'alarm' THEN ?
  ELSE ? + length(c.payload) END`;
const APPROX_PARAMS = [APPROX_BYTES.envelope, APPROX_BYTES.reading, APPROX_BYTES.alarm, APPROX_BYTES.envelope] as const;

function isLogKindLane(lane: Lane): boolean {
  return LANE_LOG_KINDS[lane].length > 0;
}

function checkSeq(seq: number, what: string): void {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`fenghuo: ${what} must be a whole number >= 0, got ${String(seq)}`);
}

export class OutboxStore {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly formOptions: ReadingsFormOptions;
  private tracker: Tracker | undefined;

  private readonly stmts;
  /** The alarm store's own reading of an alarm and its transition (one mapping of those rows). */
  private readonly alarms: AlarmStore;
  private readonly ackTx: (lane: Lane, seq: number, aggregated: readonly number[], now: number) => { moved: boolean; from: number; debt: number[] };
  private readonly rewindTx: (lane: Lane, seq: number, now: number) => void;
  /** Readings batches after this seq wait for their clock correction (storage/clock-spans.ts); see nextLogRows. */
  private readonly heldAfter: () => number | undefined;

  constructor(opts: OutboxStoreOptions) {
    this.db = opts.db;
    this.clock = opts.clock ?? systemClock;
    this.formOptions = opts.readingsForm ?? {};
    const db = this.db;
    this.alarms = new AlarmStore(db);
    const held = new ClockSpanStore(db);
    this.heldAfter = () => held.heldAfterSeq();
    this.stmts = {
      cursor: db.prepare<[string], { acked_seq: number; acked_at: number | null }>('SELECT acked_seq, acked_at FROM sync_cursor WHERE lane = ?'),
      moveCursor: db.prepare<[string, number, number]>(
        `INSERT INTO sync_cursor (lane, acked_seq, acked_at) VALUES (?, ?, ?)
         ON CONFLICT (lane) DO UPDATE SET acked_seq = excluded.acked_seq, acked_at = excluded.acked_at`,
      ),
      nextOfKind: db.prepare<[string, number, number], LogRow>('SELECT seq, ts, kind, payload FROM change_log WHERE kind = ? AND seq > ? ORDER BY seq LIMIT ?'),
      firstOfKind: db.prepare<[string, number], { ts: number; seq: number }>('SELECT seq, ts FROM change_log WHERE kind = ? AND seq > ? ORDER BY seq LIMIT 1'),
      readingsBetween: db.prepare<[number, number], ReadingRow>('SELECT id, sensor_id, ts, value, quality FROM readings WHERE id BETWEEN ? AND ? ORDER BY id'),
      maxSeq: db.prepare<[], { v: number }>('SELECT coalesce(max(seq), 0) AS v FROM change_log'),
      minSeq: db.prepare<[], { v: number }>('SELECT coalesce(min(seq), 0) AS v FROM change_log'),
      kindFigures: db.prepare<[number, number, number, number, string, number, number], Figures>(
        `SELECT count(*) AS records, coalesce(sum(${APPROX_SQL}), 0) AS bytes FROM change_log c WHERE c.kind = ? AND c.seq > ? AND c.seq <= ?`,
      ),
      debtFigures: db.prepare<[number, number, number, number, number, number], Figures>(
        `SELECT count(*) AS records, coalesce(sum(CASE WHEN c.seq IS NULL THEN ${APPROX_BYTES.envelope} ELSE ${APPROX_SQL} END), 0) AS bytes
         FROM sync_raw_debt d LEFT JOIN change_log c ON c.seq = d.seq WHERE d.seq > ? AND d.seq <= ?`,
      ),
      nextDebt: db.prepare<[number, number], { seq: number; ts: number | null; kind: string | null; payload: string | null }>(
        'SELECT d.seq AS seq, c.ts AS ts, c.kind AS kind, c.payload AS payload FROM sync_raw_debt d LEFT JOIN change_log c ON c.seq = d.seq WHERE d.seq > ? ORDER BY d.seq LIMIT ?',
      ),
      firstDebt: db.prepare<[number], { ts: number }>(
        'SELECT c.ts AS ts FROM sync_raw_debt d JOIN change_log c ON c.seq = d.seq WHERE d.seq > ? ORDER BY d.seq LIMIT 1',
      ),
      insertDebt: db.prepare<[number]>('INSERT OR IGNORE INTO sync_raw_debt (seq) VALUES (?)'),
      deleteDebtUpTo: db.prepare<[number]>('DELETE FROM sync_raw_debt WHERE seq <= ?'),
      deleteDebt: db.prepare<[number]>('DELETE FROM sync_raw_debt WHERE seq = ?'),
      debtCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sync_raw_debt'),
      budget: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      saveBudget: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };

    this.ackTx = db.transaction((lane: Lane, seq: number, aggregated: readonly number[], now: number) => {
      const from = this.cursor(lane);
      if (seq <= from) return { moved: false, from, debt: [] };
      this.stmts.moveCursor.run(lane, seq, now);
      const debt: number[] = [];
      if (lane === 'readings' && aggregated.length > 0) {
        // Raw owed only for batches this ack is the first to cover: one at or below the old cursor was stored by
        // the hub before (a duplicate it ignored), raw or folded, and was accounted for then. Nor below the bulk
        // lane's cursor: the hub says it has those raw already.
        const floor = Math.max(from, this.cursor('bulk'));
        for (const s of [...new Set(aggregated)].sort((a, b) => a - b)) {
          if (Number.isSafeInteger(s) && s > floor && s <= seq && this.stmts.insertDebt.run(s).changes > 0) debt.push(s);
        }
      }
      if (lane === 'bulk') this.stmts.deleteDebtUpTo.run(seq);
      return { moved: true, from, debt };
    });

    this.rewindTx = db.transaction((lane: Lane, seq: number, now: number) => {
      this.stmts.moveCursor.run(lane, seq, now);
    });
  }

  /** The lane's acknowledged cursor (0 before the first acknowledgement). */
  cursor(lane: Lane): number {
    return this.stmts.cursor.get(lane)?.acked_seq ?? 0;
  }

  cursors(): Record<Lane, LaneCursor> {
    const out = {} as Record<Lane, LaneCursor>;
    for (const lane of LANES) {
      const row = this.stmts.cursor.get(lane);
      out[lane] = { ackedSeq: row?.acked_seq ?? 0, ackedAt: row?.acked_at ?? null };
    }
    return out;
  }

  /**
   * The lane's next records after its cursor (or `after`), in seq order, expanded, at most `limit`. Reading the
   * bulk lane drops debt whose batch's change-log row is gone (retention pruned it with its raw readings: nothing
   * can pay it any more).
   */
  readLane(lane: Lane, opts: ReadLaneOptions): OutboxRecord[] {
    const limit = Math.max(0, Math.floor(opts.limit));
    const after = opts.after ?? this.cursor(lane);
    checkSeq(after, 'after');
    if (limit === 0) return [];
    if (lane === 'bulk') return this.readDebt(after, limit);
    const rows = this.nextLogRows(LANE_LOG_KINDS[lane], after, limit);
    const now = this.clock();
    const fold = lane === 'readings' && opts.aggregates !== false;
    // The lane's backlog, counted once per read: records waiting after the cursor (the first of these rows included).
    const pending = fold ? (this.refresh().lanes.get('readings')?.records ?? 0) : 0;
    return rows.map((row) => {
      const record = this.expand(row, fold ? { now, pending } : undefined);
      return { record, bytes: recordBytes(record) };
    });
  }

  /**
   * A page of the pull feed: records after `after` in seq order, of every lane or one, readings always raw. At most
   * `limit` records, cut short once they reach `maxBytes` (default FEED_MAX_BYTES; one record always goes).
   */
  feed(q: FeedQuery): FeedPage {
    checkSeq(q.after, 'after');
    const limit = Math.max(1, Math.floor(q.limit));
    const maxBytes = q.maxBytes ?? FEED_MAX_BYTES;
    const kinds = q.lane === undefined ? LOG_KINDS : LANE_LOG_KINDS[q.lane];
    const rows = this.nextLogRows(kinds, q.after, limit + 1);
    const records: SyncRecord[] = [];
    let bytes = 0;
    let cut = false;
    for (const row of rows.slice(0, limit)) {
      const record = this.expand(row, undefined);
      const size = recordBytes(record);
      if (records.length > 0 && bytes + size > maxBytes) {
        cut = true;
        break;
      }
      records.push(record);
      bytes += size;
    }
    const last = records[records.length - 1];
    return { records, next: last === undefined ? q.after : last.seq, more: cut || rows.length > limit };
  }

  /**
   * The hub acknowledged the lane up to `seq`: the cursor moves there, never back (an older or equal `seq` changes
   * nothing and answers false). For the readings lane, `aggregated` names the acknowledged seqs that went as
   * aggregates: their raw becomes debt. For the bulk lane, the debt up to `seq` is paid (deleted).
   */
  ack(lane: Lane, seq: number, opts: AckOptions = {}): boolean {
    checkSeq(seq, 'seq');
    const t = this.tracker;
    const before = t === undefined ? undefined : this.laneFiguresBetween(lane, this.cursor(lane), Math.min(seq, lane === 'bulk' ? Number.MAX_SAFE_INTEGER : t.max));
    const result = this.ackTx(lane, seq, opts.aggregated ?? [], this.clock());
    if (!result.moved || t === undefined || this.tracker !== t) return result.moved;
    // Keep the figures without recounting: the acknowledged range leaves the lane, new debt joins bulk.
    if (before !== undefined) this.adjust(lane, -before.records, -before.bytes);
    for (const s of result.debt) {
      const f = this.stmts.debtFigures.get(...APPROX_PARAMS, s - 1, s);
      if (f !== undefined) this.adjust('bulk', f.records, f.bytes);
    }
    return true;
  }

  /**
   * The hub's answer 409: it has less than the box was told (restored from an old backup). The lane's cursor is set
   * to the hub's mark, lower or not, and its records are sent again from there. Debt already paid is not made again:
   * the readings lane, rewound too, resends those batches (raw, or folded with fresh debt).
   */
  rewind(lane: Lane, seq: number): void {
    checkSeq(seq, 'seq');
    this.rewindTx(lane, seq, this.clock());
    const t = this.tracker;
    if (t !== undefined) t.lanes.set(lane, this.laneFiguresBetween(lane, seq, lane === 'bulk' ? Number.MAX_SAFE_INTEGER : t.max));
  }

  /** Readings batches whose raw the hub is still owed. */
  rawDebt(): number {
    return this.stmts.debtCount.get()?.n ?? 0;
  }

  /**
   * Per lane: records waiting, their approximate bytes, and the age of the oldest. Kept up to date from the change
   * log's ends (its highest and lowest seq, two index seeks) rather than by counting the lanes each time: new rows
   * are counted once as they appear, acknowledged ones subtracted as the cursor moves; only when retention has
   * pruned rows (the lowest seq moved) or a lane is rewound is a lane counted again, over its waiting rows only.
   */
  backlog(): Record<Lane, LaneBacklog> {
    const t = this.refresh();
    const now = this.clock();
    const out = {} as Record<Lane, LaneBacklog>;
    for (const lane of LANES) {
      const f = t.lanes.get(lane) ?? { records: 0, bytes: 0 };
      const oldestTs = f.records > 0 ? this.oldestTs(lane) : null;
      out[lane] = { records: f.records, approxBytes: f.bytes, oldestTs, oldestAgeMs: oldestTs === null ? null : Math.max(0, now - oldestTs) };
    }
    return out;
  }

  /** The byte budget's use as last saved (undefined before the first save). */
  budget(): BudgetState | undefined {
    const row = this.stmts.budget.get(BUDGET_META_KEY);
    if (row === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(row.value);
      return isBudgetState(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  saveBudget(state: BudgetState): void {
    this.stmts.saveBudget.run(BUDGET_META_KEY, JSON.stringify(state));
  }

  // ---- reading ----

  /** The next `limit` change-log rows of these kinds after `after`, in seq order: one index seek per kind, merged. */
  private nextLogRows(kinds: readonly LogKind[], after: number, limit: number): LogRow[] {
    const rows =
      kinds.length === 1
        ? this.stmts.nextOfKind.all(kinds[0] ?? '', after, limit)
        : kinds.flatMap((kind) => this.stmts.nextOfKind.all(kind, after, limit)).sort((a, b) => a.seq - b.seq).slice(0, limit);
    return kinds.includes('readings') ? this.holdBack(rows) : rows;
  }

  /**
   * Readings taken while the clock is untrusted wait here until they are corrected (issue #14: the county gets
   * corrected times, once; nothing is lost or sent twice): the rows end before the first readings batch written
   * after an uncorrected span of this boot opened. Cut there, not filtered, so a cursor never passes a held batch.
   */
  private holdBack(rows: LogRow[]): LogRow[] {
    const heldAfter = this.heldAfter();
    if (heldAfter === undefined) return rows;
    const cut = rows.findIndex((r) => r.kind === 'readings' && r.seq > heldAfter);
    return cut < 0 ? rows : rows.slice(0, cut);
  }

  private readDebt(after: number, limit: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    let from = after;
    while (out.length < limit) {
      const rows = this.stmts.nextDebt.all(from, limit - out.length);
      if (rows.length === 0) break;
      const lost: number[] = [];
      for (const r of rows) {
        from = r.seq;
        if (r.ts === null || r.kind === null || r.payload === null) {
          lost.push(r.seq);
          continue;
        }
        const record = this.expand({ seq: r.seq, ts: r.ts, kind: r.kind, payload: r.payload }, undefined);
        out.push({ record, bytes: recordBytes(record) });
      }
      if (lost.length > 0) this.forgive(lost);
    }
    return out;
  }

  private forgive(seqs: readonly number[]): void {
    const removed = this.db.transaction(() => seqs.filter((s) => this.stmts.deleteDebt.run(s).changes > 0).length)();
    if (removed > 0 && this.tracker !== undefined) this.adjust('bulk', -removed, -removed * APPROX_BYTES.envelope);
  }

  /** One change-log row as its record; `fold` lets a readings batch go as aggregates. */
  private expand(row: LogRow, fold: { now: number; pending: number } | undefined): SyncRecord {
    // Fields in the order docs/sync.md writes them: seq, kind, ts, payload.
    const { seq, ts } = row;
    const logged = parseJson(row.payload);
    switch (row.kind) {
      case 'readings': {
        const ref = parseBatchRef(logged);
        const rows = ref === undefined || ref.count === 0 ? [] : this.stmts.readingsBetween.all(ref.firstId, ref.lastId).map(toTuple);
        const expected = ref?.count ?? rows.length;
        if (fold !== undefined && readingsForm({ newestReadingTs: newestReadingTs(rows), now: fold.now, pendingRecords: fold.pending }, this.formOptions) === 'aggregates') {
          return { seq, kind: 'aggregates', ts, payload: aggregatesPayload(rows, expected) };
        }
        return { seq, kind: 'readings', ts, payload: readingsPayload(rows, expected) };
      }
      case 'alarm':
        return { seq, kind: 'alarm', ts, payload: this.alarmPayload(logged) };
      case 'audit':
      case 'health':
        return { seq, kind: row.kind, ts, payload: asObject(logged) };
      case 'recording':
        // Self-contained as logged: recordingPayload() (recording/recording-record.ts) wrote it in the same transaction
        // as the recordings row, typed as the wire's (records.ts checks that at compile time). A row that is not one
        // goes as it is: the hub refuses it and the box sets it aside, said in its health (docs/sync.md).
        return { seq, kind: 'recording', ts, payload: asObject(logged) as unknown as RecordingPayload };
      default:
        // Lanes and the feed select the kinds above by name; nothing else can reach here.
        throw new Error(`fenghuo: change_log kind ${row.kind} (seq ${row.seq}) is not a sync record`);
    }
  }

  private alarmPayload(logged: unknown): AlarmPayload {
    const ref = parseAlarmRef(logged);
    if (ref === undefined) return { alarmId: 0, transitionId: 0, type: '', missing: true };
    const found = this.alarms.transition(ref.alarmId, ref.transitionId);
    if (found === undefined) return { ...ref, missing: true };
    const { alarm: a, transition } = found;
    const { alarmId: _alarmId, ...t } = transition;
    return {
      alarm: {
        id: a.id,
        key: a.key,
        kind: a.kind,
        ...(a.siteId === undefined ? {} : { siteId: a.siteId }),
        ...(a.sensorId === undefined ? {} : { sensorId: a.sensorId }),
        drill: a.drill,
        title: a.title,
        raisedAt: a.raisedAt,
      },
      transition: t,
    };
  }

  // ---- backlog figures ----

  private refresh(): Tracker {
    const max = this.stmts.maxSeq.get()?.v ?? 0;
    const min = this.stmts.minSeq.get()?.v ?? 0;
    const t = this.tracker;
    if (t === undefined || max < t.max || min !== t.min) {
      // First use, or retention pruned rows (which may have been waiting): count each lane's waiting rows.
      const lanes = new Map<Lane, Figures>();
      for (const lane of LANES) lanes.set(lane, this.laneFiguresBetween(lane, this.cursor(lane), lane === 'bulk' ? Number.MAX_SAFE_INTEGER : max));
      this.tracker = { max, min, lanes };
      return this.tracker;
    }
    if (max > t.max) {
      for (const lane of LANES) {
        if (!isLogKindLane(lane)) continue;
        const f = this.laneFiguresBetween(lane, Math.max(this.cursor(lane), t.max), max);
        this.adjust(lane, f.records, f.bytes);
      }
      t.max = max;
    }
    return t;
  }

  /** Figures of the lane's records with lo < seq <= hi (bulk: debt rows in that range). */
  private laneFiguresBetween(lane: Lane, lo: number, hi: number): Figures {
    if (hi <= lo) return { records: 0, bytes: 0 };
    if (lane === 'bulk') return this.stmts.debtFigures.get(...APPROX_PARAMS, lo, hi) ?? { records: 0, bytes: 0 };
    const total = { records: 0, bytes: 0 };
    for (const kind of LANE_LOG_KINDS[lane]) {
      const f = this.stmts.kindFigures.get(...APPROX_PARAMS, kind, lo, hi);
      total.records += f?.records ?? 0;
      total.bytes += f?.bytes ?? 0;
    }
    return total;
  }

  private adjust(lane: Lane, records: number, bytes: number): void {
    const f = this.tracker?.lanes.get(lane);
    if (f === undefined) return;
    f.records = Math.max(0, f.records + records);
    f.bytes = Math.max(0, f.bytes + bytes);
  }

  private oldestTs(lane: Lane): number | null {
    const after = this.cursor(lane);
    if (lane === 'bulk') return this.stmts.firstDebt.get(after)?.ts ?? null;
    let oldest: { seq: number; ts: number } | undefined;
    for (const kind of LANE_LOG_KINDS[lane]) {
      const r = this.stmts.firstOfKind.get(kind, after);
      if (r !== undefined && (oldest === undefined || r.seq < oldest.seq)) oldest = r;
    }
    return oldest?.ts ?? null;
  }
}

function toTuple(r: ReadingRow): ReadingTuple {
  return [r.id, r.sensor_id, r.ts, r.value, qualityFromCode(r.quality)];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): LoggedPayload {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LoggedPayload) : {};
}
