import { z } from 'zod';
import { cronProblem } from './programme-schedule.js';

/** Pure: the `station` section of the box's configuration, its scheduled programmes. */

/** The box's id alphabet (as for every output id in the configuration). */
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ID_RULE = 'ids are 1-64 characters: lower-case letters, digits, "-" and "_", starting with a letter or digit';

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The audio files a programme may play: a WAV as it is, the others converted to WAV with ffmpeg first. */
export const PROGRAMME_FILE_EXTENSIONS = ['.wav', '.mp3', '.m4a', '.aac', '.ogg', '.opus', '.flac'] as const;

/** Pure: whether a programme file is played as it is (a WAV) rather than converted first. */
export const isWavFile = (p: string): boolean => /\.wav$/i.test(p);

const hasAudioExtension = (p: string): boolean => PROGRAMME_FILE_EXTENSIONS.some((ext) => p.toLowerCase().endsWith(ext));

/** A path inside the content folder: relative, no `..`, an audio file of a kind ffmpeg converts. */
const contentPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'a path inside the content folder (relative, without "..")')
  .refine(hasAudioExtension, `an audio file (${PROGRAMME_FILE_EXTENSIONS.join(' ')})`);

export const scheduledProgrammeSchema = z
  .strictObject({
    id: z.string().regex(ID, ID_RULE).describe('programme id, shown in GET /api/v1/station and the journal'),
    title: z.string().min(1).max(100).describe('shown to operators, e.g. 每日农产品价格'),
    cron: z
      .string()
      .min(1)
      .describe('when it plays: a cron expression (minute hour day month weekday, or seconds first), in timeZone; e.g. "0 7 * * *" every day at 07:00'),
    timeZone: z
      .string()
      .refine(validTimeZone, 'an IANA time zone such as Asia/Shanghai')
      .optional()
      .describe('IANA time zone the cron expression is read in; default site.timezone'),
    speakers: z.array(z.string().regex(ID, ID_RULE)).min(1).optional().describe('speaker ids (outputs.speakers[].id); default every speaker'),
    file: contentPath
      .optional()
      .describe('an audio file under station.contentDir (e.g. the library\'s price bulletin): .wav, or .mp3 .m4a .aac .ogg .opus .flac converted to WAV with ffmpeg'),
    text: z.string().trim().min(1).max(2000).optional().describe('a notice typed here, read out by espeak-ng in each speaker\'s voice'),
  })
  .superRefine((p, ctx) => {
    if ((p.file === undefined) === (p.text === undefined)) {
      ctx.addIssue({ code: 'custom', path: p.file === undefined ? ['text'] : ['file'], message: p.file === undefined ? 'give file or text: what the programme plays' : 'give file or text, not both' });
    }
    // The syntax alone: the zone is checked on its own key.
    const problem = cronProblem(p.cron, 'UTC');
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: `not a cron expression croner reads: ${problem}` });
  })
  .describe('a programme played on a schedule, below every alarm and notice: an alarm cuts it and it does not resume');

export const stationSchema = z
  .strictObject({
    contentDir: z
      .string()
      .refine((p) => p.startsWith('/'), 'an absolute path')
      .optional()
      .describe('folder the programmes\' files are read from; default <data>/content'),
    programmes: z
      .array(scheduledProgrammeSchema)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Map<string, number>();
        list.forEach((p, i) => {
          const first = seen.get(p.id);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `programme id ${p.id} is used twice (also station.programmes[${first}])` });
          else seen.set(p.id, i);
        });
      })
      .describe('scheduled programmes on the loudspeakers'),
  })
  .describe('the broadcast station: scheduled programmes on the loudspeakers (alarms always pre-empt them)');

export type StationConfig = z.output<typeof stationSchema>;
export type ScheduledProgrammeConfig = z.output<typeof scheduledProgrammeSchema>;

/** Each programme speaker that is not a configured speaker: [path under the config root, message]. */
export function unknownProgrammeSpeakers(station: StationConfig | undefined, speakerIds: readonly string[]): { readonly path: (string | number)[]; readonly message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  station?.programmes.forEach((p, i) =>
    p.speakers?.forEach((s, j) => {
      if (!speakerIds.includes(s)) {
        out.push({
          path: ['station', 'programmes', i, 'speakers', j],
          message: `"${s}" is not a speaker of this box; expected ${speakerIds.length > 0 ? `one of ${speakerIds.join(', ')} (outputs.speakers)` : 'nothing: outputs.speakers is empty'}`,
        });
      }
    }),
  );
  return out;
}
