import type { Migration } from '../storage/migration.js';

/**
 * Box migration 11: the recording schedule (broadcast/recording/schedule). `recording_schedule_entries`: what operators
 * asked for through the API, one-off (`once`), weekly, or record-now (`now`), with who asked; a deleted entry goes.
 * `recording_schedule_skips`: single jobs an operator cancelled (one guide programme, one weekly occurrence), by job
 * id. `recording_guide`: the last good XMLTV guide as read (its text, so a restart plans from it before the source
 * answers) and the last attempt's error, one row. `recording_conflicts`: every conflict planning found, kept as a record
 * after it is over. Not in change_log: the box's own plan (the recordings themselves are synced).
 */
export const RECORDING_SCHEDULE_MIGRATION: Migration = {
  version: 11,
  name: 'recording schedule: entries, skips, guide, conflicts',
  up(db) {
    db.exec(`
      CREATE TABLE recording_schedule_entries (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('once', 'weekly', 'now')),
        channel_id TEXT NOT NULL,
        title TEXT NOT NULL,
        start_at INTEGER,
        end_at INTEGER,
        days TEXT CHECK (days IS NULL OR json_valid(days)),
        start_local TEXT,
        end_local TEXT,
        created_at INTEGER NOT NULL,
        account TEXT,
        CHECK ((kind = 'weekly') = (days IS NOT NULL AND start_local IS NOT NULL AND end_local IS NOT NULL)),
        CHECK ((kind = 'weekly') OR (start_at IS NOT NULL AND end_at > start_at))
      ) WITHOUT ROWID;

      CREATE TABLE recording_schedule_skips (
        job_id TEXT PRIMARY KEY,
        until INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        account TEXT
      ) WITHOUT ROWID;

      CREATE TABLE recording_guide (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        source TEXT,
        xml TEXT,
        sha256 TEXT,
        loaded_at INTEGER,
        programmes INTEGER,
        attempted_at INTEGER,
        error_json TEXT CHECK (error_json IS NULL OR json_valid(error_json))
      );

      CREATE TABLE recording_conflicts (
        id TEXT PRIMARY KEY,
        source_key TEXT NOT NULL,
        kept_json TEXT NOT NULL CHECK (json_valid(kept_json)),
        dropped_json TEXT NOT NULL CHECK (json_valid(dropped_json)),
        overlap_from INTEGER NOT NULL,
        overlap_to INTEGER NOT NULL,
        first_seen_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX recording_conflicts_to ON recording_conflicts (overlap_to);
    `);
  },
};
