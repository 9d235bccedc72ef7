import { createHash } from 'node:crypto';
import pg from 'pg';
import { compareActive, foldAlarm } from './alarm-state.js';
import {
  AGGREGATE_VALUES,
  columns,
  decideSeries,
  explode,
  ingestOutcome,
  marksFromRows,
  newestHealth,
  planIngest,
  READING_VALUES,
  RECORDING_VALUES,
  recordKey,
  storedPayload,
  TRANSITION_VALUES,
  zeroMarks,
  type Exploded,
} from './ingest-plan.js';
import { META_TABLE_SQL, PG_MIGRATION_LOCK, pendingSteps, stepSql, type StoreLog } from './migrations.js';
import {
  SQL,
  EnrolAbort,
  alarmArgs,
  buildStats,
  codeHash,
  codeRefusal,
  overview,
  seriesChange,
  toArrival,
  toBox,
  toBucketPart,
  toFoldTransition,
  toHubAlarm,
  toHubTransition,
  toRawReading,
  type Param,
} from './queries.js';
import type { SqlPort, SqlRow } from './sql-port.js';
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

export interface PgHubStoreOptions {
  /** `postgres://user@host:port/db`, or a full pool configuration. */
  readonly connection: string | pg.PoolConfig;
  /** The hub's clock for `received_at` (default Date.now). */
  readonly clock?: () => number;
  readonly log?: StoreLog;
}

type Row = Record<string, unknown>;
type Client = pg.PoolClient;

const INT8_OID = 20;

/** BIGINT columns (ms, seqs, ids, counts) come back as numbers; anything past 2^53 is an error, not a rounding. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`hub store: BIGINT ${text} does not fit a JavaScript number`);
  return n;
}

const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

/**
 * Locks the box's row for the rest of the transaction and reads its revocation and current database: the series an
 * ingest decides on (same, adopted, new, stale) cannot change under it, and a second process ingesting for the box
 * waits here until the first commits, then reads what that commit left.
 */
const LOCK_BOX = `${SQL.boxSeries} FOR UPDATE`;

/**
 * Locks the box's lane-mark rows for the rest of the transaction (FOR UPDATE, in lane order, so two ingests of the
 * same box never deadlock) and reads them with the box's revocation. Taken after LOCK_BOX, which already serializes
 * a box's ingests; a second hub process ingesting for the same box waits until the first commits, then reads the marks that commit left (READ COMMITTED re-reads a locked row
 * after the lock is granted).
 */
const LOCK_MARKS = `SELECT b.revoked_at, m.lane, m.mark FROM hub_lane_marks m JOIN hub_boxes b ON b.id = m.box_id
  WHERE m.box_id = $1 ORDER BY m.lane FOR UPDATE OF m`;

/**
 * The bulk of an ingest in ONE statement (one round trip, whatever the batch): the records go in as arrays through
 * UNNEST, idempotent on (box_id, seq, kind); the readings and partial aggregates of the records that were new go in
 * beside them (a record already held brought its rows the first time); the lane marks move up (never down). It
 * answers the records that were new. Data-modifying CTEs all run, whether or not the outer query reads them.
 */
const STORE = `WITH ins AS (
    INSERT INTO hub_records (box_id, seq, kind, lane, ts, received_at, payload, db_id)
    SELECT $1, u.seq, u.kind, u.lane, u.ts, $2, u.payload, $23
    FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS u(seq, kind, lane, ts, payload)
    ON CONFLICT (box_id, db_id, seq, kind) DO NOTHING
    RETURNING seq, kind
  ), rd AS (
    INSERT INTO hub_readings (box_id, reading_id, sensor_id, ts, value, quality, seq, db_id)
    SELECT $1, u.reading_id, u.sensor_id, u.ts, u.value, u.quality, u.seq, $23
    FROM UNNEST($8::bigint[], $9::text[], $10::bigint[], $11::float8[], $12::text[], $13::bigint[])
      AS u(reading_id, sensor_id, ts, value, quality, seq)
    WHERE u.seq IN (SELECT seq FROM ins WHERE kind = 'readings')
    ON CONFLICT (box_id, db_id, reading_id) DO NOTHING
  ), ag AS (
    INSERT INTO hub_partial_aggregates (box_id, seq, sensor_id, bucket, min, mean, max, count, db_id)
    SELECT $1, u.seq, u.sensor_id, u.bucket, u.min, u.mean, u.max, u.count, $23
    FROM UNNEST($14::bigint[], $15::text[], $16::bigint[], $17::float8[], $18::float8[], $19::float8[], $20::bigint[])
      AS u(seq, sensor_id, bucket, min, mean, max, count)
    WHERE u.seq IN (SELECT seq FROM ins WHERE kind = 'aggregates')
    ON CONFLICT (box_id, db_id, seq, sensor_id, bucket) DO NOTHING
  ), mk AS (
    UPDATE hub_lane_marks AS m SET mark = u.mark, updated_at = $2
    FROM UNNEST($21::text[], $22::bigint[]) AS u(lane, mark)
    WHERE m.box_id = $1 AND m.lane = u.lane AND m.mark < u.mark
  )
  SELECT seq, kind FROM ins`;

