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
