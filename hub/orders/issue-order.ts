/**
 * Issuing an order at the hub: built and checked (build-order.ts), signed with the county key (the box acts on it
 * only if this signature verifies), stored with the next seq, and the waiting long-polls of this process told at
 * once (other processes on the same database see it on their next look at the store, within OrderWatch's poll).
 */
import type { Logger } from '../../node-daemon/core/log.js';
import { signOrder, type SigningKey, type Order } from '../../node-daemon/sync/protocol/index.js';
import { buildOrder, type IssueRequest } from './build-order.js';
import type { HubOrderStore } from './order-store.js';

export interface IssueDeps {
  readonly orders: HubOrderStore;
  readonly countyKey: SigningKey;
  readonly clock: () => number;
  readonly log?: Logger;
  /** Wakes this process's waiting long-polls (OrderWatch.notify). */
  readonly issued?: () => void;
}

export interface IssuedOrder {
  readonly id: string;
  readonly seq: number;
  readonly order: Order;
}

/** The request could not make a valid order: `param` names the field. */
export class OrderRequestError extends Error {
  override readonly name = 'OrderRequestError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** Builds, signs and stores one order. Throws OrderRequestError (bad request) or OrderIdTaken (the id was used). */
export async function issueOrder(deps: IssueDeps, req: IssueRequest): Promise<IssuedOrder> {
  const now = deps.clock();
  const built = buildOrder(req, now);
  if (!built.ok) throw new OrderRequestError(built.param, built.message);
  const { order } = built;
  const signed = signOrder(order, deps.countyKey);
  const seq = await deps.orders.insert(order, signed, now);
  deps.issued?.();
  deps.log?.info(
    { event: 'hub.order.issued', id: order.id, seq, kind: order.kind, to: order.to, by: order.by, expiresAt: order.expiresAt, keyid: signed.keyid },
    `order ${order.id} (${order.kind}) issued by ${order.by}`,
  );
  return { id: order.id, seq, order };
}
