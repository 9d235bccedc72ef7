/**
 * Where a restored database's counters start (issue #17 item 2, "Restore then sync"). Pure: restore.ts reads the
 * counters, asks here, and raises them (storage/database.ts raiseCounters).
 *
 * Why the counters must jump. The backup was taken at change-log seq S. The box went on after it, and the county hub
 * acknowledged its records up to some T > S (and reading, alarm and transition ids past the backup's) before the card
 * died. The restored database stops at S, under the SAME dbId: the hub's marks for the box stay at T and its
 * records S+1..T stay where they are (real data the box no longer has; nothing sends them again). The hub dedupes by
 * number, not by content: `(box, dbId, seq, kind)` and the lane marks for records, `(box, dbId, reading id)` for
 * readings, `(box, dbId, alarm id, transition id)` for transitions. Counters restarting at S would give the first
 * T-S records after the restore numbers the hub already holds for other data: it would skip them as duplicates (a
 * gap), and a reused alarm id would mix two alarms. So the restored database's counters start above anything the
 * lost card can have given out.
 *
 * Why a margin, not the hub's figures. The box records (readings, alarms) from the moment it starts, flood or not,
 * and it may be restored with no link to the hub at all: its numbers are handed out before any answer could tell it
 * T. Learning T first would mean not recording, or renumbering rows other modules already hold by id. A jump no
 * real box can outrun between a backup and its card's death is decided offline and makes every later number unique:
 * 2^40 (1.1e12) is 350 years of 100 records a second; seq stays a safe integer (protocol MAX_SEQ) for 8000 restores.
 *
 * Why the same dbId, not a new one. A new dbId starts a new series at the hub (marks from 0): the box would resend
 * everything its cursors had not passed at the backup and the hub would hold those records twice (once per series),
 * and an alarm raised before the backup and cleared after the restore would stay open at the hub in the old series.
 * Keeping the series, records the box sends again from before S (its cursors are the backup's, at or below the hub's
 * marks) are skipped by the marks and the keys as any resent batch is; the lanes' `after` never exceeds the marks, so
 * no 409 either.
 */
import type { CounterTable, CounterValues } from '../storage/database.js';

/** How far past its backup's counters a restored database starts numbering (see above). */
export const RESTORE_COUNTER_MARGIN = 2 ** 40;

/** `meta` key the restore writes: the backup's position and the floor it gave the counters (JSON, RestoreMark). */
export const RESTORE_META_KEY = 'sync_restored';

export interface RestoreMark {
  /** When the restore ran (UTC ms). */
  readonly at: number;
  /** The backup's change-log position (S). */
  readonly backupSeq: number;
  /** The counters as restored, before the jump. */
  readonly from: CounterValues;
  /** The counters after it: every number the box gives out from now on is above these. */
  readonly floor: CounterValues;
}

/** The floor for a database restored with `counters`: each one `margin` above (a counter at 0 stays 0 + margin). */
export function restoreFloor(counters: CounterValues, margin = RESTORE_COUNTER_MARGIN): CounterValues {
  const floor = {} as Record<CounterTable, number>;
  for (const [table, value] of Object.entries(counters) as [CounterTable, number][]) floor[table] = value + margin;
  return floor;
}

export function restoreMark(at: number, backupSeq: number, from: CounterValues, margin = RESTORE_COUNTER_MARGIN): RestoreMark {
  return { at, backupSeq, from, floor: restoreFloor(from, margin) };
}
