import { z } from 'zod';

/** The `library` config section (the farm-content library, broadcast/library). Pure. */
export const libraryConfigSchema = z
  .strictObject({
    usbMounts: z
      .array(z.string().regex(/^\//, 'an absolute path, e.g. /media/usb'))
      .default(['/media', '/mnt', '/run/media'])
      .describe('folders under which POST /api/v1/library/import may read (where USB sticks are mounted); a path outside them is refused'),
    countyPollMs: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(30_000)
      .describe('how often the county content the sync installed is looked at, to add, update or drop its library items'),
    maxImportFileBytes: z
      .number()
      .int()
      .min(1)
      .default(8 * 1024 ** 3)
      .describe('a file on the stick larger than this is reported and not imported'),
  })
  .describe('the farm-content library (资料): county content and USB imports, searchable in Chinese');

export type LibraryConfig = z.output<typeof libraryConfigSchema>;
