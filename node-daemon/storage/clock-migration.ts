import type { Migration } from './migration.js';

/**
 * Migration 13 (issue #14 item 3): readings and alarm transitions stamped while the box's clock was not trusted.
 *
 * - `readings.clock_span`: NULL for a reading taken on a trusted clock (the usual case: a NULL costs no byte in the
 *   row), else the id of the untrusted span it was taken in. Set by the readings writer, cleared (and `ts` corrected)
 *   in one transaction when trusted time arrives. A span of an earlier boot that ended before any trusted time is
 *   `abandoned`: its error cannot be known any more (the monotonic clock did not survive the reboot), so its
 *   readings keep the mark for ever. The partial index holds only marked rows: the trusted write path does not touch
 *   it, and a correction seeks exactly its span's rows.
 * - `clock_spans`: one row per untrusted span. `after_seq`: the change-log seq before the span opened; the county
 *   sync holds the readings batches after it back while a span of this boot waits for its correction, so the county
 *   gets corrected times, once. `transitions_after`/`transitions_last`: the alarm transitions written in the span
 *   (ids after / up to; no column on alarm_transitions, whose writer is the alarm store). `offset_ms`: what was
 *   added once corrected; `readings`/`alarms`: how many rows it corrected.
 */
export const CLOCK_SPANS_MIGRATION: Migration = {
  version: 13,
  name: 'clock_spans, readings.clock_span',
  up(db) {
    db.exec(`
      ALTER TABLE readings ADD COLUMN clock_span INTEGER;
      CREATE INDEX readings_clock_span ON readings (clock_span) WHERE clock_span IS NOT NULL;

      CREATE TABLE clock_spans (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        opened_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'corrected', 'abandoned')),
        after_seq INTEGER NOT NULL,
        transitions_after INTEGER NOT NULL,
        transitions_last INTEGER,
        offset_ms INTEGER,
        corrected_at INTEGER,
        readings INTEGER,
        alarms INTEGER
      );
    `);
  },
};
