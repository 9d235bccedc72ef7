import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** The answer of `GET /station` (routes/station.ts). Free of Node: the web UI's contract (contract.ts) reads it. */

const utcMs = z.number().int().describe('UTC milliseconds');

export const onAirSchema = z.object({
  key: z.string().describe('queue key: an alarm key, allclear:<alarm key>, announce:<ts>-<n> or scheduled:<programme id>'),
  kind: z.enum(['alarm', 'all_clear', 'county_notice', 'operator_message', 'scheduled']).describe('what it is, and so its priority: alarm > notices and all-clears > scheduled'),
  about: z.string().nullable().describe('the alarm (or announcement) it speaks for; null for a scheduled programme'),
  level: z.enum(['prepare', 'evacuate']).nullable(),
  title: z.string().nullable(),
});

export const stationSpeakerSchema = z.object({
  id: z.string(),
  playing: onAirSchema.nullable(),
  waiting: z.array(onAirSchema).describe('most urgent first'),
});

export const scheduledProgrammeStatusSchema = z.object({
  id: z.string(),
  title: z.string(),
  cron: z.string().describe('cron expression, read in timeZone'),
  timeZone: z.string(),
  speakers: z.array(z.string()).nullable().describe('null: every speaker'),
  source: z.union([z.object({ file: z.string().describe('path under the content folder') }), z.object({ text: z.string().describe('read out by espeak-ng') })]),
  next: utcMs.nullable().describe('next due time; null when it never fires again'),
  last: z
    .object({
      due: utcMs,
      at: utcMs,
      outcome: z
        .enum(['queued', 'on_air_already', 'file_missing', 'failed', 'missed', 'refused'])
        .describe('failed: the file cannot be decoded (detail: ffmpeg\'s last line); missed: due while the box was off or the daemon down, or the clock jumped past it (not played late)'),
      detail: z.string().nullable(),
    })
    .nullable()
    .describe('what became of the last due time'),
});

export const stationViewSchema = z
  .object({
    speakers: z.array(stationSpeakerSchema),
    programmes: z.array(scheduledProgrammeStatusSchema),
  })
  .register(apiSchemas, { id: 'Station' });
