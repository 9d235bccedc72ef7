import type { Migration } from '../../storage/migration.js';

/**
 * Box migration 9: the content manifest (docs/sync.md "Content"). `content_files`: the files the county wants on
 * the box now, one row per path under `<data>/content/`, with where its download stands (`missing` → `downloading`
 * → `installed`, or `failed` to be retried at `retry_at`), `bytes_done` (the partial's size when last saved) and
 * the mismatches counted. `content_removals`: paths dropped from the manifest whose files are still to be deleted
 * (the downloader deletes them, so a crash between the order and the deletion loses nothing). `content_manifest`:
 * the order the table came from (one row).
 */
export const CONTENT_BOX_MIGRATION: Migration = {
  version: 9,
  name: 'county content: content_files, content_removals, content_manifest',
  up(db) {
    db.exec(`
      CREATE TABLE content_files (
        path TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        title TEXT,
        media_type TEXT,
        state TEXT NOT NULL CHECK (state IN ('missing', 'downloading', 'installed', 'failed')),
        bytes_done INTEGER NOT NULL DEFAULT 0,
        installed_at INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        retry_at INTEGER,
        listed_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX content_files_sha256 ON content_files (sha256);

      CREATE TABLE content_removals (
        path TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        since INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE content_manifest (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        order_id TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        files INTEGER NOT NULL
      );
    `);
  },
};
