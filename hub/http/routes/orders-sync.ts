import { Hono, type Context } from 'hono';
import type { Clock } from '../../../node-daemon/core/types.js';
import { nextCursor, ORDERS_MAX_WAIT_S, ORDERS_PAGE, ORDERS_PATH, ordersQuerySchema, type OrdersAnswer } from '../../../node-daemon/sync/protocol/orders-wire.js';
import type { HubOrderStore } from '../../orders/order-store.js';
import type { OrderWatch } from '../../orders/order-watch.js';
import type { HubStore } from '../../store/types.js';
import type { HubEnv } from '../deps.js';
import type { NonceStore } from '../nonce-store.js';
import { readBody } from '../read-body.js';
import { refuse, type RefusalSink } from '../refusals.js';
import { verifyBox } from '../verify-box.js';

export interface OrdersSyncDeps extends RefusalSink {
  readonly store: HubStore;
  readonly orders: HubOrderStore;
  readonly watch: OrderWatch;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly requestUrl: (c: Context) => string;
}

/** A GET has no body; anything sent with it is refused beyond this. */
const GET_BODY_LIMIT = 1024;

/**
 * `GET /api/v1/sync/orders?after=SEQ&waitS=N` (docs/sync.md, "The orders route"): signed by an enrolled, unrevoked
 * box like ingest (401/403 otherwise). Notes `after` as the box's delivery cursor, then answers the orders after it
 * for this box, unexpired, oldest first, at once if there are any; else waits up to `waitS` seconds (at most 30) and
 * answers as soon as one is issued, by this process or another on the same database (OrderWatch). Answer
 * `{orders, next, hubTime}`, signed by the county key (sign-responses.ts) like every sync answer; each order also
 * carries its own county signature, which is what the box acts on.
 */
export function ordersSyncRoutes(deps: OrdersSyncDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get(ORDERS_PATH, readBody(GET_BODY_LIMIT, deps), verifyBox(deps), async (c) => {
    const box = c.get('box').id;
    const query = ordersQuerySchema.safeParse({ after: c.req.query('after'), waitS: c.req.query('waitS') });
    if (!query.success) {
      const issue = query.error.issues[0];
      const param = String(issue?.path[0] ?? 'after');
      const message = issue?.code === 'invalid_type' && issue.input === undefined ? `${param} is required` : (issue?.message ?? 'bad query');
      return refuse(c, deps, { status: 400, code: 'bad_request', detail: message, keyid: box, box, message, param });
    }
    const { after } = query.data;
    const waitMs = Math.min(query.data.waitS ?? 0, ORDERS_MAX_WAIT_S) * 1000;
    const started = deps.clock();
    await deps.orders.noteCursor(box, after, started);
    const signal = c.req.raw.signal;
    let page = await deps.orders.forBox(box, after, deps.clock(), ORDERS_PAGE);
    while (page.orders.length === 0 && !signal.aborted) {
      const left = started + waitMs - deps.clock();
      if (left <= 0) break;
      await deps.watch.wait(page.top, left, signal);
      page = await deps.orders.forBox(box, after, deps.clock(), ORDERS_PAGE);
    }
    const body: OrdersAnswer = { orders: page.orders, next: nextCursor(after, page.orders, page.top, page.full), hubTime: deps.clock() };
    if (body.orders.length > 0) {
      deps.log.info({ event: 'hub.orders.served', box, after, next: body.next, orders: body.orders.map((o) => o.seq) }, `${body.orders.length} order(s) to ${box}`);
    }
    return c.json(body, 200);
  });
  return app;
}
