/**
 * The downstream orders as `GET /api/v1/health` shows them under `sync.orders` (http/schemas/orders.ts documents the
 * shape). Pure.
 */
import type { OrderRefusal } from '../protocol/order-refusals.js';

/** What a verified order came to (handler.ts OrderOutcome's statuses). */
export type OrderOutcomeStatus = 'applied' | 'accepted' | 'refused' | 'failed';

/**
 * `starting`: no answer from the hub yet; `up`: the last long-poll was answered (a new one waits at the hub);
 * `backoff`: the last failed, the box waits to ask again; `down`: several failed in a row, or the hub refused the
 * box (revoked, unknown: 401/403).
 */
export const ORDERS_LINK_STATES = ['starting', 'up', 'backoff', 'down'] as const;
export type OrdersLinkState = (typeof ORDERS_LINK_STATES)[number];

export const ORDERS_DOWN_AFTER_FAILURES = 3;

export interface OrdersLastOrder {
  readonly id: string | null;
  readonly kind: string | null;
  /** The hub's seq. */
  readonly seq: number;
  /** What the box did with it, or `refused:<reason>` when it would not act on it. */
  readonly result: string;
  /** Box clock. */
  readonly at: number;
}

export interface OrdersHealth {
  readonly state: OrdersLinkState;
  /** The hub seq the box asks after next. */
  readonly cursor: number;
  /** Box clock of the last answer from the hub. */
  readonly lastAnswerAt?: number;
  readonly lastError?: { readonly ts: number; readonly message: string };
  readonly lastOrder?: OrdersLastOrder;
  /** Orders received since the box started, by outcome (applied, accepted, refused, failed). */
  readonly outcomes: Readonly<Partial<Record<OrderOutcomeStatus, number>>>;
  /** Orders the box would not act on since it started, by reason (bad_signature, replayed, expired, …). */
  readonly refusals: Readonly<Partial<Record<OrderRefusal, number>>>;
}

export function ordersLinkState(f: { readonly answered: boolean; readonly failures: number; readonly refusedByHub: boolean }): OrdersLinkState {
  if (f.failures > 0) return f.refusedByHub || f.failures >= ORDERS_DOWN_AFTER_FAILURES ? 'down' : 'backoff';
  return f.answered ? 'up' : 'starting';
}
