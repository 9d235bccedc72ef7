import type { MigrationStep } from '../store/migration-step.js';

/**
 * Hub schema v7, the pull scheduler (hub/pull/): one row per box some hub process pulls.
 * - The lease: `holder` (a process's id) may pull the box while `lease_until` (UTC ms, the holder's clock) is ahead.
 *   Taking or renewing it is one conditional upsert, so of several hub processes on one PostgreSQL exactly one holds
 *   a box at a time; the others stand by and take over once the lease lapses (the holder died or stopped).
 * - The status of the last round, written by the holder, read by `GET /api/v1/boxes/:id` in any process.
 */
export const PULL_MIGRATION: MigrationStep = {
  version: 7,
  name: 'hub_pull_targets: the pull lease per box (which hub process pulls it) and the status of its last round',
  sql: [
    `CREATE TABLE hub_pull_targets (
      box_id TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      lease_until BIGINT NOT NULL,
      url TEXT,
      state TEXT NOT NULL DEFAULT 'starting',
      last_attempt_at BIGINT,
      last_ok_at BIGINT,
      last_error TEXT,
      failures BIGINT NOT NULL DEFAULT 0,
      next_at BIGINT,
      records_pulled BIGINT NOT NULL DEFAULT 0,
      updated_at BIGINT NOT NULL
    )`,
  ],
};
