/**
 * The box's record of the orders it received (sync_orders, sync_order_cursor; orders-migration.ts): the replay memory
 * verifyOrder asks (`seen`), each delivery's outcome or refusal, and the cursor. Each record and the cursor move in
 * one transaction, so the cursor never passes an order whose outcome is not on disk.
 */
import type { OrderRefusal } from '../protocol/order-refusals.js';
import type { OrderKind } from '../protocol/order-schema.js';
import type { Db } from '../../storage/database.js';
import type { OrderOutcome } from './handler.js';

/** How long past its expiry an order's id is remembered (a box clock set back must not make it valid again). */
export const REPLAY_MARGIN_MS = 7 * 24 * 3600_000;

export interface ReceivedOrder {
  readonly hubSeq: number;
  readonly orderId?: string;
  readonly kind?: OrderKind;
  readonly by?: string;
  readonly issuedAt?: number;
  readonly expiresAt?: number;
  readonly receivedAt: number;
}

export interface OrderLogRow {
  readonly id: number;
  readonly hubSeq: number;
  readonly orderId: string | null;
  readonly kind: string | null;
  readonly outcome: OrderOutcome['status'] | null;
  readonly refusal: OrderRefusal | null;
  readonly detail: string | null;
  readonly by: string | null;
  readonly receivedAt: number;
}

interface Row {
  id: number;
  hub_seq: number;
  order_id: string | null;
  kind: string | null;
  outcome: OrderOutcome['status'] | null;
  refusal: OrderRefusal | null;
  detail: string | null;
  by_name: string | null;
  received_at: number;
}

export class OrderLog {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      seen: db.prepare<[string], { n: number }>('SELECT 1 AS n FROM sync_orders WHERE order_id = ? AND outcome IS NOT NULL'),
      insert: db.prepare(
        `INSERT INTO sync_orders (hub_seq, order_id, kind, outcome, refusal, detail, by_name, issued_at, expires_at, received_at, keep_until)
         VALUES (@hubSeq, @orderId, @kind, @outcome, @refusal, @detail, @by, @issuedAt, @expiresAt, @receivedAt, @keepUntil)`,
      ),
      cursor: db.prepare<[], { after_seq: number }>('SELECT after_seq FROM sync_order_cursor WHERE k = 1'),
      setCursor: db.prepare(
        'INSERT INTO sync_order_cursor (k, after_seq, updated_at) VALUES (1, ?, ?) ON CONFLICT (k) DO UPDATE SET after_seq = excluded.after_seq, updated_at = excluded.updated_at',
      ),
      prune: db.prepare('DELETE FROM sync_orders WHERE keep_until < ?'),
      recent: db.prepare<[number], Row>('SELECT id, hub_seq, order_id, kind, outcome, refusal, detail, by_name, received_at FROM sync_orders ORDER BY id DESC LIMIT ?'),
    };
  }

  /** Whether the box already acted on this order id (an outcome is recorded). */
  seen(orderId: string): boolean {
    return this.stmts.seen.get(orderId) !== undefined;
  }

  cursor(): number {
    return this.stmts.cursor.get()?.after_seq ?? 0;
  }

  /** Records what became of one delivery and moves the cursor to `cursor`, in one transaction. */
  record(r: ReceivedOrder, result: { readonly outcome: OrderOutcome } | { readonly refusal: OrderRefusal; readonly detail: string }, cursor: number): void {
    const keepUntil = (r.expiresAt !== undefined && r.expiresAt > r.receivedAt ? r.expiresAt : r.receivedAt) + REPLAY_MARGIN_MS;
    this.db.transaction(() => {
      this.stmts.insert.run({
        hubSeq: r.hubSeq,
        orderId: r.orderId ?? null,
        kind: r.kind ?? null,
        outcome: 'outcome' in result ? result.outcome.status : null,
        refusal: 'refusal' in result ? result.refusal : null,
        detail: ('outcome' in result ? result.outcome.detail : result.detail)?.slice(0, 2000) ?? null,
        by: r.by ?? null,
        issuedAt: r.issuedAt ?? null,
        expiresAt: r.expiresAt ?? null,
        receivedAt: r.receivedAt,
        keepUntil,
      });
      this.stmts.setCursor.run(cursor, r.receivedAt);
    })();
  }

  setCursor(cursor: number, at: number): void {
    this.stmts.setCursor.run(cursor, at);
  }

  /** Forgets orders past their keep time; resolves to how many. */
  prune(now: number): number {
    return this.stmts.prune.run(now).changes;
  }

  recent(limit: number): OrderLogRow[] {
    return this.stmts.recent.all(limit).map((r) => ({
      id: r.id,
      hubSeq: r.hub_seq,
      orderId: r.order_id,
      kind: r.kind,
      outcome: r.outcome,
      refusal: r.refusal,
      detail: r.detail,
      by: r.by_name,
      receivedAt: r.received_at,
    }));
  }
}
