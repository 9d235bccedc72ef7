/**
 * An operator's schedule request (POST /recordings/schedule) turned into an entry, or refused with the field at fault.
 * Pure.
 */
import type { ScheduleChannel, ScheduleEntry } from '../../broadcast/recording/schedule/schedule-types.js';
import { didYouMean } from '../config/suggest.js';
import type { z } from 'zod';
import { MAX_ENTRY_MINUTES, type scheduleEntryBodySchema } from '../http/schemas/recording-schedule.js';

export type ScheduleEntryRequest = z.output<typeof scheduleEntryBodySchema>;

/** A request the schedule refuses: 400 with `param`, or 404/409 for an id. */
export class ScheduleRequestError extends Error {
  override readonly name = 'ScheduleRequestError';
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export function entryFromRequest(req: ScheduleEntryRequest, id: string, now: number, channels: readonly ScheduleChannel[]): ScheduleEntry {
  const channel = channels.find((c) => c.id === req.channel);
  if (channel === undefined) {
    const guess = didYouMean(req.channel, channels.map((c) => c.id));
    const known = channels.length === 0 ? 'no channels are configured (recording.channels)' : `known: ${channels.map((c) => c.id).join(', ')}`;
    throw new ScheduleRequestError(400, `no channel ${req.channel}${guess === undefined ? '' : `; did you mean ${guess}?`} (${known})`, 'channel');
  }
  if (req.kind === 'now') {
    return { kind: 'now', id, channelId: channel.id, title: req.title ?? `${channel.name} 立即录制`, startAt: now, endAt: now + req.minutes * 60_000 };
  }
  if (req.kind === 'weekly') {
    if (req.start === req.end) throw new ScheduleRequestError(400, 'end equals start: the recording would last no time', 'end');
    if (new Set(req.days).size !== req.days.length) throw new ScheduleRequestError(400, 'a day is listed twice', 'days');
    return { kind: 'weekly', id, channelId: channel.id, title: req.title, days: req.days, start: req.start, end: req.end };
  }
  if (req.end <= req.start) throw new ScheduleRequestError(400, 'end must be after start', 'end');
  if (req.end <= now) throw new ScheduleRequestError(400, 'end has passed already', 'end');
  if (req.end - req.start > MAX_ENTRY_MINUTES * 60_000) throw new ScheduleRequestError(400, `a recording lasts at most ${MAX_ENTRY_MINUTES / 60} hours`, 'end');
  return { kind: 'once', id, channelId: channel.id, title: req.title, startAt: req.start, endAt: req.end };
}
