import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import { systemClock, type Clock } from '../core/types.js';
import type { Db } from './database.js';
import { qualityFromCode } from './quality-codes.js';
import { aggregateRows, mergeAggregates, retentionCutoff, type RawRow } from './retention.js';
import type { Aggregate } from './types.js';

export interface RetentionJobOptions {
  readonly db: Db;
  readonly log: Logger;
  /** Config `storage.rawRetentionDays`. */
  readonly rawRetentionDays: number;
  readonly clock?: Clock;
  /** Default one hour. */
  readonly intervalMs?: number;
  /** Raw rows folded and deleted per transaction, so the writer is never held up long. Default 10 000. */
  readonly chunkRows?: number;
}

export interface RetentionRunResult {
  /** Raw readings with ts below this were folded. */
  readonly cutoff: number;
  /** Raw readings deleted (good ones were folded into aggregates first). */
  readonly deletedReadings: number;
  /** Aggregate rows inserted or updated. */
  readonly aggregatesWritten: number;
  /** Change-log rows older than the cutoff that were removed. */
  readonly prunedChangeLog: number;
  readonly transactions: number;
}

interface RawDbRow {
  id: number;
  sensor_id: string;
  ts: number;
  value: number | null;
  quality: number;
}

/**
 * Every `intervalMs` (and once at start) folds raw readings older than `rawRetentionDays` into 15-minute aggregates
 * and deletes them, in bounded transactions that also prune change-log rows of the same age. Folding and deleting
 * share a transaction, so a crash never folds a reading twice or loses it.
 */
export class RetentionJob implements Module {
  readonly name = 'storage.retention';

  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly chunkRows: number;
  private readonly foldChunk: (sensorId: string, cutoff: number, now: number) => { deleted: number; aggregates: number };
  private readonly pruneChunk: (cutoff: number) => number;
  private readonly sensorsStmt;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRunResult | undefined> | undefined;
  private stopped = true;

  constructor(private readonly opts: RetentionJobOptions) {
    this.clock = opts.clock ?? systemClock;
    this.intervalMs = opts.intervalMs ?? 3_600_000;
    this.chunkRows = Math.max(1, opts.chunkRows ?? 10_000);
    const { db } = opts;

    // Distinct sensors by hopping along the (sensor_id, ts) index: one seek per sensor instead of a full scan.
    this.sensorsStmt = db.prepare<[], { id: string }>(`
      WITH RECURSIVE s(id) AS (
        SELECT (SELECT min(sensor_id) FROM readings)
        UNION ALL
        SELECT (SELECT min(sensor_id) FROM readings WHERE sensor_id > s.id) FROM s WHERE s.id IS NOT NULL
      )
      SELECT id FROM s WHERE id IS NOT NULL`);
    const oldRows = db.prepare<[string, number, number], RawDbRow>(
      'SELECT id, sensor_id, ts, value, quality FROM readings WHERE sensor_id = ? AND ts < ? ORDER BY ts, id LIMIT ?',
    );
    const existing = db.prepare<[string, number], Omit<Aggregate, 'sensorId' | 'bucket'>>(
      'SELECT min, mean, max, count FROM aggregates_15m WHERE sensor_id = ? AND bucket = ?',
    );
    const upsert = db.prepare(
      `INSERT INTO aggregates_15m (sensor_id, bucket, min, mean, max, count) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (sensor_id, bucket) DO UPDATE SET
         min = excluded.min, mean = excluded.mean, max = excluded.max, count = excluded.count`,
    );
    const deleteRow = db.prepare('DELETE FROM readings WHERE id = ?');
    const logChange = db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'retention', ?)");
    const prune = db.prepare(
      'DELETE FROM change_log WHERE seq IN (SELECT seq FROM change_log WHERE ts < ? ORDER BY seq LIMIT ?)',
    );

    this.foldChunk = db.transaction((sensorId: string, cutoff: number, now: number) => {
      const rows = oldRows.all(sensorId, cutoff, this.chunkRows);
      if (rows.length === 0) return { deleted: 0, aggregates: 0 };
      const raw: RawRow[] = rows.map((r) => ({
        sensorId: r.sensor_id,
        ts: r.ts,
        value: r.value,
        quality: qualityFromCode(r.quality),
      }));
      const folded = aggregateRows(raw);
      for (const agg of folded) {
        const old = existing.get(agg.sensorId, agg.bucket);
        const merged = old === undefined ? agg : mergeAggregates({ sensorId: agg.sensorId, bucket: agg.bucket, ...old }, agg);
        upsert.run(merged.sensorId, merged.bucket, merged.min, merged.mean, merged.max, merged.count);
      }
      for (const r of rows) deleteRow.run(r.id);
      const payload = { sensorId, before: cutoff, deleted: rows.length, firstTs: rows[0]?.ts, lastTs: rows[rows.length - 1]?.ts };
      logChange.run(now, JSON.stringify(payload));
      return { deleted: rows.length, aggregates: folded.length };
    });
    this.pruneChunk = db.transaction((cutoff: number) => prune.run(cutoff, this.chunkRows).changes);
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One full pass now (chunk by chunk, yielding to the event loop between transactions). */
  runOnce(): Promise<RetentionRunResult | undefined> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce().finally(() => {
        if (!this.stopped) this.schedule(this.intervalMs);
      });
    }, delayMs);
  }

  private async pass(): Promise<RetentionRunResult | undefined> {
    const started = this.clock();
    const cutoff = retentionCutoff(started, this.opts.rawRetentionDays);
    let deletedReadings = 0;
    let aggregatesWritten = 0;
    let prunedChangeLog = 0;
    let transactions = 0;
    try {
      for (const { id: sensorId } of this.sensorsStmt.all()) {
        for (;;) {
          const r = this.foldChunk(sensorId, cutoff, this.clock());
          transactions += 1;
          deletedReadings += r.deleted;
          aggregatesWritten += r.aggregates;
          if (r.deleted < this.chunkRows) break;
          await yieldToLoop();
        }
        await yieldToLoop();
      }
      for (;;) {
        const n = this.pruneChunk(cutoff);
        transactions += 1;
        prunedChangeLog += n;
        if (n < this.chunkRows) break;
        await yieldToLoop();
      }
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      this.opts.log.error(
        { event: 'storage.retention_failed', code: typeof code === 'string' ? code : 'ERROR', error: String(err), cutoff },
        'retention pass failed; will retry at the next one',
      );
      return undefined;
    }
    const result = { cutoff, deletedReadings, aggregatesWritten, prunedChangeLog, transactions };
    this.opts.log.info({ event: 'storage.retention', ...result, tookMs: this.clock() - started }, 'retention pass');
    return result;
  }
}
