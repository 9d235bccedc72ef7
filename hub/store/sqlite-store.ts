import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { compareActive, foldAlarm } from './alarm-state.js';
import {
  AGGREGATE_VALUES,
  decideSeries,
  explode,
  ingestOutcome,
  marksFromRows,
  newestHealth,
  planIngest,
  READING_VALUES,
  RECORDING_VALUES,
  storedPayload,
  TRANSITION_VALUES,
  zeroMarks,
} from './ingest-plan.js';
import { META_TABLE_SQL, pendingSteps, stepSql, type StoreLog } from './migrations.js';
import {
  SQL,
  alarmArgs,
  buildStats,
  codeHash,
  codeRefusal,
  EnrolAbort,
  overview,
  seriesChange,
  sqliteArgs,
  sqliteSql,
  toArrival,
  toBox,
  toBucketPart,
  toFoldTransition,
  toHubAlarm,
  toHubTransition,
  toRawReading,
  type Param,
} from './queries.js';
import type { SqlPort } from './sql-port.js';
import { bucketRange, mergeBuckets, rawRange } from './readings-15m.js';
import {
  LANES,
  type Box,
  type BoxOverview,
  type BoxRecordStats,
  type Bucket15m,
  type CreateEnrolmentCode,
  type EnrolResult,
  type Enrolment,
  type HubAlarm,
  type HubAlarmTransition,
  type HubStore,
  type IngestLane,
  type IngestResult,
  type LaneMarks,
  type LinkInfo,
  type NonceBounds,
  type NonceOutcome,
  type RawReading,
  type ReadingsQuery,
  type RecordArrival,
  type RecordKind,
  type SyncRecord,
} from './types.js';

export interface SqliteHubStoreOptions {
  /** The database file (its directory is created), or `:memory:`. */
  readonly path: string;
  /** The hub's clock for `received_at` (default Date.now). */
  readonly clock?: () => number;
  /** How long a statement waits for another process's write lock before SQLITE_BUSY (default 10 s). */
  readonly busyTimeoutMs?: number;
  readonly log?: StoreLog;
}

type Row = Record<string, unknown>;

/**
 * The embedded back end. SQLite has one writer at a time: every write is ONE `BEGIN IMMEDIATE` transaction (the write
 * lock is taken before the marks are read, so no other process or connection can move them until the commit), run
 * synchronously, so nothing interleaves inside it. Several processes may share the file (WAL, busy timeout).
 * `synchronous = FULL`: an ingest resolves only once its commit is on the medium.
 */
