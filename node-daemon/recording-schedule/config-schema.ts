import { z } from 'zod';
import { WEEKDAYS, HH_MM_RULE, parseHhMm } from '../../broadcast/recording/schedule/wall-clock.js';
import { idSchema } from '../config/fields.js';
import { didYouMean } from '../config/suggest.js';

/**
 * The schedule's keys of the `recording` config section (broadcast/recording/schedule): the XMLTV guide, which of its
 * programmes to record, weekly entries, padding, and which channels share one receiver. The channels themselves
 * (`recording.channels`) are the recorder's (node-daemon/recording/config-schema.ts). Pure.
 */

const hhmm = z.string().refine((t) => parseHhMm(t) !== undefined, HH_MM_RULE);
const days = z
  .array(z.enum(WEEKDAYS))
  .min(1)
  .refine((d) => new Set(d).size === d.length, 'a day is listed twice')
  .describe(`weekdays, of ${WEEKDAYS.join(', ')}`);

export const xmltvSourceSchema = z
  .strictObject({
    file: z.string().min(1).optional().describe('a guide file on the box, e.g. /var/lib/fenghuo/guide.xml (read again when it changes)'),
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL, e.g. http://tvh.local:9981/xmltv')
      .optional()
      .describe('a guide URL, e.g. TVHeadend\'s http://tvh.local:9981/xmltv'),
    refreshMinutes: z.number().int().min(1).max(10_080).default(60).describe('read the guide again this often'),
  })
  .superRefine((x, ctx) => {
    if ((x.file === undefined) === (x.url === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of file and url' });
  })
  .describe('where the XMLTV guide comes from; a guide that cannot be read is reported (with its line) and the last good one kept');

export const guideRuleSchema = z
  .strictObject({
    channel: idSchema.describe('a recording.channels id'),
    title: z
      .string()
      .min(1)
      .superRefine((pattern, ctx) => {
        try {
          new RegExp(pattern, 'iu');
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `not a regular expression: ${err instanceof Error ? err.message : String(err)}` });
        }
      })
      .optional()
      .describe('a regular expression any of the programme\'s titles must match (case ignored), e.g. 致富经|农技'),
    category: z.string().min(1).optional().describe('one of the programme\'s categories, e.g. 农业 (case ignored)'),
    window: z
      .strictObject({ from: hhmm, to: hhmm })
      .optional()
      .describe('the programme starts in this window of the day (site.timezone); `to` at or before `from` runs past midnight'),
    days: days.optional().describe('only programmes starting on these weekdays'),
  })
  .superRefine((r, ctx) => {
    if (r.title === undefined && r.category === undefined && r.window === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give title, category or window: a rule with none would record every programme of the channel' });
    }
  })
  .describe('guide programmes to record: those of `channel` matching every condition given');

export const weeklyEntrySchema = z
  .strictObject({
    channel: idSchema.describe('a recording.channels id'),
    title: z.string().trim().min(1).max(100).describe('the recordings\' title, e.g. 周一例会'),
    days,
    start: hmmField('start, wall-clock time in site.timezone'),
    end: hmmField('end; at or before `start` it ends the next day'),
  })
  .superRefine((w, ctx) => {
    if (w.start === w.end) ctx.addIssue({ code: 'custom', path: ['end'], message: 'end equals start: the recording would last no time' });
  })
  .describe('the same hours on some weekdays, e.g. every Monday 09:00-11:00');

function hmmField(what: string) {
  return hhmm.describe(`HH:MM, ${what}`);
}

export const recordingScheduleShape = {
  xmltv: xmltvSourceSchema.optional(),
  rules: z.array(guideRuleSchema).default([]).describe('which guide programmes to record'),
  weekly: z.array(weeklyEntrySchema).default([]).describe('recordings every week at the same hours (more can be added through the API)'),
  receivers: z
    .record(idSchema, z.array(idSchema).min(2))
    .default({})
    .describe('channels that share one single-input satellite receiver or tuner, by receiver name: only one of them can be recorded at a time, and a clash is reported as a conflict (channels on one capture device share it anyway)'),
  paddingBeforeS: z.number().int().min(0).max(3_600).default(60).describe('seconds recorded before each scheduled start (not for "record now")'),
  paddingAfterS: z.number().int().min(0).max(7_200).default(300).describe('seconds recorded after each scheduled end (a live programme often runs over)'),
};

type Issue = { readonly path: (string | number)[]; readonly message: string };

/**
 * The references of the schedule's keys to `recording.channels`: every rule, weekly entry and receiver names a
 * configured channel, and no channel is on two receivers. Reads the section loosely: it runs beside the schema.
 */
export function scheduleReferenceIssues(section: unknown): Issue[] {
  const s = (section ?? {}) as { channels?: unknown; rules?: unknown; weekly?: unknown; receivers?: unknown };
  const ids = (Array.isArray(s.channels) ? s.channels : []).map((c) => (c as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
  const issues: Issue[] = [];
  const check = (channel: unknown, path: (string | number)[]): void => {
    if (typeof channel !== 'string' || ids.includes(channel)) return;
    const guess = didYouMean(channel, ids);
    issues.push({ path, message: `no channel ${channel} in recording.channels${guess === undefined ? '' : `; did you mean ${guess}?`}` });
  };
  (Array.isArray(s.rules) ? s.rules : []).forEach((r, i) => check((r as { channel?: unknown }).channel, ['rules', i, 'channel']));
  (Array.isArray(s.weekly) ? s.weekly : []).forEach((w, i) => check((w as { channel?: unknown }).channel, ['weekly', i, 'channel']));
  const onReceiver = new Map<string, string>();
  for (const [receiver, list] of Object.entries((s.receivers ?? {}) as Record<string, unknown>)) {
    (Array.isArray(list) ? list : []).forEach((channel, i) => {
      check(channel, ['receivers', receiver, i]);
      if (typeof channel !== 'string') return;
      const other = onReceiver.get(channel);
      if (other !== undefined) issues.push({ path: ['receivers', receiver, i], message: `channel ${channel} is on receiver ${other} already: a channel comes through one receiver` });
      onReceiver.set(channel, receiver);
    });
  }
  return issues;
}

export type RecordingScheduleConfig = {
  readonly [K in keyof typeof recordingScheduleShape]: z.output<(typeof recordingScheduleShape)[K]>;
};
export type XmltvSourceConfig = z.output<typeof xmltvSourceSchema>;
export type WeeklyEntryConfig = z.output<typeof weeklyEntrySchema>;
