/**
 * What the county asks for (the CLI's flags, the page's form, POST /api/v1/orders) → an Order ready to sign. Pure:
 * the clock and the random part of ids come in. Everything is checked against the protocol's own schema, so the
 * hub never signs what a box would refuse as malformed.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { alarmsSchema } from '../../node-daemon/alarms/rules/schema.js';
import { dispatchPlanSchema } from '../../node-daemon/dispatch/plan-schema.js';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../../node-daemon/sync/outbox/box-id.js';
import { MAX_ORDER_LIFETIME_MS, ORDER_KINDS, orderSchema, type Order, type OrderKind } from '../../node-daemon/sync/protocol/order-schema.js';

/** How long an order is valid when the issuer does not say. */
export const DEFAULT_TTL_MS: Readonly<Record<OrderKind, number>> = {
  county_alarm: 24 * 3600_000,
  county_clear: 24 * 3600_000,
  notice: 24 * 3600_000,
  settings: 7 * 24 * 3600_000,
  content_manifest: MAX_ORDER_LIFETIME_MS,
};

export interface IssueRequest {
  readonly kind: OrderKind;
  /** The kind's body (order.ts); for county_alarm `alertId` may be left out (one is made). */
  readonly body: unknown;
  /** `*` (default) or box ids. */
  readonly to?: '*' | readonly string[];
  /** Who at the county issues it (an account name, `token:<name>`, or `cli:<user>`). */
  readonly by: string;
  /** How long it is valid, ms (default DEFAULT_TTL_MS of the kind; at most 30 days). */
  readonly ttl?: number;
  /** The order id; default made from the time and a random part. Unique at the hub. */
  readonly id?: string;
}

export type BuiltOrder = { readonly ok: true; readonly order: Order } | { readonly ok: false; readonly param: string; readonly message: string };

/** `20251206T081500Z-3f9a1c`: sorts by time, unique enough with 24 random bits per second. */
export function newOrderId(now: number, random: () => string = () => randomBytes(3).toString('hex')): string {
  const t = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${t}-${random()}`;
}

export const issueBodySchema = z.strictObject({
  kind: z.enum(ORDER_KINDS, { error: `kind must be one of ${ORDER_KINDS.join(', ')}` }),
  body: z.record(z.string(), z.unknown(), { error: 'body must be an object (the kind\'s fields, docs/sync.md)' }),
  to: z.union([z.literal('*'), z.array(z.string()).min(1).max(1000)]).optional(),
  ttlMinutes: z.int().min(1).max(MAX_ORDER_LIFETIME_MS / 60_000).optional(),
  id: z.string().optional(),
});
export type IssueBody = z.infer<typeof issueBodySchema>;

export function buildOrder(req: IssueRequest, now: number, random?: () => string): BuiltOrder {
  const to = req.to ?? '*';
  if (to !== '*') {
    if (to.length === 0) return { ok: false, param: 'to', message: 'to: name at least one box, or "*" for every box' };
    const bad = to.find((b) => !BOX_ID_PATTERN.test(b));
    if (bad !== undefined) return { ok: false, param: 'to', message: `to: ${JSON.stringify(bad.slice(0, 80))} is not a box id (${BOX_ID_RULE})` };
  }
  const ttl = req.ttl ?? DEFAULT_TTL_MS[req.kind];
  if (!Number.isInteger(ttl) || ttl < 60_000 || ttl > MAX_ORDER_LIFETIME_MS) return { ok: false, param: 'ttl', message: 'ttl must be from 1 minute to 30 days' };
  const id = req.id ?? newOrderId(now, random);
  let body = req.body;
  if (req.kind === 'county_alarm' && typeof body === 'object' && body !== null && !('alertId' in body)) body = { alertId: `county-${id}`, ...body };
  const parsed = orderSchema.safeParse({ v: 1, id, kind: req.kind, issuedAt: now, expiresAt: now + ttl, to: to === '*' ? '*' : [...to], by: req.by, body });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    return { ok: false, param: path === '' ? 'body' : path, message: `${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}` };
  }
  if (parsed.data.kind === 'settings') {
    // The box checks the section against its whole config (its sites and sensors); what can be checked here — the
    // section's own shape, with the box's schema — is, so the county hears of a typo before it signs anything.
    const { section, value } = parsed.data.body;
    const check = SECTION_SCHEMAS[section].safeParse(value);
    if (!check.success) {
      const problems = check.error.issues.slice(0, 5).map((i) => `${['body', 'value', ...i.path].join('.')}: ${i.message}`);
      const issue = check.error.issues[0];
      return { ok: false, param: ['body', 'value', ...(issue?.path ?? [])].join('.'), message: problems.join('; ') };
    }
  }
  return { ok: true, order: parsed.data };
}

/** The box's own schemas of the settings sections an order may carry. */
const SECTION_SCHEMAS = { alarms: alarmsSchema, dispatch: dispatchPlanSchema } as const;
