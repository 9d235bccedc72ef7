/**
 * The SL 651 uplink's durable outbox on SQLite (migration 14, sl651-migration.ts): per centre, the report planner's
 * state and readings cursor, the next 流水号, and the queue of planned reports waiting for the centre's confirmation.
 *
 * One planner run is one transaction: the new readings after the cursor are read, the pure planner (report-plan.ts)
 * runs, and its reports (with their serials), its state and the cursor are written together. A crash anywhere leaves
 * either all of it or none, so a report is neither lost nor queued twice. Like the county sync's cursors
 * (sync/outbox/outbox-store.ts), the cursor moves only in the transaction that consumed what it passes.
 *
 * Readings of a clock span that was abandoned (storage/clock-spans.ts: its error can never be known) are never
 * reported and do not hold the cursor; readings of a span still waiting for its correction do (report-plan.ts).
 */
import { systemClock, type Clock } from '../../core/types.js';
import type { Db } from '../../storage/database.js';
import { QUALITY_CODE } from '../../storage/quality-codes.js';
import type { ObservationGroup } from './codec/model.js';
import type { Sl651CentreConfig } from './config-schema.js';
import {
  initialPlannerState,
  parsePlannerState,
  planReports,
  type PlanInput,
  type PlannerOptions,
  type PlannerPorts,
  type PlannerReading,
  type PlanResult,
  type Sl651PlannerState,
} from './report-plan.js';
import type { PlannedReport, ReportKind } from './report-types.js';

export interface Sl651OutboxOptions {
  /** A database migrated to version 14 or later. */
  readonly db: Db;
  /** When a confirmation arrived, and now for prune (default the system clock). */
  readonly clock?: Clock;
  /** Readings read per planner run (default 5000); a run that read this many says `more`. */
  readonly batchLimit?: number;
  /** The planner (default report-plan.ts's); tests hand in one that fails. */
  readonly planner?: (input: PlanInput) => PlanResult;
}

/** The planner's lookups; `levelAt` defaults to the store's own (good, trusted-clock readings in this database). */
export interface OutboxPorts {
  readonly rainAt: PlannerPorts['rainAt'];
  readonly levelAt?: PlannerPorts['levelAt'];
}

export interface QueuedReport extends PlannedReport {
  /** The order of sending. */
  readonly id: number;
  readonly centreId: string;
  /** 流水号, 1..65535, the same on every resend. */
  readonly serial: number;
  readonly createdAt: number;
  readonly sentCount: number;
  readonly lastSentAt: number | null;
  readonly confirmedAt: number | null;
}

export interface PlannerRun {
  /** Reports queued by this run, in order. */
  readonly queued: readonly QueuedReport[];
  /** The readings cursor after the run. */
  readonly cursor: number;
  /** A reading waiting for its clock correction holds the cursor. */
  readonly held: boolean;
  /** The batch was full: more readings wait (run again soon). */
  readonly more: boolean;
}

export const DEFAULT_BATCH_LIMIT = 5_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MAX_SERIAL = 0xffff;

interface CentreRow {
  state: string;
  reading_cursor: number;
  next_serial: number;
  last_confirmed_at: number | null;
}

interface ReadingRow {
  id: number;
  sensor_id: string;
  ts: number;
  value: number | null;
  quality: number;
  clock_span: number | null;
}

interface OutboxRow {
  id: number;
  centre_id: string;
  kind: string;
  fn: number;
  observed_at: number;
  serial: number;
  groups: string;
  reason: string | null;
  created_at: number;
  sent_count: number;
  last_sent_at: number | null;
  confirmed_at: number | null;
}

const OUTBOX_COLUMNS = 'id, centre_id, kind, fn, observed_at, serial, groups, reason, created_at, sent_count, last_sent_at, confirmed_at';

/** The serial after `s`: 65535 wraps to 1 (0 is never given). */
export function nextSerial(s: number): number {
  return s >= MAX_SERIAL ? 1 : s + 1;
}

