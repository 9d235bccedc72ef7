/**
 * Sharing the sync link with bulk uploads (docs/sync.md "Backups to the hub", "Camera pictures to the hub"), pure:
 * whether the link may carry bulk bytes now, how large the next chunk is, how long to wait after a failure. Used by
 * the backup uploader and the picture uploader.
 */
import type { BudgetLimits } from '../outbox/budget.js';
import type { Lane } from '../outbox/lanes.js';

/** Readings older than this waiting in the push lane mean the push loop is behind: bulk waits for it. */
export const READINGS_BEHIND_MS = 5 * 60_000;
/** What a chunk request costs besides its body (request line and fields with the signature, the signed answer). */
export const REQUEST_OVERHEAD_BYTES = 2_048;
export const MIN_CHUNK_BYTES = 8 * 1024;
export const MAX_CHUNK_BYTES = 1024 * 1024;
/** A chunk is sized to take about this long at the rate the last one went at. */
export const CHUNK_SECONDS = 10;

export type UploadWaitReason = 'no_link' | 'alarms_waiting' | 'health_waiting' | 'readings_behind' | 'images_waiting' | 'over_budget';

export type UploadGate = { readonly go: true; readonly maxBytes: number | undefined } | { readonly go: false; readonly reason: UploadWaitReason };

export interface UploadGateInput {
  /** The push loop's link state (docs/sync.md "Link economy"). */
  readonly linkState: string;
  readonly backlog: Readonly<Record<Lane, { readonly records: number; readonly oldestAgeMs: number | null }>>;
  readonly budget: { readonly dayBytes: number; readonly monthBytes: number };
  readonly limits: BudgetLimits;
  /** Picture announcements are owed to the hub (they matter more than a backup): the upload waits. */
  readonly imagesWaiting?: boolean;
  /** This traffic may pass a readings lane that is behind (an alarm's pictures). */
  readonly passReadingsBehind?: boolean;
}

export const readingsBehind = (backlog: UploadGateInput['backlog']): boolean => (backlog.readings.oldestAgeMs ?? 0) > READINGS_BEHIND_MS;

/**
 * Bulk goes only while the push loop's link is up and nothing more urgent waits (no alarm or health record, the
 * readings lane not behind unless `passReadingsBehind`, no picture announcement owed when `imagesWaiting`), and only
 * within the byte budget (`maxBytes`: what is left for a request's body; undefined: no budget). Alarms go over budget;
 * bulk never does.
 */
export function uploadGate(i: UploadGateInput): UploadGate {
  if (i.linkState === 'over_budget') return { go: false, reason: 'over_budget' };
  if (i.linkState !== 'up') return { go: false, reason: 'no_link' };
  if (i.backlog.alarm.records > 0) return { go: false, reason: 'alarms_waiting' };
  if (i.backlog.health.records > 0) return { go: false, reason: 'health_waiting' };
  if (i.passReadingsBehind !== true && readingsBehind(i.backlog)) return { go: false, reason: 'readings_behind' };
  if (i.imagesWaiting === true) return { go: false, reason: 'images_waiting' };
  const room = budgetRoom(i.budget, i.limits);
  if (room === Infinity) return { go: true, maxBytes: undefined };
  const body = Math.floor(room - REQUEST_OVERHEAD_BYTES);
  if (body < MIN_CHUNK_BYTES) return { go: false, reason: 'over_budget' };
  return { go: true, maxBytes: body };
}

/** Bytes left today and this month, whichever is less (Infinity: no limit). */
export function budgetRoom(used: UploadGateInput['budget'], limits: BudgetLimits): number {
  return Math.min(
    limits.dailyBytes === undefined ? Infinity : limits.dailyBytes - used.dayBytes,
    limits.monthlyBytes === undefined ? Infinity : limits.monthlyBytes - used.monthBytes,
  );
}

/** The next chunk's size: about CHUNK_SECONDS at the last measured rate, within the budget's room and `ceiling` (halved after a 413). */
export function chunkBytes(opts: { readonly rateBytesPerS: number | undefined; readonly maxBytes: number | undefined; readonly ceiling: number }): number {
  const byRate = opts.rateBytesPerS === undefined ? MIN_CHUNK_BYTES * 4 : Math.round(opts.rateBytesPerS * CHUNK_SECONDS);
  return Math.max(1, Math.min(opts.ceiling, MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, byRate), opts.maxBytes ?? Infinity));
}

/** An older hub is asked again this long after it said it has no route for the upload. */
export const UNSUPPORTED_RETRY_MS = 24 * 3_600_000;

/** After `failures` failures in a row: full jitter, the ceiling doubling from `minMs` to `maxMs`. */
export function retryDelayMs(failures: number, minMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(failures - 1, 20)));
  return Math.max(minMs / 4, Math.floor(random * ceiling));
}

/** "404 no_image: …": an answer in logs and status. */
export const answerText = (a: { readonly status: number; readonly code?: string; readonly message?: string }): string =>
  `${a.status}${a.code === undefined ? '' : ` ${a.code}`}${a.message === undefined ? '' : `: ${a.message}`}`;
