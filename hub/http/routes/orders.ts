import { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../../../node-daemon/core/log.js';
import { ORDER_KINDS } from '../../../node-daemon/sync/protocol/order-schema.js';
import { issueBodySchema } from '../../orders/build-order.js';
import { deliveries } from '../../orders/deliveries.js';
import { issueOrder, OrderRequestError, type IssueDeps } from '../../orders/issue-order.js';
import { OrderIdTaken } from '../../orders/order-store.js';
import { roleAtLeast, type HubAccess } from '../access.js';
import { API_PREFIX, type HubEnv } from '../deps.js';
import { readLimited } from '../read-body.js';
import { errorBody } from '../refusals.js';

export const ORDERS_ISSUE_PATH = `${API_PREFIX}/orders`;
/** An order request is a few fields; a settings section or a manifest is the large part. */
export const ORDER_BODY_LIMIT = 256 * 1024;

export interface OrdersDeps extends IssueDeps {
  readonly access: HubAccess;
  readonly log: Logger;
}

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  before: z.coerce.number().int().min(1).optional(),
  kind: z.enum(ORDER_KINDS).optional(),
});

/**
 * The county's side of the orders (docs/sync.md, "Issuing orders"):
 * - `POST /api/v1/orders` (role duty; `settings` needs admin): `{kind, body, to?, ttlMinutes?, id?}` → 201
 *   `{id, seq, order}`; 400 names the field; 409 the id was issued before.
 * - `GET /api/v1/orders?limit=&before=&kind=` (viewer): newest first, each with its delivery to every box it is for.
 */
export function ordersRoutes(deps: OrdersDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.post(ORDERS_ISSUE_PATH, deps.access.require('duty'), async (c) => {
    const bytes = await readLimited(c.req.raw, ORDER_BODY_LIMIT);
    if (bytes === undefined) return c.json(errorBody('payload_too_large', `an order request must be at most ${ORDER_BODY_LIMIT} bytes`), 413);
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return c.json(errorBody('bad_request', 'the body must be JSON'), 400);
    }
    const parsed = issueBodySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return c.json(errorBody('bad_request', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, String(issue?.path[0] ?? 'body')), 400);
    }
    const b = parsed.data;
    const actor = c.get('actor');
    if (b.kind === 'settings' && !roleAtLeast(actor.role, 'admin')) {
      return c.json(errorBody('forbidden', 'a settings order (thresholds, dispatch plans) needs the admin role'), 403);
    }
    try {
      const issued = await issueOrder(deps, {
        kind: b.kind,
        body: b.body,
        by: actor.name,
        ...(b.to === undefined ? {} : { to: b.to }),
        ...(b.ttlMinutes === undefined ? {} : { ttl: b.ttlMinutes * 60_000 }),
        ...(b.id === undefined ? {} : { id: b.id }),
      });
      return c.json(issued, 201);
    } catch (err) {
      if (err instanceof OrderRequestError) return c.json(errorBody('bad_request', err.message, err.param), 400);
      if (err instanceof OrderIdTaken) return c.json(errorBody('conflict', err.message, 'id'), 409);
      throw err;
    }
  });

  app.get(ORDERS_ISSUE_PATH, deps.access.require('viewer'), async (c) => {
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) {
      const issue = q.error.issues[0];
      return c.json(errorBody('bad_request', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, String(issue?.path[0] ?? '')), 400);
    }
    const [orders, boxes, cursors] = await Promise.all([
      deps.orders.list({ limit: q.data.limit ?? 50, ...(q.data.before === undefined ? {} : { before: q.data.before }), ...(q.data.kind === undefined ? {} : { kind: q.data.kind }) }),
      deps.orders.boxes(),
      deps.orders.cursors(),
    ]);
    return c.json(
      {
        orders: orders.map((o) => ({
          seq: o.seq,
          id: o.id,
          kind: o.kind,
          to: o.to,
          issuedAt: o.issuedAt,
          expiresAt: o.expiresAt,
          by: o.by,
          createdAt: o.createdAt,
          body: bodyOf(o.signed.order),
          delivery: deliveries(o, boxes, cursors),
        })),
      },
      200,
    );
  });
  return app;
}

function bodyOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { body?: unknown }).body ?? null;
  } catch {
    return null;
  }
}
