import type { Quality, StoredReading } from '../core/types.js';

export interface ReadingsQuery {
  readonly sensorId: string;
  /** Inclusive UTC ms. */
  readonly from: number;
  /** Exclusive UTC ms. */
  readonly to: number;
  readonly limit: number;
}

/** A 15-minute aggregate kept for ever after raw readings age out. */
export interface Aggregate {
  readonly sensorId: string;
  /** Bucket start, UTC ms, a multiple of 15 minutes. */
  readonly bucket: number;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
  /** Number of good readings folded in. */
  readonly count: number;
}

export interface ReadingsReader {
  /** Raw readings in [from, to), oldest first, at most `limit`. */
  readings(q: ReadingsQuery): StoredReading[];
  /** 15-minute aggregates in [from, to), oldest first, at most `limit`. */
  aggregates(q: ReadingsQuery): Aggregate[];
  /** Newest stored reading of a sensor (any quality), if any. */
  latest(sensorId: string): StoredReading | undefined;
  /** Newest `good` reading of a sensor, if any. */
  latestGood(sensorId: string): StoredReading | undefined;
}

export type { Quality };

/** Error of the last failed storage write, as shown by the health endpoint. */
export interface StorageError {
  /** UTC ms of the failure. */
  readonly ts: number;
  /** SQLite extended code such as `SQLITE_FULL` or `SQLITE_IOERR_WRITE`, or `ERROR` when there is none. */
  readonly code: string;
  readonly message: string;
}

/** What the readings writer reports about itself (for the health endpoint). */
export interface StorageStatus {
  /** False while writes are failing and readings wait in memory. */
  readonly ok: boolean;
  /** UTC ms of the last committed batch, or null before the first. */
  readonly lastCommitTs: number | null;
  /** Readings received but not yet committed. */
  readonly pendingWrites: number;
  /** Failed write attempts since the last commit. */
  readonly consecutiveFailures: number;
  /** The most recent write failure (kept after recovery, see `ok`), or null if none since start. */
  readonly lastError: StorageError | null;
  /** Readings dropped since start because the in-memory backlog was full while writes failed. */
  readonly droppedReadings: number;
  /** Highest change-log sequence number committed by this process, or null before the first commit. */
  readonly lastSeq: number | null;
}
