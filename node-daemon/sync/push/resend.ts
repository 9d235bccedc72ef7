/**
 * Whether a request that failed goes again exactly as it was (the same body, byte for byte, signed afresh). Pure.
 *
 * A request that timed out, or whose answer was lost, may have been stored by the hub. Sending the very same body
 * again makes the retry a plain duplicate of it: the same records in the same form (a readings batch raw or folded
 * stays as it went), the same Content-Digest, and the hub's answer to it says what the first one would have said.
 * A body rebuilt from the outbox is usually the same too (records are rebuilt from the database, outbox-store.ts),
 * but not always: a batch may fold differently an hour later, retention may have taken readings, and the byte
 * target has changed. So the client keeps the failed request and sends it again while all of this holds:
 *
 * - no lane it carries has moved (no ack, no rewind since);
 * - no alarm waits that it does not carry (an alarm goes in the next request, docs/sync.md);
 * - it carries only alarms, or the budget is not spent;
 * - it fits the batch target, or it has reached the hub at most once: one timeout may be the link's hiccup, and
 *   the request goes once more unchanged; a second one says it is too big for the link, and a smaller one is built.
 */
import type { Lane } from '../outbox/lanes.js';

export interface KeptRequestShape {
  readonly lanes: readonly { readonly lane: Lane; readonly after: number }[];
  /** The body's size before compression (what the batch target measures). */
  readonly uncompressedBytes: number;
  /** Attempts of it that reached the hub (bytes were written on a connection): a refused connection does not count. */
  readonly deliveries: number;
}

export interface ResendInput {
  readonly kept: KeptRequestShape;
  readonly cursors: Readonly<Record<Lane, number>>;
  /** An alarm record waits that the kept request does not carry. */
  readonly alarmWaitingBeyond: boolean;
  readonly overBudget: boolean;
  readonly targetBytes: number;
}

export type ResendDecision =
  | { readonly resend: true }
  | { readonly resend: false; readonly why: 'lane_moved' | 'alarm_waiting' | 'over_budget' | 'too_large' };

export function resendDecision(input: ResendInput): ResendDecision {
  const { kept } = input;
  if (kept.lanes.some((l) => input.cursors[l.lane] !== l.after)) return { resend: false, why: 'lane_moved' };
  if (input.alarmWaitingBeyond) return { resend: false, why: 'alarm_waiting' };
  if (input.overBudget && kept.lanes.some((l) => l.lane !== 'alarm')) return { resend: false, why: 'over_budget' };
  if (kept.uncompressedBytes > input.targetBytes && kept.deliveries > 1) return { resend: false, why: 'too_large' };
  return { resend: true };
}
