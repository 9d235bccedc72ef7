import type { Migration } from '../storage/migration.js';

/**
 * Box migration 10: `recordings`, one row per recording job (node-daemon/recording). Times UTC ms. `gaps_json` is the
 * list of stretches without data ([{from, to, reason}]), `streams_json` the browser copy's streams from ffprobe.
 * `pinned` recordings are never evicted by the media quota. The changes the county hears of go to change_log as
 * `recording` records, written by the store (recording-store.ts, recording-record.ts; docs/sync.md).
 */
export const RECORDINGS_MIGRATION: Migration = {
  version: 10,
  name: 'recordings',
  up(db) {
    db.exec(`
      CREATE TABLE recordings (
        id TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        title TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('xmltv', 'manual', 'weekly', 'now')),
        planned_start INTEGER NOT NULL,
        planned_end INTEGER NOT NULL,
        actual_start INTEGER,
        actual_end INTEGER,
        state TEXT NOT NULL CHECK (state IN ('recording', 'finishing', 'finished', 'failed')),
        bytes INTEGER NOT NULL DEFAULT 0,
        segments INTEGER NOT NULL DEFAULT 0,
        gaps_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(gaps_json)),
        pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
        browser_path TEXT,
        browser_bytes INTEGER,
        duration_s REAL,
        streams_json TEXT CHECK (streams_json IS NULL OR json_valid(streams_json)),
        damaged_packets INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX recordings_planned_start ON recordings (planned_start);
      CREATE INDEX recordings_state ON recordings (state);
    `);
  },
};
