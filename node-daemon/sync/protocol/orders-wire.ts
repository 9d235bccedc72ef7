/**
 * `GET /api/v1/sync/orders` on the wire (docs/sync.md, "Downstream"): the box's query and the hub's answer. The box
 * (sync/orders) and the hub (hub/http/routes/orders-sync.ts) both use these. Pure.
 */
import { z } from 'zod';
import { signedOrderSchema, type SignedOrder } from './order.js';

export const ORDERS_PATH = '/api/v1/sync/orders';

/** The longest a long-poll waits at the hub (`waitS` above it is taken as this). */
export const ORDERS_MAX_WAIT_S = 30;
/** Orders in one answer at most (the box asks again at once with `next`). */
export const ORDERS_PAGE = 100;

const whole = (what: string, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v),
    z.int({ error: `${what} must be a whole number from 0` }).min(0, { error: `${what} must be a whole number from 0` }).max(max, { error: `${what} must be at most ${max}` }),
  );

/** The query: `after` (required, 0 at first) and `waitS` (default 0: answer at once; above 30 taken as 30). */
export const ordersQuerySchema = z.strictObject({
  after: whole('after', Number.MAX_SAFE_INTEGER),
  waitS: whole('waitS', 3600).optional(),
});
export type OrdersQuery = z.output<typeof ordersQuerySchema>;

export const ordersAnswerSchema = z.object({
  orders: z.array(signedOrderSchema).max(ORDERS_PAGE),
  /** Ask `after=next` next time, once every order of this answer is durably recorded. */
  next: z.int().nonnegative(),
  hubTime: z.int(),
});

export interface OrdersAnswer {
  readonly orders: readonly SignedOrder[];
  readonly next: number;
  readonly hubTime: number;
}

/** The answer's body as the box reads it; undefined when it is not one (the caller then treats it as a bad answer). */
export function parseOrdersAnswer(body: Uint8Array): OrdersAnswer | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ordersAnswerSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** The `next` a hub answers (pure, so both back ends and the docs agree): see docs/sync.md "The orders route". */
export function nextCursor(after: number, served: readonly { readonly seq: number }[], top: number, full: boolean): number {
  const last = served[served.length - 1];
  // A full page: more may wait after its last order.
  if (full && last !== undefined) return last.seq;
  // Everything up to the hub's newest order was looked at: orders for other boxes and expired ones are skipped for
  // good. `top` below `after` means the hub holds fewer orders than the box has seen (restored from a backup): the
  // box is told to step back to it (its replay memory keeps it from acting twice).
  return Math.max(top, last?.seq ?? 0);
}
