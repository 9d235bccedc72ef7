/**
 * What the box does with the hub's marks (docs/sync.md, "Push"): `acked[lane]` is the highest seq the hub holds in
 * the lane. Pure: the client applies the plan to the outbox (OutboxStore.ack / rewind).
 *
 * - A mark above the lane's cursor is acknowledged (the cursor only moves forward). For the readings lane, the seqs
 *   the box sent as `aggregates` up to that mark go with the ack, so their raw becomes debt (the bulk lane).
 * - On a 409, a mark below the cursor is the hub's loss (restored from an old backup): the lane is rewound to it and
 *   its records go again. Every lane the hub names lower is rewound, sent in this request or not: the next request
 *   would otherwise meet the same 409 lane by lane. On a 200 a lower mark is ignored: cursors move back only for a 409.
 *
 * Folded seqs. The readings lane decides raw or aggregates when it reads a batch (records.ts), and a batch read
 * again later may come out the other way. A request that timed out may still have been stored by the hub, so the
 * client keeps every seq it sent folded in any attempt not yet acknowledged, and reports all of them with the ack
 * that covers them. Reporting one too many costs a raw batch sent again (the hub stores it idempotently); one too
 * few would leave the hub with aggregates only, for ever.
 */
import { LANES, type Lane } from '../outbox/lanes.js';

export interface AckPlanInput {
  readonly status: 'stored' | 'conflict';
  readonly acked: Partial<Record<Lane, number>>;
  /** The lanes' cursors now. */
  readonly cursors: Readonly<Record<Lane, number>>;
  /** Readings seqs sent as aggregates in attempts that may have been stored (this one included). */
  readonly folded: Iterable<number>;
}

export interface AckStep {
  readonly lane: Lane;
  readonly seq: number;
  /** Readings lane: the acknowledged seqs that went as aggregates. */
  readonly aggregated?: readonly number[];
}

export interface AckPlan {
  readonly acks: readonly AckStep[];
  readonly rewinds: readonly { readonly lane: Lane; readonly seq: number }[];
  /** Folded seqs now accounted for (at or below the readings lane's new cursor): the client forgets them. */
  readonly settled: readonly number[];
  /** The readings lane's cursor once the plan is applied. */
  readonly readingsCursor: number;
}

export function planAcks(input: AckPlanInput): AckPlan {
  const acks: AckStep[] = [];
  const rewinds: { lane: Lane; seq: number }[] = [];
  const folded = [...new Set(input.folded)].sort((a, b) => a - b);
  let readingsCursor = input.cursors.readings;
  for (const lane of LANES) {
    const mark = input.acked[lane];
    if (mark === undefined) continue;
    const cursor = input.cursors[lane];
    if (mark > cursor) {
      if (lane === 'readings') {
        const aggregated = folded.filter((s) => s > cursor && s <= mark);
        acks.push(aggregated.length > 0 ? { lane, seq: mark, aggregated } : { lane, seq: mark });
        readingsCursor = mark;
      } else {
        acks.push({ lane, seq: mark });
      }
    } else if (mark < cursor && input.status === 'conflict') {
      rewinds.push({ lane, seq: mark });
      if (lane === 'readings') readingsCursor = mark;
    }
  }
  return { acks, rewinds, settled: folded.filter((s) => s <= readingsCursor), readingsCursor };
}
