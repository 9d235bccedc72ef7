/**
 * The downstream order's shapes (docs/sync.md "Downstream"): kinds, bodies, the envelope and the signed form as the
 * hub serves it. Free of Node (the box's API schemas and the hub page may name them); signing and verifying are in
 * order.ts.
 */
import { z } from 'zod';
import { ALARM_LEVELS } from '../../alarms/types.js';

export const ORDER_SIGNING_PREFIX = 'fenghuo-order-v1\n';
export const ORDER_KINDS = ['county_alarm', 'county_clear', 'notice', 'settings', 'content_manifest'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

/** The longest an order may be valid: a county alarm outlives no flood by a month. */
export const MAX_ORDER_LIFETIME_MS = 30 * 24 * 3600 * 1000;

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const id = (what: string) => z.string({ error: `${what} must be text` }).regex(ID, { error: `${what} must be 1-128 letters, digits, "_", ".", ":" or "-"` });
const text = (what: string, max: number) =>
  z.string({ error: `${what} must be text` }).trim().min(1, { error: `${what} must not be empty` }).max(max, { error: `${what} must be at most ${max} characters` });
const ms = (what: string) => z.int({ error: `${what} must be UTC milliseconds` }).nonnegative();
const SHA256_HEX = /^[0-9a-f]{64}$/;

export const countyAlarmOrderSchema = z.strictObject({
  /** The county's alert id: the box's alarm key is `county:<alertId>` (the same as POST /api/v1/alarms/county). */
  alertId: id('alertId'),
  level: z.enum(ALARM_LEVELS, { error: `level must be ${ALARM_LEVELS.join(' or ')}` }),
  title: text('title', 100),
  message: z.string().max(2_000).optional(),
  drill: z.boolean().optional(),
});
export const countyClearOrderSchema = z.strictObject({ alertId: id('alertId'), note: z.string().max(500).optional() });
export const noticeOrderSchema = z.strictObject({
  title: text('title', 100),
  text: text('text', 2_000),
  /** Read out on the loudspeakers (as a county notice, below any alarm). */
  announce: z.boolean().optional(),
  /** Shown on the LED boards. */
  led: z.boolean().optional(),
  /** Shown until then (UTC ms); default: the order's expiresAt. */
  until: ms('until').optional(),
});
export const settingsOrderSchema = z.strictObject({
  /** A settings section the box's settings path takes (`alarms`, `dispatch`). */
  section: z.enum(['alarms', 'dispatch']),
  /** The whole section, validated by the box like any settings change. */
  value: z.unknown(),
});
export const contentFileSchema = z.strictObject({
  /** Where it goes under `<data>/content/`: relative, `/`-separated, no `..`. */
  path: z
    .string()
    .min(1)
    .max(255)
    .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[^\\\0]+$/, { error: 'path must be relative, without "." or ".." parts' }),
  size: z.int().nonnegative(),
  sha256: z.string().regex(SHA256_HEX, { error: 'sha256 must be 64 lowercase hex digits' }),
  title: z.string().max(200).optional(),
  mediaType: z.string().max(100).optional(),
});
export const contentManifestOrderSchema = z.strictObject({
  /** The complete set of files the county wants on the box. */
  files: z.array(contentFileSchema).max(10_000),
});

const common = {
  v: z.literal(1),
  id: id('id'),
  issuedAt: ms('issuedAt'),
  expiresAt: ms('expiresAt'),
  /** The boxes it is for: `*` for every box of the county. */
  to: z.union([z.literal('*'), z.array(id('to[]')).min(1).max(1000)]),
  /** Who at the county issued it (an account name), for the box's audit. */
  by: text('by', 100),
};

export const orderSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...common, kind: z.literal('county_alarm'), body: countyAlarmOrderSchema }),
    z.strictObject({ ...common, kind: z.literal('county_clear'), body: countyClearOrderSchema }),
    z.strictObject({ ...common, kind: z.literal('notice'), body: noticeOrderSchema }),
    z.strictObject({ ...common, kind: z.literal('settings'), body: settingsOrderSchema }),
    z.strictObject({ ...common, kind: z.literal('content_manifest'), body: contentManifestOrderSchema }),
  ])
  .refine((o) => o.expiresAt > o.issuedAt && o.expiresAt - o.issuedAt <= MAX_ORDER_LIFETIME_MS, {
    error: 'expiresAt must be after issuedAt and at most 30 days after it',
  });

export type Order = z.infer<typeof orderSchema>;
export type OrderOf<K extends OrderKind> = Extract<Order, { kind: K }>;
export type ContentFile = z.infer<typeof contentFileSchema>;

/** An order as the hub stores and serves it (`GET /api/v1/sync/orders`). */
export interface SignedOrder {
  /** The hub's sequence: the box's cursor (`after`). Not signed: it orders delivery, it grants nothing. */
  readonly seq: number;
  /** The exact JSON text of the `Order` that was signed. */
  readonly order: string;
  readonly keyid: string;
  /** base64url (no padding) Ed25519 signature over ORDER_SIGNING_PREFIX + order. */
  readonly signature: string;
}

export const signedOrderSchema = z.strictObject({
  seq: z.int().positive(),
  order: z.string().max(4 * 1024 * 1024),
  keyid: z.string().min(1).max(128),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, { error: 'signature must be 64 bytes in base64url' }),
});

