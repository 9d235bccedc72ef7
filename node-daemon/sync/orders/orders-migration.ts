import type { Migration } from '../../storage/migration.js';

/**
 * Box schema 8, the downstream orders (sync/orders, docs/sync.md "Downstream"):
 * - sync_orders: every order the hub delivered, with what became of it: `outcome` (applied, accepted, refused,
 *   failed) for an order that verified, or `refusal` (bad_signature, replayed, expired, …) for one the box would not
 *   act on. It is the replay memory: an order id with an outcome is never acted on again (the partial unique index),
 *   kept until the order's expiry plus a margin (an expired order is refused anyway; the margin covers a box clock
 *   set back). A refused delivery keeps `order_id` only when the signature verified (otherwise nothing in it is
 *   believed).
 * - sync_order_cursor: the hub seq to ask `after` next; moved only after the orders up to it are recorded here.
 * - notices: the county's notices, shown by GET /api/v1/notices until `until`.
 */
export const ORDERS_MIGRATION: Migration = {
  version: 8,
  name: 'county orders: sync_orders (received orders and the replay memory), sync_order_cursor, notices',
  up(db) {
    db.exec(`
      CREATE TABLE sync_orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hub_seq INTEGER NOT NULL,
        order_id TEXT,
        kind TEXT,
        outcome TEXT CHECK (outcome IN ('applied', 'accepted', 'refused', 'failed')),
        refusal TEXT,
        detail TEXT,
        by_name TEXT,
        issued_at INTEGER,
        expires_at INTEGER,
        received_at INTEGER NOT NULL,
        keep_until INTEGER NOT NULL,
        CHECK ((outcome IS NULL) <> (refusal IS NULL))
      );
      CREATE UNIQUE INDEX sync_orders_acted ON sync_orders (order_id) WHERE outcome IS NOT NULL;
      CREATE INDEX sync_orders_keep ON sync_orders (keep_until);

      CREATE TABLE sync_order_cursor (
        k INTEGER PRIMARY KEY CHECK (k = 1),
        after_seq INTEGER NOT NULL CHECK (after_seq >= 0),
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE notices (
        order_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        announce INTEGER NOT NULL CHECK (announce IN (0, 1)),
        led INTEGER NOT NULL CHECK (led IN (0, 1)),
        issued_at INTEGER NOT NULL,
        until INTEGER NOT NULL,
        by_name TEXT NOT NULL,
        received_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX notices_until ON notices (until);
    `);
  },
};