const BULK = {
  transitions: `INSERT INTO hub_alarm_transitions
      (box_id, alarm_id, transition_id, seq, ts, type, level, by_name, account, note, cause, title, received_at, db_id)
    SELECT $1, u.alarm_id, u.transition_id, u.seq, u.ts, u.type, u.level, u.by_name, u.account, u.note, u.cause, u.title, $2, $14
    FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[],
      $11::text[], $12::text[], $13::text[])
      AS u(alarm_id, transition_id, seq, ts, type, level, by_name, account, note, cause, title)
    ON CONFLICT (box_id, db_id, alarm_id, transition_id) DO NOTHING`,
  transitionsForFold: `SELECT alarm_id, transition_id, seq, ts, type, level, by_name, account, title, received_at
    FROM hub_alarm_transitions WHERE box_id = $1 AND db_id = $3 AND alarm_id = ANY($2::bigint[]) ORDER BY alarm_id, transition_id`,
} as const;

const names = new Map<string, string>();
function statementName(sql: string): string {
  let n = names.get(sql);
  if (n === undefined) {
    n = `hub_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
    names.set(sql, n);
  }
  return n;
}

/** Deadlock and serialization failures: the transaction is retried from the start (it wrote nothing). */
function retryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '40P01' || code === '40001';
}

/**
 * The PostgreSQL back end: a `pg.Pool`, parameterised queries only. Every write is ONE transaction; `ingest` locks
 * the box's lane-mark rows first (see LOCK_MARKS), so any number of hub processes may ingest the same box's batches
 * at once: they take turns per box, each deciding on the marks the previous one committed, and the unique keys make
 * every insert idempotent besides. An ingest is five round trips whatever its size (BEGIN, lock the box, lock the
 * marks, STORE, COMMIT), plus two or three when it brings a new alarm transition or health snapshot, and a few when
 * its dbId is not the box's current one (a new series, or the box's first dbId adopted).
 */
export class PgHubStore implements HubStore {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #clock: () => number;

  private constructor(pool: pg.Pool, clock: () => number) {
    this.#pool = pool;
    this.#clock = clock;
  }

  /** Connects, migrates (under the advisory lock) and returns the store; the pool is closed if that fails. */
  static async open(opts: PgHubStoreOptions): Promise<PgHubStore> {
    const config: pg.PoolConfig = typeof opts.connection === 'string' ? { connectionString: opts.connection } : { ...opts.connection };
    const pool = new pg.Pool({ ...config, types: TYPES });
    // An idle client's error (the server restarted) must not crash the hub; the pool drops that client and the next
    // query gets a fresh one.
    pool.on('error', (err) => opts.log?.warn?.({ event: 'hub.store.connection_lost', err: err.message }, 'an idle PostgreSQL connection failed'));
    try {
      await migratePostgres(pool, opts.log);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgHubStore(pool, opts.clock ?? Date.now);
  }

  /**
   * Every statement of the store is a named prepared statement: parsed and planned once per connection, not per call
   * (for a small ingest the planning of STORE would otherwise cost more than its rows). The name is the text's hash.
   */
  async #query(sql: string, args: readonly Param[] | readonly unknown[] = [], c?: Client): Promise<pg.QueryResult<Row>> {
    return (c ?? this.#pool).query<Row>({ name: statementName(sql), text: sql, values: args as unknown[] });
  }

  /** `transaction`, retried on deadlock or serialization failure. */
  async #tx<T>(fn: (c: Client) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await transaction(this.#pool, fn, begin);
      } catch (err) {
        if (!retryable(err) || attempt >= 5) throw err;
      }
    }
  }

  /**
   * One transaction; of two processes racing with the same pair, the unique key lets exactly one insert (the other
   * waits on the row, then inserts nothing: `seen`). Bounds are checked before the insert, so racing inserts may pass
   * a bound by at most the number of processes.
   */
  async rememberNonce(entry: { readonly keyid: string; readonly nonce: string; readonly expiresAt: number }, now: number, bounds: NonceBounds): Promise<NonceOutcome> {
    return this.#tx(async (c): Promise<NonceOutcome> => {
      await this.#query(SQL.nonceSweep, [now], c);
      if ((await this.#query(SQL.nonceHeld, [entry.keyid, entry.nonce], c)).rows.length > 0) return 'seen';
      const n = (await this.#query(SQL.nonceCounts, [entry.keyid, bounds.maxEntries, bounds.maxEntriesPerKey], c)).rows[0];
      if (Number(n?.total) >= bounds.maxEntries || Number(n?.per_key) >= bounds.maxEntriesPerKey) return 'full';
      return (await this.#query(SQL.nonceInsert, [entry.keyid, entry.nonce, entry.expiresAt], c)).rowCount === 1 ? 'remembered' : 'seen';
    });
  }

  async createEnrolmentCode(c: CreateEnrolmentCode): Promise<void> {
    const r = await this.#query(SQL.insertCode, [codeHash(c.code), c.label ?? null, c.createdAt, c.expiresAt]);
    if (r.rowCount !== 1) throw new Error('hub store: that enrolment code already exists');
  }

  async enrol(e: Enrolment): Promise<EnrolResult> {
    const hash = codeHash(e.code);
    try {
      return await this.#tx(async (c): Promise<EnrolResult> => {
        // Of two transactions consuming one code, the second waits on the row, then re-checks `used_at IS NULL`.
        if ((await this.#query(SQL.consumeCode, [hash, e.at, e.boxId], c)).rowCount !== 1) {
          throw new EnrolAbort(codeRefusal((await this.#query(SQL.codeState, [hash], c)).rows[0]));
        }
        if ((await this.#query(SQL.insertBox, [e.boxId, e.publicKey, e.name ?? null, e.at], c)).rowCount !== 1) {
          throw new EnrolAbort('box_exists');
        }
        await this.#query(SQL.insertLaneMarks, [e.boxId], c);
        const row = (await this.#query(SQL.boxById, [e.boxId], c)).rows[0];
        if (row === undefined) throw new Error('hub store: enrolled box vanished');
        return { ok: true, box: toBox(row) };
      });
    } catch (err) {
      if (err instanceof EnrolAbort) return { ok: false, reason: err.reason };
      throw err;
    }
  }

  async revokeBox(boxId: string, at: number): Promise<boolean> {
    return (await this.#query(SQL.revoke, [boxId, at])).rowCount === 1;
  }

  async recordContact(boxId: string, at: number, link: LinkInfo): Promise<void> {
    await this.#query(SQL.contact, [boxId, at, JSON.stringify(link)]);
  }

  async getBox(boxId: string): Promise<Box | undefined> {
    const row = (await this.#query(SQL.boxById, [boxId])).rows[0];
    return row === undefined ? undefined : toBox(row);
  }

  async listBoxes(): Promise<BoxOverview[]> {
    const { boxes, marks, health } = await this.#tx(
      async (c) => ({
        boxes: (await this.#query(SQL.boxesAll, [], c)).rows,
        marks: (await this.#query(SQL.marksAll, [], c)).rows,
        health: (await this.#query(SQL.healthLatestAll, [], c)).rows,
      }),
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    return overview(boxes, marks, health);
  }

  async laneMarks(boxId: string): Promise<LaneMarks | undefined> {
    const rows = (await this.#query(SQL.marksOf, [boxId])).rows;
    if (rows.length === 0 && (await this.getBox(boxId)) === undefined) return undefined;
    return marksFromRows(rows as { lane: string; mark: number }[]);
  }

  async ingest(boxId: string, lanes: readonly IngestLane[], dbId?: string): Promise<IngestResult> {
    return this.#tx(async (c): Promise<IngestResult> => {
      const box = (await this.#query(LOCK_BOX, [boxId], c)).rows[0];
      if (box === undefined) return { status: 'unknown_box' };
      if (box.revoked_at !== null) return { status: 'revoked' };
      const current = box.db_id === null ? null : String(box.db_id);
      const seen = dbId !== undefined && dbId !== current && (await this.#query(SQL.dbSeen, [boxId, dbId], c)).rows.length > 0;
      const series = decideSeries(current, dbId, seen);
      if (series.kind === 'stale') return { status: 'stale_database', dbId: series.dbId, current: series.current };
      const receivedAt = this.#clock();
      let locked = (await this.#query(LOCK_MARKS, [boxId], c)).rows;
      if (locked.length < LANES.length) {
        await this.#query(SQL.insertLaneMarks, [boxId], c);
        locked = (await this.#query(LOCK_MARKS, [boxId], c)).rows;
      }
      for (const st of seriesChange(boxId, series, receivedAt)) await this.#query(st.sql, st.args ?? [], c);
      const marks = series.kind === 'new' ? zeroMarks() : marksFromRows(locked as { lane: string; mark: number }[]);
      const db = series.dbId;
      const plan = planIngest(marks, lanes);

      // Exploded from every candidate; the statement keeps the rows of the records that turn out new.
      const rows = explode(plan.candidates.map((p) => p.record));
      const advanced = LANES.filter((lane) => plan.marks[lane] > marks[lane]);
      const args = [
        boxId,
        receivedAt,
        plan.candidates.map((p) => p.record.seq),
        plan.candidates.map((p) => p.record.kind),
        plan.candidates.map((p) => p.lane),
        plan.candidates.map((p) => p.record.ts),
        plan.candidates.map((p) => storedPayload(p.record)),
        ...columns(rows.readings, READING_VALUES),
        ...columns(rows.aggregates, AGGREGATE_VALUES),
        advanced,
        advanced.map((l) => plan.marks[l]),
        db,
      ];
      const res = plan.candidates.length === 0 && advanced.length === 0 ? { rows: [] as Row[] } : await this.#query(STORE, args, c);
      const inserted = new Set(res.rows.map((r) => recordKey(Number(r.seq), String(r.kind))));
      const fresh: SyncRecord[] = plan.candidates.filter((p) => inserted.has(recordKey(p.record.seq, p.record.kind))).map((p) => p.record);
      // Alarm, health and recording records are few: their tables are written by their own statements, only when one is new.
      const few = fresh.filter((r) => r.kind === 'alarm' || r.kind === 'health' || r.kind === 'recording');
      if (few.length > 0) await this.#writeAlarmsAndHealth(c, boxId, db, receivedAt, explode(few));
      return ingestOutcome(plan, series, receivedAt, fresh.length);
    });
  }

  async #writeAlarmsAndHealth(c: Client, boxId: string, db: string, receivedAt: number, ex: Exploded): Promise<void> {
    if (ex.transitions.length > 0) {
      await this.#query(BULK.transitions, [boxId, receivedAt, ...columns(ex.transitions, TRANSITION_VALUES), db], c);
      // Refold each touched alarm from every transition held of it (arrival order never matters).
      const held = (await this.#query(BULK.transitionsForFold, [boxId, [...ex.alarms.keys()], db], c)).rows;
      for (const [alarmId, alarm] of ex.alarms) {
        const mine = held.filter((r) => Number(r.alarm_id) === alarmId).map(toFoldTransition);
        await this.#query(SQL.upsertAlarm, alarmArgs(boxId, db, foldAlarm(alarm, mine)), c);
      }
    }
    for (const h of ex.health) await this.#query(SQL.insertHealth, [boxId, h.seq, h.ts, receivedAt, h.payload, db], c);
    const newest = newestHealth(ex.health);
    if (newest !== undefined) await this.#query(SQL.upsertHealthLatest, [boxId, newest.seq, newest.ts, receivedAt, newest.payload, db], c);
    for (const r of ex.recordings) await this.#query(SQL.upsertRecording, [boxId, ...RECORDING_VALUES.of(r), receivedAt, db], c);
  }

  async rawReadings(q: ReadingsQuery): Promise<RawReading[]> {
    const r = rawRange(q);
    return (await this.#query(SQL.rawReadings, [q.boxId, q.sensorId, r.from, r.to, r.limit])).rows.map(toRawReading);
  }

  async readings15m(q: ReadingsQuery): Promise<Bucket15m[]> {
    const r = bucketRange(q);
    const rows = (await this.#query(SQL.buckets15m, [q.boxId, q.sensorId, r.from, r.to])).rows;
    return mergeBuckets(rows.map(toBucketPart), r.limit);
  }

  async activeAlarms(): Promise<HubAlarm[]> {
    return (await this.#query(SQL.activeAlarms)).rows.map(toHubAlarm).sort(compareActive);
  }

  /** `dbId`, or the box's current one ('' before it named one). */
  async #series(boxId: string, dbId: string | undefined, c?: Client): Promise<string> {
    if (dbId !== undefined) return dbId;
    const row = (await this.#query(SQL.currentDb, [boxId], c)).rows[0];
    return row === undefined ? '' : String(row.db_id);
  }

  async alarmTransitions(boxId: string, alarmId: number, dbId?: string): Promise<HubAlarmTransition[]> {
    return (await this.#query(SQL.alarmTransitions, [boxId, alarmId, await this.#series(boxId, dbId)])).rows.map(toHubTransition);
  }

  async recordStats(boxId: string, dbId?: string): Promise<BoxRecordStats> {
    const { seqs, ids, counts } = await this.#tx(async (c) => {
      const db = await this.#series(boxId, dbId, c);
      return {
        seqs: (await this.#query(SQL.recordSeqs, [boxId, db], c)).rows,
        ids: (await this.#query(SQL.readingIds, [boxId, db], c)).rows.map((r) => Number(r.reading_id)),
        counts: (await this.#query(SQL.rowCounts, [boxId, db], c)).rows[0],
      };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return buildStats(seqs, ids, counts);
  }

  async arrivals(boxId: string, kind?: RecordKind, dbId?: string): Promise<RecordArrival[]> {
    const db = await this.#series(boxId, dbId);
    const r = kind === undefined ? await this.#query(SQL.arrivals, [boxId, db]) : await this.#query(SQL.arrivalsOfKind, [boxId, db, kind]);
    return r.rows.map(toArrival);
  }

  readonly sql: SqlPort = {
    dialect: 'postgres',
    all: async (sql, args = []) => (await this.#query(sql, args)).rows,
    run: async (sql, args = []) => (await this.#query(sql, args)).rowCount ?? 0,
    batch: async (statements) =>
      this.#tx(async (c) => {
        const out: SqlRow[][] = [];
        for (const s of statements) out.push((await this.#query(s.sql, s.args ?? [], c)).rows);
        return out;
      }),
  };

  #closed = false;
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

/** Connects to PostgreSQL, migrates and returns the store. */
export async function openPgHubStore(opts: PgHubStoreOptions): Promise<PgHubStore> {
  return PgHubStore.open(opts);
}

/**
 * Runs the pending steps in one transaction holding `pg_advisory_xact_lock`: of two hub processes starting at once,
 * the second waits for the first's commit, then finds nothing to do. (DDL is transactional in PostgreSQL: a step
 * that fails leaves no half-made schema.)
 */
export async function migratePostgres(pool: pg.Pool, log?: StoreLog): Promise<number> {
  return transaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [PG_MIGRATION_LOCK]);
    await c.query(META_TABLE_SQL);
    const row = (await c.query<{ value: string }>("SELECT value FROM hub_meta WHERE key = 'schema_version'")).rows[0];
    const from = row === undefined ? 0 : Number(row.value);
    let version = from;
    for (const step of pendingSteps(version)) {
      for (const sql of stepSql(step, 'postgres')) await c.query(sql);
      version = step.version;
      log?.info({ event: 'hub.store.migrated', dialect: 'postgres', version, name: step.name }, `hub schema migrated to ${version}`);
    }
    if (version !== from || row === undefined) {
      await c.query(
        "INSERT INTO hub_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(version)],
      );
    }
    return version;
  });
}

/**
 * `begin` … COMMIT around `fn` on one pooled client; ROLLBACK if it throws (and the error thrown again). A client
 * whose ROLLBACK failed is released broken, so the pool drops it.
 */
async function transaction<T>(pool: pg.Pool, fn: (c: Client) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query(begin);
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    try {
      await c.query('ROLLBACK');
    } catch (e) {
      broken = e instanceof Error ? e : new Error(String(e));
    }
    throw err;
  } finally {
    c.release(broken);
  }
}