export class SqliteHubStore implements HubStore {
  readonly dialect = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #clock: () => number;
  readonly #stmts = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, clock: () => number) {
    this.#db = db;
    this.#clock = clock;
  }

  static open(opts: SqliteHubStoreOptions): SqliteHubStore {
    if (opts.path !== ':memory:' && opts.path !== '') mkdirSync(dirname(opts.path), { recursive: true });
    const db = new Database(opts.path);
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000))}`);
      if (opts.path !== ':memory:' && opts.path !== '') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrateSqlite(db, opts.log);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteHubStore(db, opts.clock ?? Date.now);
  }

  /** A statement from queries.ts (or any `$n` SQL), prepared once. */
  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sqliteSql(sql));
      this.#stmts.set(sql, s);
    }
    return s;
  }
  #run(sql: string, args: readonly Param[]): number {
    return this.#stmt(sql).run(sqliteArgs(args)).changes;
  }
  #all(sql: string, args: readonly Param[]): Row[] {
    return this.#stmt(sql).all(sqliteArgs(args)) as Row[];
  }
  #get(sql: string, args: readonly Param[]): Row | undefined {
    return this.#stmt(sql).get(sqliteArgs(args)) as Row | undefined;
  }
  /** BEGIN IMMEDIATE … COMMIT around `fn` (rolled back if it throws). */
  #write<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  async rememberNonce(entry: { readonly keyid: string; readonly nonce: string; readonly expiresAt: number }, now: number, bounds: NonceBounds): Promise<NonceOutcome> {
    return this.#write((): NonceOutcome => {
      this.#run(SQL.nonceSweep, [now]);
      if (this.#get(SQL.nonceHeld, [entry.keyid, entry.nonce]) !== undefined) return 'seen';
      const n = this.#get(SQL.nonceCounts, [entry.keyid, bounds.maxEntries, bounds.maxEntriesPerKey]);
      if (Number(n?.total) >= bounds.maxEntries || Number(n?.per_key) >= bounds.maxEntriesPerKey) return 'full';
      return this.#run(SQL.nonceInsert, [entry.keyid, entry.nonce, entry.expiresAt]) === 1 ? 'remembered' : 'seen';
    });
  }

  async createEnrolmentCode(c: CreateEnrolmentCode): Promise<void> {
    const n = this.#run(SQL.insertCode, [codeHash(c.code), c.label ?? null, c.createdAt, c.expiresAt]);
    if (n !== 1) throw new Error('hub store: that enrolment code already exists');
  }

  async enrol(e: Enrolment): Promise<EnrolResult> {
    const hash = codeHash(e.code);
    try {
      return this.#write((): EnrolResult => {
        if (this.#run(SQL.consumeCode, [hash, e.at, e.boxId]) !== 1) throw new EnrolAbort(codeRefusal(this.#get(SQL.codeState, [hash])));
        if (this.#run(SQL.insertBox, [e.boxId, e.publicKey, e.name ?? null, e.at]) !== 1) throw new EnrolAbort('box_exists');
        this.#run(SQL.insertLaneMarks, [e.boxId]);
        const row = this.#get(SQL.boxById, [e.boxId]);
        if (row === undefined) throw new Error('hub store: enrolled box vanished');
        return { ok: true, box: toBox(row) };
      });
    } catch (err) {
      if (err instanceof EnrolAbort) return { ok: false, reason: err.reason };
      throw err;
    }
  }

  async revokeBox(boxId: string, at: number): Promise<boolean> {
    return this.#run(SQL.revoke, [boxId, at]) === 1;
  }

  async recordContact(boxId: string, at: number, link: LinkInfo): Promise<void> {
    this.#run(SQL.contact, [boxId, at, JSON.stringify(link)]);
  }

  async getBox(boxId: string): Promise<Box | undefined> {
    const row = this.#get(SQL.boxById, [boxId]);
    return row === undefined ? undefined : toBox(row);
  }

  async listBoxes(): Promise<BoxOverview[]> {
    // One read transaction, so marks and health belong to the same moment.
    const read = this.#db.transaction(() => ({
      boxes: this.#all(SQL.boxesAll, []),
      marks: this.#all(SQL.marksAll, []),
      health: this.#all(SQL.healthLatestAll, []),
    }));
    const { boxes, marks, health } = read.deferred();
    return overview(boxes, marks, health);
  }

  async laneMarks(boxId: string): Promise<LaneMarks | undefined> {
    const rows = this.#all(SQL.marksOf, [boxId]);
    if (rows.length === 0 && this.#get(SQL.boxById, [boxId]) === undefined) return undefined;
    return marksFromRows(rows as { lane: string; mark: number }[]);
  }

  async ingest(boxId: string, lanes: readonly IngestLane[], dbId?: string): Promise<IngestResult> {
    return this.#write((): IngestResult => {
      const box = this.#get(SQL.boxSeries, [boxId]);
      if (box === undefined) return { status: 'unknown_box' };
      if (box.revoked_at !== null) return { status: 'revoked' };
      const current = box.db_id === null ? null : String(box.db_id);
      const seen = dbId !== undefined && dbId !== current && this.#get(SQL.dbSeen, [boxId, dbId]) !== undefined;
      const series = decideSeries(current, dbId, seen);
      if (series.kind === 'stale') return { status: 'stale_database', dbId: series.dbId, current: series.current };
      const receivedAt = this.#clock();
      let markRows = this.#all(SQL.marksOf, [boxId]);
      if (markRows.length < LANES.length) {
        this.#run(SQL.insertLaneMarks, [boxId]);
        markRows = this.#all(SQL.marksOf, [boxId]);
      }
      for (const st of seriesChange(boxId, series, receivedAt)) this.#run(st.sql, st.args ?? []);
      const marks = series.kind === 'new' ? zeroMarks() : marksFromRows(markRows as { lane: string; mark: number }[]);
      const db = series.dbId;
      const plan = planIngest(marks, lanes);

      const fresh: SyncRecord[] = [];
      for (const { lane, record } of plan.candidates) {
        const n = this.#run(SQL.insertRecord, [boxId, record.seq, record.kind, lane, record.ts, receivedAt, storedPayload(record), db]);
        if (n === 1) fresh.push(record);
      }
      const ex = explode(fresh);
      for (const r of ex.readings) this.#run(SQL.insertReading, [boxId, ...READING_VALUES.of(r), db]);
      for (const a of ex.aggregates) this.#run(SQL.insertAggregate, [boxId, ...AGGREGATE_VALUES.of(a), db]);
      for (const t of ex.transitions) this.#run(SQL.insertTransition, [boxId, ...TRANSITION_VALUES.of(t), receivedAt, db]);
      for (const [alarmId, alarm] of ex.alarms) {
        const held = this.#all(SQL.transitionsForFold, [boxId, alarmId, db]).map(toFoldTransition);
        this.#run(SQL.upsertAlarm, alarmArgs(boxId, db, foldAlarm(alarm, held)));
      }
      for (const h of ex.health) this.#run(SQL.insertHealth, [boxId, h.seq, h.ts, receivedAt, h.payload, db]);
      const newest = newestHealth(ex.health);
      if (newest !== undefined) this.#run(SQL.upsertHealthLatest, [boxId, newest.seq, newest.ts, receivedAt, newest.payload, db]);
      for (const r of ex.recordings) this.#run(SQL.upsertRecording, [boxId, ...RECORDING_VALUES.of(r), receivedAt, db]);
      for (const lane of LANES) {
        if (plan.marks[lane] > marks[lane]) this.#run(SQL.updateMark, [boxId, lane, plan.marks[lane], receivedAt]);
      }
      return ingestOutcome(plan, series, receivedAt, fresh.length);
    });
  }

  /** `dbId`, or the box's current one ('' before it named one). */
  #series(boxId: string, dbId: string | undefined): string {
    if (dbId !== undefined) return dbId;
    const row = this.#get(SQL.currentDb, [boxId]);
    return row === undefined ? '' : String(row.db_id);
  }

  async rawReadings(q: ReadingsQuery): Promise<RawReading[]> {
    const r = rawRange(q);
    return this.#all(SQL.rawReadings, [q.boxId, q.sensorId, r.from, r.to, r.limit]).map(toRawReading);
  }

  async readings15m(q: ReadingsQuery): Promise<Bucket15m[]> {
    const r = bucketRange(q);
    return mergeBuckets(this.#all(SQL.buckets15m, [q.boxId, q.sensorId, r.from, r.to]).map(toBucketPart), r.limit);
  }

  async activeAlarms(): Promise<HubAlarm[]> {
    return this.#all(SQL.activeAlarms, []).map(toHubAlarm).sort(compareActive);
  }

  async alarmTransitions(boxId: string, alarmId: number, dbId?: string): Promise<HubAlarmTransition[]> {
    return this.#all(SQL.alarmTransitions, [boxId, alarmId, this.#series(boxId, dbId)]).map(toHubTransition);
  }

  async recordStats(boxId: string, dbId?: string): Promise<BoxRecordStats> {
    const read = this.#db.transaction(() => {
      const db = this.#series(boxId, dbId);
      return {
        seqs: this.#all(SQL.recordSeqs, [boxId, db]),
        ids: this.#all(SQL.readingIds, [boxId, db]).map((r) => Number(r.reading_id)),
        counts: this.#get(SQL.rowCounts, [boxId, db]),
      };
    });
    const { seqs, ids, counts } = read.deferred();
    return buildStats(seqs, ids, counts);
  }

  async arrivals(boxId: string, kind?: RecordKind, dbId?: string): Promise<RecordArrival[]> {
    const db = this.#series(boxId, dbId);
    const rows = kind === undefined ? this.#all(SQL.arrivals, [boxId, db]) : this.#all(SQL.arrivalsOfKind, [boxId, db, kind]);
    return rows.map(toArrival);
  }

  readonly sql: SqlPort = {
    dialect: 'sqlite',
    all: async (sql, args = []) => this.#all(sql, args),
    run: async (sql, args = []) => this.#run(sql, args),
    batch: async (statements) =>
      this.#write(() => statements.map((s) => (this.#stmt(s.sql).reader ? this.#all(s.sql, s.args ?? []) : (this.#run(s.sql, s.args ?? []), [])))),
  };

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** Opens (creating and migrating) the hub's SQLite database. */
export async function openSqliteHubStore(opts: SqliteHubStoreOptions): Promise<SqliteHubStore> {
  return SqliteHubStore.open(opts);
}

/** Runs the pending steps in one BEGIN IMMEDIATE transaction: a second process waits on the lock, then finds none. */
export function migrateSqlite(db: Database.Database, log?: StoreLog): number {
  return db
    .transaction((): number => {
      db.exec(META_TABLE_SQL);
      const row = db.prepare("SELECT value FROM hub_meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      const from = row === undefined ? 0 : Number(row.value);
      let version = from;
      for (const step of pendingSteps(version)) {
        for (const sql of stepSql(step, 'sqlite')) db.exec(sql);
        version = step.version;
        log?.info({ event: 'hub.store.migrated', dialect: 'sqlite', version, name: step.name }, `hub schema migrated to ${version}`);
      }
      if (version !== from || row === undefined) {
        db.prepare(
          "INSERT INTO hub_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ).run(String(version));
      }
      return version;
    })
    .immediate();
}
