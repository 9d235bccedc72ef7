import type { MigrationStep, PerDialect } from '../store/migration-step.js';

/** The record kinds hub_records takes from v8 on (docs/sync.md): v1's and `recording`. */
const KINDS_V8 = "'alarm', 'health', 'readings', 'aggregates', 'audit', 'recording'";

/**
 * Hub schema v8, the boxes' recordings lists (docs/sync.md, kind `recording`):
 * - hub_records takes the kind `recording`. Its CHECK names the kinds: SQLite cannot change a CHECK, so the table is
 *   rebuilt (same columns, ids and unique key; its AUTOINCREMENT counter carried over by the copy and the rename, as
 *   in v2); PostgreSQL swaps the constraint in place.
 * - hub_recordings: the latest state of each recording per (box, dbId, recording id): the `recording` record with the
 *   highest seq (the ingest upserts, a lower seq changes nothing). `state` and `planned_start` are the payload's, for
 *   the list's filter and order; `payload` is the record's payload as sent (JSON); `ts` the box's commit time of that
 *   record, `received_at` the hub's clock when it arrived. Rows stored before a box named a dbId (`''`) are adopted
 *   with the others (SERIES_TABLES).
 */
const REBUILD_RECORDS: PerDialect = {
  sqlite: [
    `CREATE TABLE hub_records_v8 (
        id {id},
        box_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN (${KINDS_V8})),
        lane TEXT NOT NULL,
        ts BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        payload TEXT,
        db_id TEXT NOT NULL DEFAULT '',
        UNIQUE (box_id, db_id, seq, kind)
      )`,
    `INSERT INTO hub_records_v8 (id, box_id, seq, kind, lane, ts, received_at, payload, db_id)
      SELECT id, box_id, seq, kind, lane, ts, received_at, payload, db_id FROM hub_records`,
    `DROP TABLE hub_records`,
    `ALTER TABLE hub_records_v8 RENAME TO hub_records`,
  ],
  postgres: [`ALTER TABLE hub_records DROP CONSTRAINT hub_records_kind_check, ADD CONSTRAINT hub_records_kind_check CHECK (kind IN (${KINDS_V8}))`],
};

export const RECORDINGS_MIGRATION: MigrationStep = {
  version: 8,
  name: 'recordings: hub_records takes the kind recording; hub_recordings, the latest state of each recording of a box',
  sql: [
    REBUILD_RECORDS,
    `CREATE TABLE hub_recordings (
      box_id TEXT NOT NULL,
      db_id TEXT NOT NULL DEFAULT '',
      recording_id TEXT NOT NULL,
      seq BIGINT NOT NULL,
      ts BIGINT NOT NULL,
      state TEXT NOT NULL,
      planned_start BIGINT NOT NULL,
      payload TEXT NOT NULL,
      received_at BIGINT NOT NULL,
      PRIMARY KEY (box_id, db_id, recording_id)
    ){noRowid}`,
    `CREATE INDEX hub_recordings_planned ON hub_recordings (box_id, db_id, planned_start)`,
  ],
};
