import { z } from 'zod';

/** The `media` config section: one disk quota for recordings, the library and the county's content. Pure. */
export const mediaConfigSchema = z
  .strictObject({
    quotaBytes: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('most bytes recordings, library and county content may take together; none by default (only minFreeBytes applies)'),
    minFreeBytes: z
      .number()
      .int()
      .min(0)
      .default(512 * 1024 ** 2)
      .describe('free space kept on every file system holding the database or media (512 MiB); below it media is evicted'),
    evictLibrary: z
      .boolean()
      .default(false)
      .describe('when evicting every unpinned recording is not enough, also evict library items imported from USB or added by an operator (never the county\'s), oldest first'),
    checkIntervalMs: z.number().int().min(100).max(3_600_000).default(60_000).describe('how often disk use is measured'),
  })
  .describe('disk quota of media: first the segments of unpinned recordings that have a browser copy, then the oldest unpinned recordings, are evicted; the database, readings and alarms never are');

export type MediaConfig = z.output<typeof mediaConfigSchema>;