export class Sl651Outbox {
  private readonly clock: Clock;
  private readonly batchLimit: number;
  private readonly planner: (input: PlanInput) => PlanResult;
  private readonly s;
  private readonly runTx: (config: Sl651CentreConfig, now: number, ports: PlannerPorts, options: PlannerOptions | undefined) => PlannerRun;
  private readonly confirmTx: (centreId: string, serial: number, fn: number | undefined, at: number) => QueuedReport | undefined;

  constructor(opts: Sl651OutboxOptions) {
    const db = opts.db;
    this.clock = opts.clock ?? systemClock;
    this.batchLimit = Math.max(1, Math.floor(opts.batchLimit ?? DEFAULT_BATCH_LIMIT));
    this.planner = opts.planner ?? planReports;
    this.s = {
      centre: db.prepare<[string], CentreRow>('SELECT state, reading_cursor, next_serial, last_confirmed_at FROM sl651_centres WHERE centre_id = ?'),
      insertCentre: db.prepare<[string, string, number, number]>(
        'INSERT INTO sl651_centres (centre_id, state, reading_cursor, next_serial, updated_at) VALUES (?, ?, ?, 1, ?)',
      ),
      saveCentre: db.prepare<[string, number, number, number, string]>(
        'UPDATE sl651_centres SET state = ?, reading_cursor = ?, next_serial = ?, updated_at = ? WHERE centre_id = ?',
      ),
      confirmedAt: db.prepare<[number, string]>(
        'UPDATE sl651_centres SET last_confirmed_at = max(coalesce(last_confirmed_at, 0), ?) WHERE centre_id = ?',
      ),
      maxReadingId: db.prepare<[], { v: number }>('SELECT coalesce(max(id), 0) AS v FROM readings'),
      // One seek down the (sensor_id, ts) index: the sensor's first reading in the backfill window.
      firstSince: db.prepare<[string, number], { id: number }>('SELECT id FROM readings WHERE sensor_id = ? AND ts >= ? ORDER BY ts, id LIMIT 1'),
      readings: db.prepare<[number, number], ReadingRow>(
        `SELECT r.id, r.sensor_id, r.ts, r.value, r.quality, r.clock_span FROM readings r
         WHERE r.id > ? AND (r.clock_span IS NULL
           OR NOT EXISTS (SELECT 1 FROM clock_spans s WHERE s.id = r.clock_span AND s.state = 'abandoned'))
         ORDER BY r.id LIMIT ?`,
      ),
      levelAt: db.prepare<[string, number, number], { value: number }>(
        `SELECT value FROM readings
         WHERE sensor_id = ? AND ts <= ? AND ts >= ? AND quality = ${QUALITY_CODE.good} AND value IS NOT NULL AND clock_span IS NULL
         ORDER BY ts DESC, id DESC LIMIT 1`,
      ),
      insertReport: db.prepare<[string, string, number, number, number, string, string | null, number]>(
        `INSERT INTO sl651_outbox (centre_id, kind, fn, observed_at, serial, groups, reason, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byId: db.prepare<[number], OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM sl651_outbox WHERE id = ?`),
      waiting: db.prepare<[string, number], OutboxRow>(
        `SELECT ${OUTBOX_COLUMNS} FROM sl651_outbox WHERE centre_id = ? AND confirmed_at IS NULL ORDER BY id LIMIT ?`,
      ),
      waitingSerial: db.prepare<[string, number], { id: number }>(
        'SELECT id FROM sl651_outbox WHERE centre_id = ? AND confirmed_at IS NULL AND serial = ? ORDER BY id LIMIT 1',
      ),
      waitingSerialFn: db.prepare<[string, number, number], { id: number }>(
        'SELECT id FROM sl651_outbox WHERE centre_id = ? AND confirmed_at IS NULL AND serial = ? AND fn = ? ORDER BY id LIMIT 1',
      ),
      confirm: db.prepare<[number, number]>('UPDATE sl651_outbox SET confirmed_at = ? WHERE id = ?'),
      markSent: db.prepare<[number, number]>('UPDATE sl651_outbox SET sent_count = sent_count + 1, last_sent_at = ? WHERE id = ?'),
      count: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sl651_outbox WHERE centre_id = ? AND confirmed_at IS NULL'),
      prune: db.prepare<[number]>('DELETE FROM sl651_outbox WHERE confirmed_at IS NOT NULL AND confirmed_at < ?'),
    };

    this.runTx = db.transaction((config: Sl651CentreConfig, now: number, ports: PlannerPorts, options: PlannerOptions | undefined): PlannerRun => {
      const centre = this.loadOrCreate(config, now);
      const rows = this.s.readings.all(centre.cursor, this.batchLimit);
      const readings: PlannerReading[] = rows.map((r) => ({
        id: r.id,
        sensorId: r.sensor_id,
        ts: r.ts,
        value: r.value,
        quality: r.quality,
        marked: r.clock_span !== null,
      }));
      const more = rows.length >= this.batchLimit;
      const result = this.planner({ config, state: centre.state, now, readings, more, ports, ...(options === undefined ? {} : { options }) });
      let serial = centre.nextSerial;
      const queued: QueuedReport[] = [];
      for (const report of result.reports) {
        const groups = JSON.stringify(report.groups);
        const id = Number(
          this.s.insertReport.run(config.id, report.kind, report.fn, report.observedAt, serial, groups, report.reason ?? null, now).lastInsertRowid,
        );
        queued.push({ ...report, id, centreId: config.id, serial, createdAt: now, sentCount: 0, lastSentAt: null, confirmedAt: null });
        serial = nextSerial(serial);
      }
      // The cursor never goes back, whatever a planner says.
      const cursor = Math.max(centre.cursor, result.next.cursor);
      this.s.saveCentre.run(JSON.stringify({ ...result.next, cursor }), cursor, serial, now, config.id);
      return { queued, cursor, held: result.held, more };
    });

    this.confirmTx = db.transaction((centreId: string, serial: number, fn: number | undefined, at: number): QueuedReport | undefined => {
      const hit = fn === undefined ? this.s.waitingSerial.get(centreId, serial) : this.s.waitingSerialFn.get(centreId, serial, fn);
      if (hit === undefined) return undefined;
      this.s.confirm.run(at, hit.id);
      this.s.confirmedAt.run(at, centreId);
      const row = this.s.byId.get(hit.id);
      return row === undefined ? undefined : toQueued(row);
    });
  }

