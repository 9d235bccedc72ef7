import type { Migration } from '../storage/migration.js';

/**
 * Box migration 16: warning SMS (node-daemon/sms). `sms_messages`, one row per recipient of one alarm transition:
 * UNIQUE (alarm_id, transition_id, phone) is the dedupe key that keeps a restart or a repeated event from sending
 * twice. `state` runs queued → sent → delivered | failed, or is `suppressed` (rate limit, daily cap) with `reason`.
 * `transport_id` is the driver's message id, matched by delivery reports.
 */
export const SMS_MIGRATION: Migration = {
  version: 16,
  name: 'sms messages',
  up(db) {
    db.exec(`
      CREATE TABLE sms_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        alarm_id INTEGER NOT NULL,
        transition_id INTEGER NOT NULL,
        person_id TEXT NOT NULL,
        person_name TEXT NOT NULL,
        phone TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN ('prepare', 'evacuate', 'all_clear', 'fault')),
        drill INTEGER NOT NULL CHECK (drill IN (0, 1)),
        text TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'delivered', 'failed', 'suppressed')),
        reason TEXT,
        error_code TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at INTEGER,
        transport_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        delivered_at INTEGER,
        UNIQUE (alarm_id, transition_id, phone)
      );
      CREATE INDEX sms_messages_phone_created ON sms_messages (phone, created_at);
      CREATE INDEX sms_messages_created ON sms_messages (created_at);
      CREATE INDEX sms_messages_state ON sms_messages (state, next_attempt_at);
    `);
  },
};
