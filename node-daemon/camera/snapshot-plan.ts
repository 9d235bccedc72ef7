import type { Alarm, AlarmKind, AlarmTransition, TransitionType } from '../alarms/types.js';

/** Pure: when a camera takes its pictures, which alarm transitions it answers, what it keeps. Times are UTC ms. */

/** Alarms a camera photographs: the water and what people raised about it, never a fault (sensor, disk, camera). */
const PHOTOGRAPHED_KINDS: ReadonlySet<AlarmKind> = new Set(['flood', 'manual', 'county']);
/** Transitions that change what the water is doing; acknowledging or shelving changes nothing to look at. */
const PHOTOGRAPHED_TRANSITIONS: ReadonlySet<TransitionType> = new Set(['raised', 'escalated', 'deescalated', 'cleared']);

/** Whether a camera on `site` photographs this transition. */
export function photographsTransition(site: string, alarm: Pick<Alarm, 'kind' | 'siteId'>, transition: Pick<AlarmTransition, 'type'>): boolean {
  return alarm.siteId === site && PHOTOGRAPHED_KINDS.has(alarm.kind) && PHOTOGRAPHED_TRANSITIONS.has(transition.type);
}

/**
 * When the next scheduled picture is due: `intervalMs` after the last one (taken or attempted), at once when that is
 * past or there was none. Undefined: no schedule (interval 0).
 */
export function nextScheduledAt(lastAttemptAt: number | undefined, intervalMs: number, now: number): number | undefined {
  if (intervalMs <= 0) return undefined;
  if (lastAttemptAt === undefined) return now;
  return Math.max(now, lastAttemptAt + intervalMs);
}

export interface AlarmPicturePlan {
  /** The scheduled picture that shows the site before the transition, when there is a recent one. */
  readonly beforeImageId?: number;
  /** Take one now. */
  readonly now: true;
  /** When to take the `after` picture; absent: none. */
  readonly afterAt?: number;
}

export interface AlarmPictureInput {
  readonly now: number;
  /** The camera's newest scheduled picture. */
  readonly latestScheduled?: { readonly id: number; readonly ts: number };
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly afterDelayMs: number;
}

/**
 * The pictures of one alarm transition. The newest scheduled picture is its "before" when it is recent: taken within
 * one interval (plus the time a picture may take) before the transition; an older one shows another moment of the
 * river. Without a schedule, a picture taken in the last 10 minutes (another alarm's) still is.
 */
export function planAlarmPictures(i: AlarmPictureInput): AlarmPicturePlan {
  const window = (i.intervalMs > 0 ? i.intervalMs : 10 * 60_000) + i.timeoutMs;
  const before = i.latestScheduled !== undefined && i.latestScheduled.ts <= i.now && i.now - i.latestScheduled.ts <= window ? i.latestScheduled.id : undefined;
  return {
    now: true,
    ...(before === undefined ? {} : { beforeImageId: before }),
    ...(i.afterDelayMs > 0 ? { afterAt: i.now + i.afterDelayMs } : {}),
  };
}

/** Pictures taken before these times go: scheduled ones after `keepDays`, those of an alarm after `keepAlarmDays`. */
export function retentionCutoffs(now: number, keepDays: number, keepAlarmDays: number): { readonly schedule: number; readonly alarm: number } {
  const day = 86_400_000;
  return { schedule: now - keepDays * day, alarm: now - keepAlarmDays * day };
}

/** One waiting picture of a camera's queue. */
export interface QueuedPicture {
  readonly cause: 'schedule' | 'alarm';
}

/**
 * Which waiting picture goes when a camera's queue is full and `next` arrives: a scheduled picture first (the next
 * interval brings another), else the oldest; `next` itself when it is scheduled. Answers the index in `queue`, or
 * 'next' to drop `next`, or undefined when there is room.
 */
export function queueDrop(queue: readonly QueuedPicture[], next: QueuedPicture, max: number): number | 'next' | undefined {
  if (queue.length < max) return undefined;
  if (next.cause === 'schedule') return 'next';
  const scheduled = queue.findIndex((q) => q.cause === 'schedule');
  return scheduled >= 0 ? scheduled : 0;
}

/** Relative file names of one picture and its thumbnail under the data folder: cameras/<camera>/<UTC day>/<ts>-<n>.jpg. */
export function pictureFiles(cameraId: string, ts: number, n: number): { readonly file: string; readonly thumbFile: string } {
  const day = new Date(ts).toISOString().slice(0, 10);
  const base = `cameras/${cameraId}/${day}/${ts}-${n}`;
  return { file: `${base}.jpg`, thumbFile: `${base}.thumb.jpg` };
}