  /**
   * Plans the centre's reports from the readings after its cursor (at most the batch limit) and queues them, with
   * the planner's state and the cursor, in one transaction. A centre seen for the first time starts at the backfill
   * limit (`backfillHours` before `now`), not at the first reading ever stored.
   */
  runPlanner(config: Sl651CentreConfig, now: number, ports: OutboxPorts, options?: PlannerOptions): PlannerRun {
    const levelAt = ports.levelAt ?? ((sensorId: string, atMs: number, maxAgeMs: number) => this.levelAt(sensorId, atMs, maxAgeMs));
    return this.runTx(config, now, { levelAt, rainAt: ports.rainAt }, options);
  }

  /** The newest good reading of the sensor at or before `atMs`, no older than `maxAgeMs`, taken on a trusted clock. */
  levelAt(sensorId: string, atMs: number, maxAgeMs: number): number | null {
    return this.s.levelAt.get(sensorId, atMs, atMs - maxAgeMs)?.value ?? null;
  }

  /** The oldest report the centre has not confirmed. */
  nextUnconfirmed(centreId: string): QueuedReport | undefined {
    return this.unconfirmed(centreId, 1)[0];
  }

  /** Up to `limit` unconfirmed reports, oldest first. */
  unconfirmed(centreId: string, limit: number): QueuedReport[] {
    return this.s.waiting.all(centreId, Math.max(0, Math.floor(limit))).map(toQueued);
  }

