/**
 * Hands a verified order to the handler of its kind (handler.ts) and turns whatever happens into an outcome: no
 * handler → `refused` ("not supported on this box"); a handler that throws → `failed` with its message. Pure.
 */
import type { Order, OrderKind, OrderOf } from '../protocol/order-schema.js';
import type { OrderHandler, OrderHandlers, OrderOutcome } from './handler.js';

export async function actOnOrder(order: Order, handlers: OrderHandlers): Promise<OrderOutcome> {
  const handler = handlers[order.kind] as OrderHandler<OrderKind> | undefined;
  if (handler === undefined) return { status: 'refused', detail: `${order.kind} orders are not supported on this box` };
  try {
    return await handler(order as OrderOf<OrderKind>);
  } catch (err) {
    return { status: 'failed', detail: err instanceof Error ? err.message : String(err) };
  }
}
