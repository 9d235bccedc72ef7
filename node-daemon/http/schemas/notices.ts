import { z } from 'zod';
import { ORDERS_LINK_STATES } from '../../sync/orders/orders-health.js';
import { apiSchemas } from '../api-registry.js';

/**
 * The county's downstream orders in the box's API (docs/sync.md, "Downstream"): `GET /api/v1/notices` (routes/
 * notices.ts) and `sync.orders` of `GET /api/v1/health`. Free of Node.
 */

export const NOTICES_DEFAULT_LIMIT = 50;

export const noticesQuerySchema = z.strictObject({
  state: z
    .enum(['current', 'all'], { error: 'state must be current or all' })
    .optional()
    .describe('current (default): the notices still shown; all: also those whose time is over (kept 30 days)'),
  limit: z
    .preprocess((v) => (typeof v === 'string' && /^\d{1,4}$/.test(v) ? Number(v) : v), z.int({ error: 'limit must be a whole number from 1 to 500' }).min(1).max(500))
    .optional()
    .describe(`most notices returned, newest first; default ${NOTICES_DEFAULT_LIMIT}`),
});

export const noticeSchema = z
  .strictObject({
    id: z.string().describe('the county order that brought it'),
    title: z.string(),
    text: z.string(),
    announce: z.boolean().describe('read out on the loudspeakers when it arrived'),
    led: z.boolean().describe('shown on the LED boards until `until`'),
    issuedAt: z.int().describe('when the county issued it (UTC ms)'),
    until: z.int().describe('shown until then (UTC ms)'),
    by: z.string().describe('who at the county issued it'),
    receivedAt: z.int().describe('when the box received it (UTC ms, box clock)'),
  })
  .register(apiSchemas, { id: 'Notice' });

export const noticeListSchema = z
  .strictObject({ state: z.enum(['current', 'all']), notices: z.array(noticeSchema) })
  .register(apiSchemas, { id: 'NoticeList' });

export type NoticeList = z.infer<typeof noticeListSchema>;

const count = z.int().nonnegative();

export const ordersHealthSchema = z
  .strictObject({
    state: z
      .enum(ORDERS_LINK_STATES)
      .describe('`up`: the last long-poll was answered; `backoff`: it failed, the box waits; `down`: several failed or the hub refused the box; `starting`: no answer yet'),
    cursor: z.int().describe('the hub seq the box asks after next'),
    lastAnswerAt: z.int().optional().describe('box clock (UTC ms) of the last answer from the hub'),
    lastError: z.strictObject({ ts: z.int(), message: z.string() }).optional(),
    lastOrder: z
      .strictObject({
        id: z.string().nullable(),
        kind: z.string().nullable(),
        seq: z.int(),
        result: z.string().describe('applied, accepted, refused, failed, or refused:<reason> when the box would not act on it'),
        at: z.int(),
      })
      .optional(),
    outcomes: z.strictObject({ applied: count.optional(), accepted: count.optional(), refused: count.optional(), failed: count.optional() }).describe('orders acted on since start, by outcome'),
    refusals: z
      .strictObject({
        malformed: count.optional(),
        unknown_key: count.optional(),
        bad_signature: count.optional(),
        not_addressed: count.optional(),
        not_yet_valid: count.optional(),
        expired: count.optional(),
        replayed: count.optional(),
      })
      .describe('orders not acted on since start, by reason: a signature not the county\'s, replayed, expired, …'),
  })
  .register(apiSchemas, { id: 'OrdersHealth' });
