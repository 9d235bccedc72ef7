/**
 * Downstream orders (docs/sync.md "Downstream"): what the county sends a box — an alarm, its clearing, a notice,
 * settings, a content manifest — each signed by the county key on its own, so that a box acts on an order only if
 * the county issued it, whatever carried it (the hub, a proxy, a USB stick one day). Pure.
 *
 * The order travels as the exact JSON text that was signed (like JWS): the box verifies those bytes and parses
 * them after, so neither side needs a canonical JSON form. The signature is Ed25519 over the UTF-8 bytes of
 * `fenghuo-order-v1\n` followed by that text (the prefix keeps an order signature from ever being valid as anything
 * else the county key signs).
 */
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SigningKey } from './keys.js';
import type { OrderRefusal } from './order-refusals.js';
import { ORDER_SIGNING_PREFIX, orderSchema, type Order, type SignedOrder } from './order-schema.js';

export * from './order-schema.js';

function signedBytes(orderText: string): Buffer {
  return Buffer.from(ORDER_SIGNING_PREFIX + orderText, 'utf8');
}

/** Writes and signs an order (validated first: the county cannot sign what a box would refuse as malformed). */
export function signOrder(order: Order, key: SigningKey): Omit<SignedOrder, 'seq'> {
  const checked = orderSchema.parse(order);
  const text = JSON.stringify(checked);
  return { order: text, keyid: key.keyid, signature: Buffer.from(key.sign(signedBytes(text))).toString('base64url') };
}

export { ORDER_REFUSALS, type OrderRefusal } from './order-refusals.js';

export type OrderCheck =
  | { readonly ok: true; readonly order: Order }
  | { readonly ok: false; readonly reason: OrderRefusal; readonly detail: string; readonly id?: string };

export interface VerifyOrderOptions {
  readonly countyKey: KeyObject;
  readonly countyKeyId: string;
  readonly boxId: string;
  readonly now: number;
  /** Whether the box already acted on (or refused as replayed) this order id. */
  readonly seen: (orderId: string) => boolean;
  /** How far the county's issuedAt may be ahead of the box's clock (default 5 min). */
  readonly maxClockAheadMs?: number;
}

/** Checks an order in the order a box must: signature first (nothing unsigned is even parsed), then content and time. */
export function verifyOrder(signed: Omit<SignedOrder, 'seq'>, opts: VerifyOrderOptions): OrderCheck {
  if (signed.keyid !== opts.countyKeyId) return { ok: false, reason: 'unknown_key', detail: `signed by key ${JSON.stringify(signed.keyid)}, not the county key ${opts.countyKeyId}` };
  const sig = Buffer.from(signed.signature, 'base64url');
  let good = false;
  try {
    good = sig.length === 64 && cryptoVerify(null, signedBytes(signed.order), opts.countyKey, sig);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad_signature', detail: 'the signature does not verify with the county key' };
  let raw: unknown;
  try {
    raw = JSON.parse(signed.order);
  } catch {
    return { ok: false, reason: 'malformed', detail: 'the signed order is not JSON' };
  }
  const parsed = orderSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'malformed', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const order = parsed.data;
  if (order.to !== '*' && !order.to.includes(opts.boxId)) return { ok: false, reason: 'not_addressed', detail: `for ${order.to.join(', ')}`, id: order.id };
  if (opts.seen(order.id)) return { ok: false, reason: 'replayed', detail: `order ${order.id} was already received`, id: order.id };
  if (order.expiresAt <= opts.now) return { ok: false, reason: 'expired', detail: `expired at ${new Date(order.expiresAt).toISOString()}`, id: order.id };
  if (order.issuedAt > opts.now + (opts.maxClockAheadMs ?? 5 * 60_000)) {
    return { ok: false, reason: 'not_yet_valid', detail: `issued at ${new Date(order.issuedAt).toISOString()}, ahead of the box's clock`, id: order.id };
  }
  return { ok: true, order };
}
