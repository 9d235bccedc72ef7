import { z } from 'zod';
import { IMPORT_DUPLICATE_CODES, IMPORT_PROBLEM_CODES, LIBRARY_KINDS, LIBRARY_SOURCES } from '../../../broadcast/library/types.js';
import { apiSchemas } from '../api-registry.js';

/**
 * The farm-content library in the box's API (routes/library.ts) and the disk quota (`media` in `GET /health`).
 * Free of Node.
 */

export const LIBRARY_DEFAULT_LIMIT = 50;

const wholeNumber = (min: number, max: number, what: string): z.ZodType<number, unknown> =>
  z.preprocess((v) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : v), z.int({ error: `${what} must be a whole number from ${min} to ${max}` }).min(min).max(max));

export const libraryQuerySchema = z.strictObject({
  q: z.string().trim().max(100, 'q must be at most 100 characters').optional().describe('words to find in title, category or tags (all must match); Chinese works: 玉米, 病虫害防治'),
  category: z.string().max(100).optional().describe('only this category (exact)'),
  kind: z.enum(LIBRARY_KINDS, { error: `kind must be one of ${LIBRARY_KINDS.join(', ')}` }).optional(),
  limit: wholeNumber(1, 200, 'limit').optional().describe(`items per page (default ${LIBRARY_DEFAULT_LIMIT})`),
  offset: wholeNumber(0, 1_000_000, 'offset').optional().describe('items to skip (default 0)'),
});

export const libraryItemSchema = z
  .strictObject({
    id: z.int(),
    kind: z.enum(LIBRARY_KINDS).describe('video 视频, pdf, image 图片, notice 通知, price_list 价格表'),
    title: z.string(),
    category: z.string().describe("'' when none"),
    tags: z.array(z.string()),
    date: z.int().describe('UTC ms: when the county content was installed, or the imported file\'s modification time'),
    source: z.enum(LIBRARY_SOURCES).describe('county: the county\'s content (goes when the county withdraws it); usb: imported from a stick; operator: added by hand'),
    size: z.int(),
    sha256: z.string(),
    mediaType: z.string(),
    addedAt: z.int().describe('UTC ms'),
    fileUrl: z.string().describe('GET it for the file (HTTP Range supported; PDFs and videos inline)'),
  })
  .register(apiSchemas, { id: 'LibraryItem' });

export const libraryPageSchema = z
  .strictObject({
    items: z.array(libraryItemSchema).describe('newest first'),
    total: z.int().describe('items matching, every page together'),
    limit: z.int(),
    offset: z.int(),
  })
  .register(apiSchemas, { id: 'LibraryPage' });

export const libraryCategoriesSchema = z
  .strictObject({ categories: z.array(z.strictObject({ category: z.string(), count: z.int() })) })
  .register(apiSchemas, { id: 'LibraryCategories' });

export const libraryImportBodySchema = z.strictObject({
  path: z.string().regex(/^\//, 'path must be absolute, e.g. /media/usb/资料').max(1000).describe('a folder on a mounted USB stick, under one of library.usbMounts'),
  category: z.string().trim().max(100).optional().describe('the category of every item (default: each file\'s first folder under path)'),
  tags: z.array(z.string().trim().min(1).max(50)).max(20).optional(),
});

const fileProblem = z.strictObject({
  file: z.string().describe('path under the imported folder'),
  code: z.enum(IMPORT_PROBLEM_CODES).describe('why, as a stable code the UI says in its language'),
  problem: z.string().describe('the detail in English (e.g. ffmpeg\'s own words)'),
});

export const libraryImportReportSchema = z
  .strictObject({
    folder: z.string(),
    imported: z.array(z.strictObject({ file: z.string(), id: z.int(), title: z.string(), kind: z.enum(LIBRARY_KINDS) })),
    duplicates: z.array(
      z.strictObject({
        file: z.string(),
        sha256: z.string(),
        code: z.enum(IMPORT_DUPLICATE_CODES).describe('same_as_item: an item already in the library (sameAsId, sameAsTitle); same_as_file: another file of this import (sameAsFile)'),
        sameAs: z.string().describe('the item (or the other file on the stick) with the same bytes, in English'),
        sameAsId: z.int().optional(),
        sameAsTitle: z.string().optional(),
        sameAsFile: z.string().optional(),
      }),
    ),
    corrupt: z.array(fileProblem).describe('not whole or not what its bytes claim: a cut video, a broken PDF, text that is not UTF-8'),
    skipped: z.array(fileProblem).describe('not a library type, too large or unreadable'),
  })
  .register(apiSchemas, { id: 'LibraryImportReport' });

export const mediaHealthSchema = z
  .strictObject({
    quotaBytes: z.int().optional().describe('media.quotaBytes, when set'),
    minFreeBytes: z.int(),
    usedBytes: z.int().describe('recordings, library imports and county content together'),
    recordingsBytes: z.int(),
    libraryBytes: z.int(),
    contentBytes: z.int(),
    imagesBytes: z.int().optional().describe('camera pictures and thumbnails (<data>/cameras), counted in usedBytes'),
    filesystems: z.array(z.strictObject({ path: z.string(), freeBytes: z.number(), totalBytes: z.number() })).describe('each file system holding the database or media'),
    pressure: z.boolean().describe('over the quota or short of minFreeBytes after evicting all that may go; the fault alarm fault:disk_space is open meanwhile'),
    lastCheckAt: z.int().optional(),
    evicted: z
      .strictObject({
        count: z.int(),
        bytes: z.int(),
        last: z
          .strictObject({ at: z.int(), kind: z.enum(['image', 'segments', 'recording', 'alarm_image', 'library']), id: z.string(), bytes: z.int() })
          .describe('segments: a recording\'s original segments (the recording stays, played from its browser copy; id is the recording\'s); image, alarm_image: a camera picture (id is its id)')
          .optional(),
      })
      .describe(
        'evicted since the daemon started: first camera pictures not tied to an alarm (oldest first), then the original segments of finished unpinned recordings that have a browser copy on disk (oldest first), then whole unpinned recordings (oldest first), then camera pictures of alarms (oldest first), then (media.evictLibrary) imported items',
      ),
    lastError: z.strictObject({ ts: z.int(), message: z.string() }).optional(),
  })
  .register(apiSchemas, { id: 'MediaHealth' });

export type LibraryItemBody = z.output<typeof libraryItemSchema>;
export type LibraryPageBody = z.output<typeof libraryPageSchema>;
