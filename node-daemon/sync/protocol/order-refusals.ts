/**
 * Why a box would not act on an order (verifyOrder in order.ts), apart so the box's API schemas can name them without
 * loading node:crypto. Pure, free of Node.
 */
export const ORDER_REFUSALS = ['malformed', 'unknown_key', 'bad_signature', 'not_addressed', 'not_yet_valid', 'expired', 'replayed'] as const;
export type OrderRefusal = (typeof ORDER_REFUSALS)[number];
