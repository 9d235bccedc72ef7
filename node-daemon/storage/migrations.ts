import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/log.js';
import { CONTENT_BOX_MIGRATION } from '../sync/content/migration.js';
import { ORDERS_MIGRATION } from '../sync/orders/orders-migration.js';
import { LIBRARY_MIGRATION } from '../library/library-migration.js';
import { CLOCK_SPANS_MIGRATION } from './clock-migration.js';
import { RECORDINGS_MIGRATION } from '../recording/migration.js';
import { RECORDING_SCHEDULE_MIGRATION } from '../recording-schedule/migration.js';
import { SL651_MIGRATION } from '../uplinks/sl651/sl651-migration.js';
import { CAMERA_IMAGES_MIGRATION } from '../camera/migration.js';
import { SMS_MIGRATION } from '../sms/sms-migration.js';
import { IMAGE_UPLOAD_MIGRATION } from '../sync/image-upload/migration.js';

import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/*
 * Schema notes.
 * - readings.id and change_log.seq use AUTOINCREMENT so they are never reused, even after retention empties the
 *   table: consumers keep them as cursors.
 * - quality is stored as a small integer (see quality-codes.ts); value is metres, NULL when there is none.
 * - change_log stays compact: one row per committed batch, never one per reading. A `readings` row's payload is the
 *   batch's id range, {"firstId":10,"lastId":17,"count":8}: a batch is one transaction on the only writing
 *   connection, so its ids are contiguous and the consumer fetches `readings WHERE id BETWEEN firstId AND lastId`
 *   (sensor ids are in those rows). Per-sensor ranges were tried and dropped: with a few sensors they made the log as
 *   big as the readings themselves. A `retention` row records that one sensor's raw rows older than `before` were
 *   folded into 15-minute aggregates and deleted. Change-log rows older than the raw retention are pruned with the
 *   raw rows (seq is never reused, so a consumer that fell that far behind sees a gap and resyncs from aggregates).
 * - An `alarm` change-log row is one committed alarm transition: {"alarmId":3,"transitionId":12,"type":"raised"}.
 * - meta.db_id is a random id made with the database: if a corrupt file had to be replaced, consumers see a new id.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'readings, change_log, aggregates_15m, meta',
    up(db) {
      db.exec(`
        CREATE TABLE readings (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          sensor_id TEXT NOT NULL,
          ts INTEGER NOT NULL,
          value REAL,
          quality INTEGER NOT NULL
        );
        CREATE INDEX readings_sensor_ts ON readings (sensor_id, ts);

        CREATE TABLE change_log (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          ts INTEGER NOT NULL,
          kind TEXT NOT NULL,
          payload TEXT NOT NULL CHECK (json_valid(payload))
        );

        CREATE TABLE aggregates_15m (
          sensor_id TEXT NOT NULL,
          bucket INTEGER NOT NULL,
          min REAL NOT NULL,
          mean REAL NOT NULL,
          max REAL NOT NULL,
          count INTEGER NOT NULL,
          PRIMARY KEY (sensor_id, bucket)
        ) WITHOUT ROWID;

        CREATE TABLE meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('db_id', randomUUID());
    },
  },
  {
    version: 2,
    name: 'alarms, alarm_transitions',
    up(db) {
      // alarms holds each alarm's current state; alarm_transitions is its append-only history. The partial unique
      // index is what guarantees at most one alarm per key is not cleared, whatever the code above it does.
      db.exec(`
        CREATE TABLE alarms (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('flood', 'fault', 'manual', 'county', 'output_fault')),
          site_id TEXT,
          sensor_id TEXT,
          level TEXT CHECK (level IN ('prepare', 'evacuate')),
          drill INTEGER NOT NULL CHECK (drill IN (0, 1)),
          state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared')),
          title TEXT NOT NULL,
          raised_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          acknowledged_at INTEGER,
          acknowledged_by TEXT,
          ack_note TEXT,
          cleared_at INTEGER,
          shelved_until INTEGER
        );
        CREATE UNIQUE INDEX alarms_open_key ON alarms (key) WHERE state <> 'cleared';
        CREATE INDEX alarms_raised_at ON alarms (raised_at);

        CREATE TABLE alarm_transitions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          alarm_id INTEGER NOT NULL REFERENCES alarms (id),
          ts INTEGER NOT NULL,
          type TEXT NOT NULL
            CHECK (type IN ('raised', 'escalated', 'deescalated', 'acknowledged', 'cleared', 'shelved', 'unshelved')),
          level TEXT CHECK (level IN ('prepare', 'evacuate')),
          "by" TEXT,
          note TEXT,
          cause TEXT NOT NULL CHECK (json_valid(cause))
        );
        CREATE INDEX alarm_transitions_alarm ON alarm_transitions (alarm_id, id);
      `);
    },
  },
  {
    version: 3,
    name: 'alarm_rule_state',
    up(db) {
      // The rule engine's per-site state (node-daemon/alarms/engine): `state_json` is the pure rules' SiteState,
      // `pending_json` the rule events written ahead of their alarm-store calls (replayed after a crash), `shape` the
      // parts of the site's config the state depends on (sensor list, rate rule, rain gauge): a changed shape starts
      // the site fresh. Not in change_log: this is the box's own working state, not something the county syncs.
      db.exec(`
        CREATE TABLE alarm_rule_state (
          site_id TEXT PRIMARY KEY,
          shape TEXT NOT NULL,
          state_json TEXT NOT NULL CHECK (json_valid(state_json)),
          pending_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(pending_json)),
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 4,
    name: 'users, sessions',
    up(db) {
      // Accounts and sign-in sessions (node-daemon/auth). password_hash is a self-describing scrypt string (cost, salt,
      // key); names are unique regardless of case. A session row is keyed by the SHA-256 of its id, never the id
      // itself (the cookie value), so a copy of this file lets nobody in. Deleting a user ends their sessions.
      // Not in change_log: accounts are the box's own, never synced to the county.
      db.exec(`
        CREATE TABLE users (
          name TEXT PRIMARY KEY COLLATE NOCASE,
          role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
          password_hash TEXT NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE sessions (
          id_hash TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
          user_name TEXT NOT NULL COLLATE NOCASE REFERENCES users (name) ON DELETE CASCADE ON UPDATE CASCADE,
          csrf_token TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          last_seen_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX sessions_user ON sessions (user_name);
      `);
    },
  },
  {
    version: 5,
    name: 'settings_overrides, settings_audit',
    up(db) {
      // Config sections changed through the API (node-daemon/settings): `settings_overrides` holds one section's JSON
      // as the operator sent it (it wins over the YAML at every start); `settings_audit` is the append-only record
      // of every change, with the section as in effect before and after. Not in change_log: box-local settings.
      db.exec(`
        CREATE TABLE settings_overrides (
          section TEXT PRIMARY KEY,
          value_json TEXT NOT NULL CHECK (json_valid(value_json)),
          updated_at INTEGER NOT NULL,
          updated_by TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE settings_audit (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          ts INTEGER NOT NULL,
          "by" TEXT NOT NULL,
          section TEXT NOT NULL,
          before_json TEXT NOT NULL CHECK (json_valid(before_json)),
          after_json TEXT NOT NULL CHECK (json_valid(after_json))
        );
        CREATE INDEX settings_audit_ts ON settings_audit (ts);
      `);
    },
  },
  {
    version: 6,
    name: 'account on alarm transitions, alarms and settings_audit',
    up(db) {
      // Who did it (issue 10): `account` is the signed-in user's name, or `token:<id>` for an API token, taken from
      // the request's authentication. It sits beside the free-text "by" (on behalf of whom, as typed), which stays
      // as it was. Rows written before keep NULL (the API then leaves the field out); so do the rules' transitions.
      db.exec(`
        ALTER TABLE alarm_transitions ADD COLUMN account TEXT;
        ALTER TABLE alarms ADD COLUMN acknowledged_by_account TEXT;
        ALTER TABLE settings_audit ADD COLUMN account TEXT;
      `);
    },
  },
  {
    version: 7,
    name: 'county sync outbox: change_log (kind, seq) index, sync_cursor, sync_raw_debt',
    up(db) {
      // The county sync's outbox (node-daemon/sync/outbox, docs/sync.md). A lane reads `change_log WHERE kind = ? AND
      // seq > cursor ORDER BY seq LIMIT n`: the (kind, seq) index makes that a seek whatever the backlog. change_log
      // itself is left as it is (no rebuild): its AUTOINCREMENT row in sqlite_sequence is what keeps seq from being
      // reused, and a rebuilt table would start that over.
      // `sync_cursor`: per lane, the highest seq the hub acknowledged (it moves forward only, except when the hub
      // answers 409 and the lane is rewound to the hub's mark) and when. `sync_raw_debt`: the seqs of readings batches
      // the hub acknowledged as 15-minute aggregates whose raw readings it is still owed (the `bulk` lane); a row goes
      // when the hub acknowledges the raw batch. Neither is in change_log: this is the box's own sync state (a fresh
      // file after a corrupt one starts them empty, every lane at 0; its seqs start above the old file's).
      db.exec(`
        CREATE INDEX change_log_kind_seq ON change_log (kind, seq);

        CREATE TABLE sync_cursor (
          lane TEXT PRIMARY KEY,
          acked_seq INTEGER NOT NULL CHECK (acked_seq >= 0),
          acked_at INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE sync_raw_debt (
          seq INTEGER PRIMARY KEY
        );
      `);
    },
  },
  ORDERS_MIGRATION,
  CONTENT_BOX_MIGRATION,
  RECORDINGS_MIGRATION,
  RECORDING_SCHEDULE_MIGRATION,
  LIBRARY_MIGRATION,
  CLOCK_SPANS_MIGRATION,
  SL651_MIGRATION,
  CAMERA_IMAGES_MIGRATION,
  SMS_MIGRATION,
  IMAGE_UPLOAD_MIGRATION,
];

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/** Brings the schema to the newest version, one transaction per migration. Refuses a database newer than us. */
export function migrate(
  db: Database.Database,
  log: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): MigrationResult {
  const from = userVersion(db);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (from > latest) {
    throw new Error(
      `fenghuo: database schema version ${from} is newer than this software knows (${latest}); refusing to touch it`,
    );
  }
  const pending = [...migrations].filter((m) => m.version > from).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    log.info({ event: 'storage.migrated', version: m.version, name: m.name }, 'database migrated');
  }
  return { from, to: userVersion(db) };
}

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The random id made with this database (see the schema notes). */
export function databaseId(db: Database.Database): string {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'db_id'").get() as { value: string } | undefined;
  if (row === undefined) throw new Error('fenghuo: database has no db_id (not migrated?)');
  return row.value;
}
