/**
 * Which boxes have received an order (GET /api/v1/orders, the county's page). Pure. A box has received order S once
 * it asked for orders `after` S or later: it asks so only after durably recording every order up to S. Boxes revoked
 * before the order was issued are not counted as addressed.
 */
import type { OrderCursor, StoredOrder } from './order-store.js';

export interface Delivery {
  readonly box: string;
  readonly received: boolean;
  /** When the box last asked (hub clock); null: never. */
  readonly lastAskedAt: number | null;
}

export interface DeliverySummary {
  readonly addressed: number;
  readonly received: number;
  readonly boxes: readonly Delivery[];
}

export function deliveries(order: Pick<StoredOrder, 'seq' | 'to' | 'createdAt'>, boxes: readonly { id: string; revokedAt: number | null }[], cursors: readonly OrderCursor[]): DeliverySummary {
  const at = new Map(cursors.map((c) => [c.boxId, c]));
  const ids = order.to === '*' ? boxes.filter((b) => b.revokedAt === null || b.revokedAt > order.createdAt).map((b) => b.id) : [...order.to];
  const list = ids.map((box): Delivery => {
    const c = at.get(box);
    return { box, received: c !== undefined && c.after >= order.seq, lastAskedAt: c?.askedAt ?? null };
  });
  return { addressed: list.length, received: list.filter((d) => d.received).length, boxes: list };
}
