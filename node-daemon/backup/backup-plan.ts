import { nextDue } from '../../broadcast/station/programme-schedule.js';

/** Pure: when the next scheduled backup is due, which backups a folder keeps, and what a run amounts to. */

/** `fenghuo-backup-YYYYMMDD-HHMMSSZ`, or `…Z-N` for a second backup in the same second (snapshot.ts names them). */
const BACKUP_DIR_NAME = /^fenghuo-backup-(\d{8}-\d{6})Z(?:-(\d+))?$/;

/** The longest single wait: the timer is re-armed from the wall clock at least this often (a clock step, a long cron). */
export const MAX_WAIT_MS = 3_600_000;
/** A timer may fire this much before its due time (timer and clock granularity) and still count as on time. */
const EARLY_SLACK_MS = 50;

/** The first due time after `afterMs` of `schedule` in `timeZone`, UTC ms; null when it never fires again. */
export function nextDueAt(schedule: string, timeZone: string, afterMs: number): number | null {
  return nextDue(schedule, timeZone, afterMs);
}

export type Wake = { readonly run: true } | { readonly run: false; readonly waitMs: number };

/** At `now`, with the next due time `due`: run now, or how long to wait before looking again. */
export function wakeAt(now: number, due: number): Wake {
  const wait = due - now;
  if (wait <= EARLY_SLACK_MS) return { run: true };
  return { run: false, waitMs: Math.min(wait, MAX_WAIT_MS) };
}

/** One entry of a target folder, as listed. */
export interface FolderEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  /** It holds a manifest.json: it was completed (a `.partial` never is one until renamed). */
  readonly hasManifest: boolean;
}

export interface RotationPlan {
  /** Complete backups kept, newest first. */
  readonly kept: readonly string[];
  /** Complete backups to remove, oldest first. */
  readonly remove: readonly string[];
}

/** Orders backup names by the UTC time in them, then by the same-second counter; undefined for a name not ours. */
function orderOf(name: string): readonly [string, number] | undefined {
  const m = BACKUP_DIR_NAME.exec(name);
  return m === null ? undefined : [m[1]!, m[2] === undefined ? 1 : Number(m[2])];
}

/**
 * Which complete backups of a folder go so that `keep` remain: only directories named like a backup and holding a
 * manifest count (other files and folders, `.partial` ones included, are never touched), and `justMade` is always
 * kept, whatever the clock did (a clock set back may name it older than those before it).
 */
export function planRotation(entries: readonly FolderEntry[], keep: number, justMade: string): RotationPlan {
  const complete = entries
    .filter((e) => e.isDirectory && e.hasManifest && orderOf(e.name) !== undefined)
    .map((e) => ({ name: e.name, order: orderOf(e.name)! }))
    .sort((a, b) => (a.order[0] === b.order[0] ? b.order[1] - a.order[1] : a.order[0] < b.order[0] ? 1 : -1))
    .map((e) => e.name);
  const others = complete.filter((n) => n !== justMade);
  const room = Math.max(0, keep - (complete.includes(justMade) ? 1 : 0));
  const keptOthers = others.slice(0, room);
  return {
    kept: complete.filter((n) => n === justMade || keptOthers.includes(n)),
    remove: others.slice(room).reverse(),
  };
}

/** A folder: ok or failed. The hub: failed (no backup could be made or handed over), else its upload's state. */
export type TargetResult = 'ok' | 'failed' | 'uploading' | 'waiting' | 'unsupported';
export type RunResult = 'ok' | 'partly_failed' | 'failed' | 'skipped';

/**
 * A run: ok when every target succeeded, failed when none did, partly failed between; skipped with none tried. The
 * hub target counts by whether its backup was made and handed to the uploader (its upload goes on after the run:
 * `uploading`/`waiting` count as done); a hub that takes no backups is not counted.
 */
export function runResult(targets: readonly { readonly result: TargetResult }[]): RunResult {
  const tried = targets.filter((t) => t.result !== 'unsupported');
  if (tried.length === 0) return 'skipped';
  const ok = tried.filter((t) => t.result !== 'failed').length;
  return ok === tried.length ? 'ok' : ok === 0 ? 'failed' : 'partly_failed';
}
