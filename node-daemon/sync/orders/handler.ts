import type { OrderKind, OrderOf } from '../protocol/order-schema.js';

/**
 * What acting on a verified order came to. `accepted`: taken, the work goes on in the background (a content
 * manifest's downloads, which resume after a restart); `refused`: the box would not apply it (e.g. settings that do
 * not validate), said in `detail`; `failed`: it could not be applied now (a fault of the box).
 */
export interface OrderOutcome {
  readonly status: 'applied' | 'accepted' | 'refused' | 'failed';
  readonly detail?: string;
}

/** Acts on one verified, addressed, unexpired, first-seen order of kind K. */
export type OrderHandler<K extends OrderKind> = (order: OrderOf<K>) => Promise<OrderOutcome>;

/** One handler per kind; a kind without one is answered `refused` ("not supported on this box"). */
export type OrderHandlers = { readonly [K in OrderKind]?: OrderHandler<K> };
