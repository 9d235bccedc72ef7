/**
 * When the box logs a `health` record (docs/sync.md: every `sync.healthIntervalMs`, default 15 minutes, and on every
 * change of overall status). Pure: the time and the status are passed in.
 */

export const DEFAULT_HEALTH_INTERVAL_MS = 15 * 60_000;

export interface LastHealthRecord {
  readonly ts: number;
  readonly status: string;
}

export type HealthRecordReason = 'start' | 'interval' | 'status';

/**
 * Why a snapshot is due now, or null. `start`: none logged yet by this process (the hub learns the box is back);
 * `status`: the overall status differs from the last one logged; `interval`: the last one is `intervalMs` old
 * (a clock that went back also counts as due, so a wrong clock never silences the box).
 */
export function healthRecordDue(last: LastHealthRecord | undefined, now: number, status: string, intervalMs = DEFAULT_HEALTH_INTERVAL_MS): HealthRecordReason | null {
  if (last === undefined) return 'start';
  if (status !== last.status) return 'status';
  if (now - last.ts >= intervalMs || now < last.ts) return 'interval';
  return null;
}
