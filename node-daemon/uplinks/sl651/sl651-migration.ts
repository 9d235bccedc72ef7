import type { Migration } from '../../storage/migration.js';

/**
 * Migration 14: the SL 651 uplink's durable side (outbox-store.ts).
 *
 * - `sl651_centres`: per configured centre id, the report planner's state (report-plan.ts, JSON), the readings cursor
 *   it has consumed up to (also inside the state; this column is the one the store reads), the next 流水号 to give
 *   (1..65535, 0 never used) and when the centre last confirmed a report. A centre dropped from the config keeps its
 *   row and its reports.
 * - `sl651_outbox`: planned reports in the order they are sent (`id`), each with the serial it keeps on every resend,
 *   its observation groups as JSON, and its sending history. Confirmed rows are pruned after some days.
 */
export const SL651_MIGRATION: Migration = {
  version: 14,
  name: 'sl651_centres, sl651_outbox',
  up(db) {
    db.exec(`
      CREATE TABLE sl651_centres (
        centre_id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (json_valid(state)),
        reading_cursor INTEGER NOT NULL,
        next_serial INTEGER NOT NULL CHECK (next_serial BETWEEN 1 AND 65535),
        last_confirmed_at INTEGER,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE sl651_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        centre_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('timed', 'added', 'hourly')),
        fn INTEGER NOT NULL,
        observed_at INTEGER NOT NULL,
        serial INTEGER NOT NULL CHECK (serial BETWEEN 1 AND 65535),
        groups TEXT NOT NULL CHECK (json_valid(groups)),
        reason TEXT,
        created_at INTEGER NOT NULL,
        sent_count INTEGER NOT NULL DEFAULT 0,
        last_sent_at INTEGER,
        confirmed_at INTEGER
      );
      CREATE INDEX sl651_outbox_waiting ON sl651_outbox (centre_id, id) WHERE confirmed_at IS NULL;
      CREATE INDEX sl651_outbox_confirmed ON sl651_outbox (confirmed_at) WHERE confirmed_at IS NOT NULL;
    `);
  },
};
