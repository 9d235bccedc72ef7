import type { MigrationStep } from '../store/migration-step.js';

/**
 * Hub schema v4, the downstream orders (docs/sync.md "Downstream"):
 * - hub_orders: every order the county issued, in the order boxes receive them. `seq` is the boxes' cursor: global,
 *   increasing, never reused (issuing takes a lock first, so on PostgreSQL seqs also become visible in increasing
 *   order and no box's cursor passes an order still being written). `order_text` is the exact signed JSON, `keyid`
 *   and `signature` beside it; the other columns repeat the order's fields for the hub's own queries. `target` is
 *   `*` (every box) or the box ids between commas (`,a,b,`), so that one LIKE finds a box's orders.
 *   `order_id` is unique: the hub never issues two orders under one id.
 * - hub_order_cursors: per box, the `after` it last asked with, and when. A box asks `after=S` only once it has
 *   durably recorded every order up to S, so an order with seq ≤ that cursor has been received.
 */
export const ORDERS_MIGRATION: MigrationStep = {
  version: 4,
  name: 'hub_orders (downstream orders, signed by the county) and hub_order_cursors (what each box has received)',
  sql: [
    `CREATE TABLE hub_orders (
      seq {id},
      order_id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      target TEXT NOT NULL,
      order_text TEXT NOT NULL,
      keyid TEXT NOT NULL,
      signature TEXT NOT NULL,
      issued_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      issued_by TEXT NOT NULL,
      created_at BIGINT NOT NULL
    )`,
    `CREATE INDEX hub_orders_expires ON hub_orders (expires_at)`,
    `CREATE TABLE hub_order_cursors (
      box_id TEXT PRIMARY KEY,
      after_seq BIGINT NOT NULL,
      asked_at BIGINT NOT NULL
    )`,
  ],
};
