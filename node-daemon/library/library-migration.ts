import type { Migration } from '../storage/migration.js';

/**
 * Box migration 12: the farm-content library (broadcast/library, node-daemon/library).
 *
 * `library_items`: one row per item; `file` is relative to the data dir (`content/<path>` for the county's files,
 * which stay where the sync installed them; `library/<sha256>.<ext>` for imports). `search_text` is title, category
 * and tags folded for search (broadcast/library/search-text.ts). A county item is keyed by its content path
 * (`source_ref`, unique among county items) so a new version of the file updates the same item.
 *
 * `library_fts`: an FTS5 index of `search_text` with the `trigram` tokenizer (SQLite 3.34+; better-sqlite3 bundles
 * 3.5x), so Chinese, which has no spaces between words, is found by any substring of three characters or more;
 * shorter words are matched with LIKE (broadcast/library/search-plan.ts). External content (`content=`): the text is
 * stored once, in library_items; the triggers keep the index in step in the same transaction.
 *
 * Not in change_log: the library is the box's own (the county knows its content; imports are local).
 */
export const LIBRARY_MIGRATION: Migration = {
  version: 12,
  name: 'farm-content library: library_items, library_fts (FTS5 trigram)',
  up(db) {
    db.exec(`
      CREATE TABLE library_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('video', 'pdf', 'image', 'notice', 'price_list')),
        title TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
        item_date INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('county', 'usb', 'operator')),
        source_ref TEXT,
        file TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        media_type TEXT NOT NULL,
        added_at INTEGER NOT NULL,
        search_text TEXT NOT NULL
      );
      CREATE UNIQUE INDEX library_items_county_path ON library_items (source_ref) WHERE source = 'county';
      CREATE INDEX library_items_sha256 ON library_items (sha256);
      CREATE INDEX library_items_date ON library_items (item_date, id);
      CREATE INDEX library_items_category ON library_items (category, item_date);

      CREATE VIRTUAL TABLE library_fts USING fts5(search_text, content = 'library_items', content_rowid = 'id', tokenize = 'trigram');
      CREATE TRIGGER library_items_ai AFTER INSERT ON library_items BEGIN
        INSERT INTO library_fts (rowid, search_text) VALUES (new.id, new.search_text);
      END;
      CREATE TRIGGER library_items_ad AFTER DELETE ON library_items BEGIN
        INSERT INTO library_fts (library_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
      END;
      CREATE TRIGGER library_items_au AFTER UPDATE OF search_text ON library_items BEGIN
        INSERT INTO library_fts (library_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO library_fts (rowid, search_text) VALUES (new.id, new.search_text);
      END;
    `);
  },
};
