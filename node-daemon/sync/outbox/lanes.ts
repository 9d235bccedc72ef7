/**
 * The record kinds and lanes of the county sync (docs/sync.md, "The record feed" and "Lanes and priority"). Pure.
 *
 * A lane is a queue with its own acknowledged cursor, so urgent records overtake a backlog. Lanes are listed here in
 * priority order; a request carries them in that order and fills its byte target from the top.
 */

/** What a record is. `aggregates` never sits in change_log: it is a `readings` batch sent folded (same seq). */
export const RECORD_KINDS = ['alarm', 'health', 'readings', 'aggregates', 'audit', 'recording'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** The change_log kinds that are records (change_log also holds kinds the county never sees, such as `retention`). */
export const LOG_KINDS = ['alarm', 'health', 'readings', 'audit', 'recording'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/** The lanes, highest priority first. */
export const LANES = ['alarm', 'health', 'readings', 'bulk'] as const;
export type Lane = (typeof LANES)[number];

/** 1 is the most urgent. */
export const LANE_PRIORITY: Readonly<Record<Lane, number>> = { alarm: 1, health: 2, readings: 3, bulk: 4 };

/**
 * The change_log kinds each lane reads after its cursor. `bulk` reads none of its own: its records are the raw
 * batches owed for readings batches that went as aggregates (table sync_raw_debt), oldest first. `recording` (a
 * recording's metadata, a few hundred bytes, a handful a day) rides the health lane: the county wants the list soon,
 * after alarms and ahead of any readings backlog, and a lane of its own would buy nothing but another mark.
 */
export const LANE_LOG_KINDS: Readonly<Record<Lane, readonly LogKind[]>> = {
  alarm: ['alarm'],
  health: ['health', 'audit', 'recording'],
  readings: ['readings'],
  bulk: [],
};

/**
 * The lanes a pulling hub may ask the feed for (`GET /api/v1/sync/feed?lane=`). `bulk` is push-only: the feed always
 * gives readings raw, so nothing is ever owed to a pulling hub.
 */
export const FEED_LANES = ['alarm', 'health', 'readings'] as const satisfies readonly Lane[];
export type FeedLane = (typeof FEED_LANES)[number];

export function isLane(value: unknown): value is Lane {
  return typeof value === 'string' && (LANES as readonly string[]).includes(value);
}

/** The lane a change_log kind travels in, or undefined for kinds that are not synced. */
export function laneOfLogKind(kind: string): Lane | undefined {
  for (const lane of LANES) if ((LANE_LOG_KINDS[lane] as readonly string[]).includes(kind)) return lane;
  return undefined;
}

/** Lanes sorted by priority, most urgent first (a stable sort of whatever subset is given). */
export function byPriority<T extends { readonly lane: Lane }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => LANE_PRIORITY[a.lane] - LANE_PRIORITY[b.lane]);
}
