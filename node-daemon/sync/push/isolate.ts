/**
 * What the box does when the hub refuses a request as malformed (400 `bad_request`; docs/sync.md, "A record the hub
 * cannot read"). Pure.
 *
 * The hub stores nothing of a refused request, so resending it would be refused for ever. The box narrows it down
 * instead: the next requests carry at most `maxRecords` records (lanes in priority order, each still a prefix of
 * its lane), so the records before the offender are stored and the offender ends up alone in a request. A record
 * the hub refuses alone is **set aside**: its lane's cursor moves past it, it is logged and shown in health, and it
 * stays in the box's change log (the pull feed still serves it) — never dropped without a trace.
 *
 * - The hub names the offending key path (`param`, e.g. `lanes.1.records.3.payload.readings.0`): the records before
 *   it go in the next request (or, when it is first, it goes alone).
 * - No path: halve (the offender is in one half; the first half goes next).
 * - A path outside the records (`box`, `dbId`, `lanes.0.after`) or more than MAX_SET_ASIDE_IN_A_ROW records set
 *   aside since the hub last stored a request: it is the request, not a record, that the hub refuses; nothing is
 *   set aside and the box backs off with the link `down` (as for any refusal), so that a hub that refuses everything
 *   cannot drain the backlog record by record.
 */
import { LANES, type Lane } from '../outbox/lanes.js';

/** Records set aside with no request stored in between; one more 400 after that is a refusal of the box. */
export const MAX_SET_ASIDE_IN_A_ROW = 3;

export interface RefusedLane {
  readonly lane: Lane;
  /** Records of the lane in the refused request. */
  readonly count: number;
}

export interface MalformedFacts {
  readonly lanes: readonly RefusedLane[];
  /** The hub's key path, when it named one. */
  readonly param?: string;
  readonly setAsideInARow: number;
}

export type MalformedDecision =
  /** Send at most `maxRecords` records per request until the refused records are through. */
  | { readonly kind: 'narrow'; readonly maxRecords: number; readonly offender?: number }
  /** The request's only record (of `lane`) is the offender. */
  | { readonly kind: 'set_aside'; readonly lane: Lane }
  | { readonly kind: 'refuse'; readonly why: string };

/** The lanes as the body carries them: in priority order (ingest-body.ts). */
function bodyOrder(lanes: readonly RefusedLane[]): RefusedLane[] {
  return [...lanes].sort((a, b) => LANES.indexOf(a.lane) - LANES.indexOf(b.lane));
}

/**
 * Where `param` points: the offending record's position among the request's records (body order), `envelope` when
 * it names something outside the records, undefined when it says nothing usable.
 */
export function offenderPosition(param: string | undefined, lanes: readonly RefusedLane[]): number | 'envelope' | undefined {
  if (param === undefined || param === '') return undefined;
  const m = /^lanes\.(\d+)(?:\.records(?:\.(\d+))?)?(?:\.|$)/.exec(param);
  if (m === null) return 'envelope';
  if (m[2] === undefined) return m[0].endsWith('records') || m[0].endsWith('records.') ? undefined : 'envelope';
  const ordered = bodyOrder(lanes);
  const laneIndex = Number(m[1]);
  const recordIndex = Number(m[2]);
  const lane = ordered[laneIndex];
  if (lane === undefined || recordIndex >= lane.count) return undefined;
  return ordered.slice(0, laneIndex).reduce((n, l) => n + l.count, 0) + recordIndex;
}

export function afterMalformed(f: MalformedFacts): MalformedDecision {
  const total = f.lanes.reduce((n, l) => n + l.count, 0);
  const at = offenderPosition(f.param, f.lanes);
  if (at === 'envelope') return { kind: 'refuse', why: `the hub refused the request itself (at ${f.param ?? ''}), not one of its records` };
  if (total <= 1) {
    const lane = f.lanes.find((l) => l.count === 1)?.lane;
    if (lane === undefined) return { kind: 'refuse', why: 'the hub refused a request with no records' };
    if (f.setAsideInARow >= MAX_SET_ASIDE_IN_A_ROW) {
      return { kind: 'refuse', why: `${f.setAsideInARow} records were set aside in a row without the hub storing anything: the hub refuses the box's requests, not a record` };
    }
    return { kind: 'set_aside', lane };
  }
  if (at !== undefined) return { kind: 'narrow', maxRecords: Math.max(1, at), offender: at };
  return { kind: 'narrow', maxRecords: Math.floor(total / 2) };
}

/** The plan's lanes cut to `maxRecords` records in all, in priority order, each still a prefix of its lane. */
export function limitRecords<T extends RefusedLane>(lanes: readonly T[], maxRecords: number | undefined): { lane: Lane; count: number }[] {
  const out: { lane: Lane; count: number }[] = [];
  let room = maxRecords ?? Number.POSITIVE_INFINITY;
  for (const l of bodyOrder(lanes)) {
    const count = Math.min(l.count, room);
    if (count <= 0) continue;
    out.push({ lane: l.lane, count });
    room -= count;
  }
  return out;
}
