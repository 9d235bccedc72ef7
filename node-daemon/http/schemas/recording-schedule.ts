import { z } from 'zod';
import { WEEKDAYS, HH_MM_RULE, parseHhMm } from '../../../broadcast/recording/schedule/wall-clock.js';
import { idSchema } from '../../config/fields.js';
import { apiSchemas } from '../api-registry.js';
import { timeParam } from '../time-param.js';

/**
 * The recording schedule in the API (routes/recording-schedule.ts): `GET /recordings/schedule` (the jobs to come,
 * conflicts, entries, the guide's state), `POST` (a one-off, weekly or record-now entry), `DELETE /{id}`. Free of Node:
 * the web UI's contract reads these.
 */

const hhmm = z.string().refine((t) => parseHhMm(t) !== undefined, HH_MM_RULE);
const title = z.string().trim().min(1, 'title must not be empty').max(100);
const channel = idSchema.describe('a channel id (recording.channels)');

export const MAX_ENTRY_MINUTES = 24 * 60;

export const scheduleEntryBodySchema = z.discriminatedUnion('kind', [
  z
    .strictObject({
      kind: z.literal('once').describe('one recording between two times'),
      channel,
      title,
      start: timeParam('start').describe('UTC ms or ISO 8601 with an offset, e.g. 2025-12-08T09:00:00+08:00'),
      end: timeParam('end'),
    })
    .describe('a one-off recording; padding applies'),
  z
    .strictObject({
      kind: z.literal('weekly').describe('the same hours on some weekdays'),
      channel,
      title,
      days: z.array(z.enum(WEEKDAYS)).min(1).max(7).describe(`weekdays, of ${WEEKDAYS.join(', ')}`),
      start: hhmm.describe('HH:MM wall-clock time in site.timezone'),
      end: hhmm.describe('HH:MM; at or before start it ends the next day'),
    })
    .describe('a weekly recording, e.g. every Monday 09:00-11:00 Beijing time; padding applies'),
  z
    .strictObject({
      kind: z.literal('now').describe('record now'),
      channel,
      minutes: z.int().min(1).max(MAX_ENTRY_MINUTES).describe('how long, from now'),
      title: title.optional().describe('default: the channel name and 立即录制'),
    })
    .describe('record a channel from now on for some minutes; no padding'),
]);

const origin = z.enum(['xmltv', 'manual', 'weekly', 'now']);

const jobShape = {
  id: z.string().describe('stable across re-plans and restarts; DELETE it to cancel this one job'),
  channelId: z.string(),
  channelName: z.string(),
  title: z.string(),
  startAt: z.int().describe('UTC ms, padding included'),
  endAt: z.int(),
  startIso: z.string(),
  endIso: z.string(),
  origin,
  parts: z.array(z.string()).describe('the wishes merged into this job (one channel, overlapping), itself included'),
};

export const scheduledJobSchema = z
  .strictObject({
    ...jobShape,
    state: z
      .enum(['scheduled', 'recording', 'waiting_for_clock'])
      .describe('`waiting_for_clock`: due, but held until the clock is trusted (NTP); the time missed is recorded as a gap'),
  })
  .register(apiSchemas, { id: 'ScheduledJob' });

export const scheduleConflictSchema = z
  .strictObject({
    id: z.string(),
    sourceKey: z.string().describe('the input both need: receiver:<name>, capture:<device> or channel:<id>'),
    kept: z.strictObject(jobShape).describe('the job that has the input'),
    dropped: z.strictObject(jobShape).describe('the later job: not started'),
    from: z.int().describe('the overlap, UTC ms'),
    to: z.int(),
    firstSeenAt: z.int().describe('when planning first found it'),
  })
  .register(apiSchemas, { id: 'ScheduleConflict' });

export const scheduleEntrySchema = z
  .strictObject({
    id: z.string(),
    kind: z.enum(['once', 'weekly', 'now']),
    channelId: z.string(),
    title: z.string(),
    startAt: z.int().optional().describe('once and now: UTC ms, padding not included'),
    endAt: z.int().optional(),
    days: z.array(z.enum(WEEKDAYS)).optional().describe('weekly'),
    start: z.string().optional().describe('weekly: HH:MM in site.timezone'),
    end: z.string().optional(),
    fromConfig: z.boolean().describe('from recording.weekly in the config file (change it there); else added through the API'),
    createdAt: z.int().optional(),
    account: z.string().optional().describe('who added it'),
  })
  .register(apiSchemas, { id: 'ScheduleEntry' });

export const guideFailureSchema = z.strictObject({
  at: z.int(),
  message: z.string().describe('what is wrong, e.g. "line 12, column 9: a closing tag that does not match <title> opened on line 12"'),
  line: z.int().optional().describe('the guide\'s line at fault (1-based), when the guide was read but is malformed'),
  column: z.int().optional(),
});

export const guideStateSchema = z
  .strictObject({
    configured: z.boolean().describe('recording.xmltv is set'),
    source: z.string().optional().describe('the file (file:/…) or URL the guide is read from'),
    state: z
      .enum(['none', 'ok', 'error'])
      .describe('`ok`: the last read succeeded; `error`: it failed (see `error`) and the last good guide, if any, is still used; `none`: none read yet'),
    keptSource: z.string().optional().describe('where the guide in use came from'),
    loadedAt: z.int().optional().describe('when the guide in use was read'),
    programmes: z.int().optional().describe('programmes in the guide in use'),
    attemptedAt: z.int().optional().describe('the last read, successful or not'),
    error: guideFailureSchema.optional(),
  })
  .register(apiSchemas, { id: 'GuideState' });

export const scheduleViewSchema = z
  .strictObject({
    now: z.int(),
    timeZone: z.string().describe('site.timezone: weekly entries and rule windows are in it'),
    clock: z.strictObject({ trusted: z.boolean().describe('false while the clock is not NTP-synchronised: no recording starts') }),
    jobs: z.array(scheduledJobSchema).describe('jobs not yet over, by start; dropped jobs of conflicts are not among them'),
    conflicts: z.array(scheduleConflictSchema).describe('conflicts whose dropped job is not over yet'),
    entries: z.array(scheduleEntrySchema),
    guide: guideStateSchema,
  })
  .register(apiSchemas, { id: 'RecordingSchedule' });

export const scheduleAddedSchema = z
  .strictObject({
    entry: scheduleEntrySchema,
    jobs: z.array(scheduledJobSchema).describe('the jobs that now carry this entry (a merge may give it another job\'s id)'),
    conflicts: z.array(scheduleConflictSchema).describe('conflicts it takes part in, as kept or dropped'),
  })
  .register(apiSchemas, { id: 'ScheduleAdded' });

export const scheduleDeletedSchema = z
  .strictObject({
    id: z.string(),
    deleted: z.enum(['entry', 'job']).describe('`entry`: an entry added through the API is gone; `job`: one job (a guide programme, a weekly occurrence) is cancelled'),
  })
  .register(apiSchemas, { id: 'ScheduleDeleted' });

export type ScheduleEntryBody = z.input<typeof scheduleEntryBodySchema>;
export type ScheduleView = z.output<typeof scheduleViewSchema>;
export type ScheduledJobView = z.output<typeof scheduledJobSchema>;
export type ScheduleConflictView = z.output<typeof scheduleConflictSchema>;
export type ScheduleEntryView = z.output<typeof scheduleEntrySchema>;
export type GuideStateView = z.output<typeof guideStateSchema>;
export type ScheduleAdded = z.output<typeof scheduleAddedSchema>;
export type ScheduleDeleted = z.output<typeof scheduleDeletedSchema>;
