/**
 * What goes in the next push request (docs/sync.md, "Lanes and priority" and "Link economy"). Pure.
 *
 * Given each lane's pending records in seq order (only their sizes matter here), the batch byte target and whether
 * the byte budget is spent, picks how many records of each lane go:
 * - lanes are filled in priority order (alarm, health, readings, bulk) from the top of the target;
 * - a lane sends a prefix of its pending records, never skipping one: the hub acknowledges a lane by its highest
 *   stored seq, so a record left out before a sent one would be acknowledged unsent;
 * - `alarm` records always go, budget spent or not; a lane's first record goes even if it alone is over the
 *   target when nothing else is in the request yet (one large record must not stall its lane for ever);
 * - over budget, only the alarm lane sends;
 * - a lane whose next record does not fit stops there, and the lanes below may still use the room left.
 * Alarm records are bounded by the target like the rest (at least one per request): a burst of alarms after an
 * outage goes in as many back-to-back requests as it needs, never in one body the hub would refuse.
 */
import { byPriority, type Lane } from './lanes.js';

export interface PendingRecord {
  readonly seq: number;
  /** Bytes the record adds to the request body (uncompressed JSON). */
  readonly bytes: number;
}

export interface LanePending {
  readonly lane: Lane;
  /** The lane's next records after its cursor, in seq order. */
  readonly records: readonly PendingRecord[];
}

export interface PlanInput {
  readonly lanes: readonly LanePending[];
  /** The batch byte target (see batch-target.ts). */
  readonly targetBytes: number;
  /** True when the daily or monthly budget is spent (see budget.ts): only alarms go. */
  readonly overBudget: boolean;
}

export interface LanePlan {
  readonly lane: Lane;
  /** How many of the lane's pending records go (a prefix). */
  readonly count: number;
  /** The highest seq sent in the lane. */
  readonly lastSeq: number;
  readonly bytes: number;
}

export interface RequestPlan {
  /** Lanes with at least one record, in priority order. */
  readonly lanes: readonly LanePlan[];
  readonly bytes: number;
  readonly records: number;
  /** Lanes that had records waiting but sent none (over budget, or no room left). */
  readonly heldBack: readonly Lane[];
}

export function planRequest(input: PlanInput): RequestPlan {
  const target = Math.max(0, input.targetBytes);
  const lanes: LanePlan[] = [];
  const heldBack: Lane[] = [];
  let bytes = 0;
  let records = 0;
  for (const { lane, records: pending } of byPriority(input.lanes)) {
    if (pending.length === 0) continue;
    if (input.overBudget && lane !== 'alarm') {
      heldBack.push(lane);
      continue;
    }
    let count = 0;
    let laneBytes = 0;
    for (const r of pending) {
      const first = count === 0 && (records === 0 || lane === 'alarm');
      if (!first && bytes + laneBytes + r.bytes > target) break;
      count += 1;
      laneBytes += r.bytes;
    }
    if (count === 0) {
      heldBack.push(lane);
      continue;
    }
    const last = pending[count - 1];
    lanes.push({ lane, count, lastSeq: last === undefined ? 0 : last.seq, bytes: laneBytes });
    bytes += laneBytes;
    records += count;
  }
  return { lanes, bytes, records, heldBack };
}
