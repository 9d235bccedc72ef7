import type { StoredReading } from '../core/types.js';
import type { Db } from './database.js';
import { QUALITY_CODE, qualityFromCode } from './quality-codes.js';
import { BUCKET_MS, mergeAggregates } from './retention.js';
import type { Aggregate, ReadingsQuery, ReadingsReader } from './types.js';

interface ReadingRow {
  id: number;
  sensor_id: string;
  ts: number;
  value: number | null;
  quality: number;
}

interface AggregateRow {
  bucket: number;
  min: number;
  mean: number;
  max: number;
  count: number;
}

function toReading(row: ReadingRow): StoredReading {
  return { id: row.id, sensorId: row.sensor_id, ts: row.ts, value: row.value, quality: qualityFromCode(row.quality) };
}

function ceilToBucket(ts: number): number {
  return Math.ceil(ts / BUCKET_MS) * BUCKET_MS;
}

/** Page sizes are clamped to [0, MAX_LIMIT] so one request cannot pull the whole table into memory. */
export const MAX_LIMIT = 100_000;

function clampLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.min(MAX_LIMIT, Math.max(0, Math.floor(limit))) : 0;
}

/** `ReadingsReader` on prepared statements. Safe to share with the writer (same connection, same thread). */
export class SqliteReadingsReader implements ReadingsReader {
  private readonly readingsStmt;
  private readonly storedAggregatesStmt;
  private readonly rawAggregatesStmt;
  private readonly latestStmt;
  private readonly latestGoodStmt;

  constructor(db: Db) {
    this.readingsStmt = db.prepare<[string, number, number, number], ReadingRow>(
      'SELECT id, sensor_id, ts, value, quality FROM readings WHERE sensor_id = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?',
    );
    this.storedAggregatesStmt = db.prepare<[string, number, number, number], AggregateRow>(
      'SELECT bucket, min, mean, max, count FROM aggregates_15m WHERE sensor_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket LIMIT ?',
    );
    this.rawAggregatesStmt = db.prepare<[string, number, number, number], AggregateRow>(
      `SELECT (ts / ${BUCKET_MS}) * ${BUCKET_MS} AS bucket, min(value) AS min, avg(value) AS mean, max(value) AS max, count(*) AS count
       FROM readings
       WHERE sensor_id = ? AND ts >= ? AND ts < ? AND quality = ${QUALITY_CODE.good} AND value IS NOT NULL
       GROUP BY bucket ORDER BY bucket LIMIT ?`,
    );
    this.latestStmt = db.prepare<[string], ReadingRow>(
      'SELECT id, sensor_id, ts, value, quality FROM readings WHERE sensor_id = ? ORDER BY ts DESC, id DESC LIMIT 1',
    );
    // Walks the (sensor_id, ts) index backwards; stops at the first good reading.
    this.latestGoodStmt = db.prepare<[string], ReadingRow>(
      `SELECT id, sensor_id, ts, value, quality FROM readings
       WHERE sensor_id = ? AND quality = ${QUALITY_CODE.good} ORDER BY ts DESC, id DESC LIMIT 1`,
    );
  }

  readings(q: ReadingsQuery): StoredReading[] {
    return this.readingsStmt.all(q.sensorId, q.from, q.to, clampLimit(q.limit)).map(toReading);
  }

  /**
   * Buckets starting in [from, to): the stored aggregates (raw readings already folded) merged with aggregates
   * computed now from raw readings not yet folded, so a long chart range has no gap at the retention cutoff.
   */
  aggregates(q: ReadingsQuery): Aggregate[] {
    const limit = clampLimit(q.limit);
    const byBucket = new Map<number, Aggregate>();
    for (const row of this.storedAggregatesStmt.all(q.sensorId, q.from, q.to, limit)) {
      byBucket.set(row.bucket, { sensorId: q.sensorId, ...row });
    }
    // A raw reading belongs to a bucket starting in [from, to) exactly when its ts is in [ceil(from), ceil(to)).
    const raw = this.rawAggregatesStmt.all(q.sensorId, ceilToBucket(q.from), ceilToBucket(q.to), limit);
    for (const row of raw) {
      const fresh: Aggregate = { sensorId: q.sensorId, ...row };
      const old = byBucket.get(row.bucket);
      byBucket.set(row.bucket, old === undefined ? fresh : mergeAggregates(old, fresh));
    }
    return [...byBucket.values()].sort((a, b) => a.bucket - b.bucket).slice(0, limit);
  }

  latest(sensorId: string): StoredReading | undefined {
    const row = this.latestStmt.get(sensorId);
    return row === undefined ? undefined : toReading(row);
  }

  latestGood(sensorId: string): StoredReading | undefined {
    const row = this.latestGoodStmt.get(sensorId);
    return row === undefined ? undefined : toReading(row);
  }
}
