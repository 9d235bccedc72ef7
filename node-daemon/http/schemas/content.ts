import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/**
 * The county's content on the box (docs/sync.md "Content"): `GET /api/v1/content` (routes/content.ts) and `content`
 * under `sync` in `GET /api/v1/health`. Free of Node.
 */

const waitReason = z.enum(['alarms_waiting', 'health_waiting', 'readings_behind', 'over_budget']);

export const contentHealthSchema = z
  .strictObject({
    state: z
      .enum(['idle', 'downloading', 'waiting', 'retrying'])
      .describe('`idle`: every listed file is installed; `waiting`: for the link (`waitingFor`); `retrying`: only failed files are left, each waits for its retry'),
    waitingFor: waitReason.optional().describe('content is bulk: it waits while alarm or health records wait to be pushed, while readings are behind, or when the byte budget is spent'),
    files: z.int().describe('files in the county\'s manifest'),
    installed: z.int(),
    failed: z.int().describe('files whose last download failed (wrong bytes, not at the hub); retried later'),
    bytesListed: z.int(),
    bytesInstalled: z.int(),
    current: z
      .strictObject({ path: z.string(), sha256: z.string(), size: z.int(), bytesDone: z.int() })
      .optional()
      .describe('the file being downloaded'),
    mismatches: z.int().describe('downloads whose bytes did not match the manifest\'s sha256 (discarded, fetched again) since the box started'),
    wireBytes: z.int().describe('content bytes on the wire since the box started (counted in the sync byte budget)'),
    lastError: z.strictObject({ ts: z.int(), message: z.string() }).optional(),
    manifest: z
      .strictObject({ orderId: z.string(), issuedAt: z.int(), receivedAt: z.int() })
      .optional()
      .describe('the county order the list came from'),
  })
  .register(apiSchemas, { id: 'ContentHealth' });

export const contentFileStateSchema = z
  .strictObject({
    path: z.string().describe('under <data>/content/'),
    sha256: z.string(),
    size: z.int(),
    title: z.string().nullable(),
    mediaType: z.string().nullable(),
    state: z.enum(['missing', 'downloading', 'installed', 'failed']),
    bytesDone: z.int().describe('bytes downloaded so far (the whole size once installed)'),
    installedAt: z.int().nullable().describe('UTC ms'),
    failures: z.int(),
    lastError: z.string().nullable(),
    retryAt: z.int().nullable().describe('a failed file: when it is tried again (UTC ms)'),
  })
  .register(apiSchemas, { id: 'ContentFileState' });

export const contentListSchema = z
  .strictObject({
    files: z.array(contentFileStateSchema).describe('the county\'s manifest, by path'),
    manifest: z.strictObject({ orderId: z.string(), issuedAt: z.int(), receivedAt: z.int(), files: z.int() }).nullable().describe('the order the list came from; null before the first'),
  })
  .register(apiSchemas, { id: 'ContentList' });

export type ContentList = z.output<typeof contentListSchema>;
