import { Hono } from 'hono';
import type { ContentRow } from '../../sync/content/plan.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { contentListSchema, type ContentList } from '../schemas/content.js';

/** What the content route reads (the content table, sync/content/content-table.ts). */
export interface ContentSource {
  rows(): ContentRow[];
  manifest(): { readonly orderId: string; readonly issuedAt: number; readonly receivedAt: number; readonly files: number } | undefined;
}

/** `GET /content`: the county's content manifest on this box and where each file stands (docs/sync.md "Content"). */
export function contentRoutes(source: ContentSource): Hono {
  return new Hono().get('/content', (c) => {
    const body: ContentList = {
      files: source.rows().map((r) => ({
        path: r.path,
        sha256: r.sha256,
        size: r.size,
        title: r.title,
        mediaType: r.mediaType,
        state: r.state,
        bytesDone: r.bytesDone,
        installedAt: r.installedAt,
        failures: r.failures,
        lastError: r.lastError,
        retryAt: r.retryAt,
      })),
      manifest: source.manifest() ?? null,
    };
    return c.json(body, 200);
  });
}

export const contentPaths: PathsDoc = {
  '/content': {
    get: {
      operationId: 'getContent',
      summary: 'The county\'s content on this box',
      description:
        'The files the county\'s latest content manifest lists (installed under <data>/content/<path>), each with its ' +
        'download state: missing, downloading (bytesDone so far), installed, or failed (retried at retryAt). Downloads ' +
        'resume where they stopped and are checked against the sha256 before they are installed (docs/sync.md "Content").',
      responses: { '200': jsonResponse('the manifest and each file\'s state', contentListSchema) },
    },
  },
};