  report(id: number): QueuedReport | undefined {
    const row = this.s.byId.get(id);
    return row === undefined ? undefined : toQueued(row);
  }

  /** The report went on the wire at `at`. */
  markSent(id: number, at: number): void {
    this.s.markSent.run(at, id);
  }

  /**
   * The centre confirmed `serial` (and, when given, function `fn`): the oldest unconfirmed report of that centre
   * with it is confirmed and returned; undefined when none matches (a late or repeated confirmation, or serial 0).
   */
  confirm(centreId: string, serial: number, fn?: number, at: number = this.clock()): QueuedReport | undefined {
    if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) return undefined;
    return this.confirmTx(centreId, serial, fn, at);
  }

  /** Reports waiting for the centre's confirmation. */
  queueLength(centreId: string): number {
    return this.s.count.get(centreId)?.n ?? 0;
  }

  /** When the centre last confirmed a report (box clock, UTC ms); null before its first confirmation. */
  lastConfirmedAt(centreId: string): number | null {
    return this.s.centre.get(centreId)?.last_confirmed_at ?? null;
  }

  /** The centre's readings cursor; undefined before its first planner run. */
  cursor(centreId: string): number | undefined {
    return this.s.centre.get(centreId)?.reading_cursor;
  }

  /** The centre's saved planner state; undefined before its first planner run. */
  plannerState(centreId: string): Sl651PlannerState | undefined {
    const row = this.s.centre.get(centreId);
    return row === undefined ? undefined : (parsePlannerState(parseJson(row.state)) ?? initialPlannerState(row.reading_cursor));
  }

  /** Deletes confirmed reports confirmed more than `days` ago; returns how many. */
  prune(days: number, now: number = this.clock()): number {
    return this.s.prune.run(now - days * DAY).changes;
  }

  private loadOrCreate(config: Sl651CentreConfig, now: number): { state: Sl651PlannerState; cursor: number; nextSerial: number } {
    const row = this.s.centre.get(config.id);
    if (row !== undefined) {
      const cursor = row.reading_cursor;
      // A state that cannot be read starts afresh from the cursor: its marks restart at the backfill limit.
      const parsed = parsePlannerState(parseJson(row.state));
      const state = parsed === undefined ? initialPlannerState(cursor) : { ...parsed, cursor };
      return { state, cursor, nextSerial: row.next_serial };
    }
    const cursor = this.startCursor(config, now);
    const state = initialPlannerState(cursor);
    this.s.insertCentre.run(config.id, JSON.stringify(state), cursor, now);
    return { state, cursor, nextSerial: 1 };
  }

  /** Just before the first reading of a mapped sensor in the backfill window; the newest id when none is there. */
  private startCursor(config: Sl651CentreConfig, now: number): number {
    const since = now - config.backfillHours * HOUR;
    let first = Infinity;
    for (const sensor of new Set(config.levels.map((l) => l.sensor))) {
      const hit = this.s.firstSince.get(sensor, since);
      if (hit !== undefined) first = Math.min(first, hit.id);
    }
    return first === Infinity ? (this.s.maxReadingId.get()?.v ?? 0) : first - 1;
  }
}

function toQueued(r: OutboxRow): QueuedReport {
  const reason = r.reason === null ? {} : { reason: r.reason };
  return {
    id: r.id,
    centreId: r.centre_id,
    kind: r.kind as ReportKind,
    fn: r.fn,
    observedAt: r.observed_at,
    serial: r.serial,
    groups: (parseJson(r.groups) ?? []) as readonly ObservationGroup[],
    ...reason,
    createdAt: r.created_at,
    sentCount: r.sent_count,
    lastSentAt: r.last_sent_at,
    confirmedAt: r.confirmed_at,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
