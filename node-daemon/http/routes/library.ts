import { existsSync } from 'node:fs';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import type { LibraryItem } from '../../../broadcast/library/types.js';
import { LibraryRequestError, type LibraryService } from '../../library/library-service.js';
import { API_PREFIX } from '../api-prefix.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, pathParameter, queryParameters, type OperationDoc, type PathItemDoc } from '../openapi-doc.js';
import {
  LIBRARY_DEFAULT_LIMIT,
  libraryCategoriesSchema,
  libraryImportBodySchema,
  libraryImportReportSchema,
  libraryItemSchema,
  libraryPageSchema,
  libraryQuerySchema,
  type LibraryItemBody,
  type LibraryPageBody,
} from '../schemas/library.js';
import { validateJsonBody } from '../validate-body.js';
import { validateQuery } from '../validate-query.js';
import { requestUser } from './request-user.js';
import { z } from 'zod';

/** What the library routes call (library/library-service.ts). */
export type LibrarySource = Pick<LibraryService, 'search' | 'get' | 'categories' | 'pathOf' | 'importFolder' | 'delete'>;

const toBody = (item: LibraryItem): LibraryItemBody => ({
  id: item.id,
  kind: item.kind,
  title: item.title,
  category: item.category,
  tags: [...item.tags],
  date: item.date,
  source: item.source,
  size: item.size,
  sha256: item.sha256,
  mediaType: item.mediaType,
  addedAt: item.addedAt,
  fileUrl: `${API_PREFIX}/library/${item.id}/file`,
});

function refusal(c: Context, err: unknown): Response {
  if (err instanceof LibraryRequestError) {
    const code = err.status === 404 ? 'not_found' : err.status === 409 ? 'conflict' : 'bad_request';
    return c.json(errorBody(code, err.message, err.param), err.status);
  }
  throw err;
}

/** `filename*` of Content-Disposition (RFC 6266 / 8187): the title, as UTF-8, with the file's extension. */
function dispositionName(item: LibraryItem): string {
  const dot = item.file.lastIndexOf('.');
  const ext = dot > item.file.lastIndexOf('/') ? item.file.slice(dot) : '';
  return `inline; filename*=UTF-8''${encodeURIComponent(item.title + ext)}`;
}

/**
 * `GET /library` (search and browse), `GET /library/categories`, `GET /library/{id}`, `GET /library/{id}/file`
 * (the bytes, with HTTP Range for seeking: @hono/node-server's serveStatic answers 206/416 as RFC 9110 has it),
 * `POST /library/import` (a USB folder) and `DELETE /library/{id}`. Reading needs the viewer role, changes the
 * operator role (auth/policy.ts).
 */
export function libraryRoutes(library: LibrarySource): Hono {
  return new Hono()
    .get('/library', (c) => {
      const query = validateQuery(c.req.queries(), libraryQuerySchema);
      if (!query.ok) return c.json(query.error, 400);
      const limit = query.data.limit ?? LIBRARY_DEFAULT_LIMIT;
      const offset = query.data.offset ?? 0;
      const q = query.data.q === undefined || query.data.q === '' ? {} : { q: query.data.q };
      const page = library.search({ ...q, ...(query.data.category === undefined ? {} : { category: query.data.category }), ...(query.data.kind === undefined ? {} : { kind: query.data.kind }), limit, offset });
      const body: LibraryPageBody = { items: page.items.map(toBody), total: page.total, limit, offset };
      return c.json(body, 200);
    })
    .get('/library/categories', (c) => c.json({ categories: library.categories() }, 200))
    .get('/library/:id{[0-9]{1,15}}', (c) => {
      const item = library.get(Number(c.req.param('id')));
      if (item === undefined) return c.json(errorBody('not_found', `no library item ${c.req.param('id')}`, 'id'), 404);
      return c.json(toBody(item), 200);
    })
    .get('/library/:id{[0-9]{1,15}}/file', async (c, next) => {
      const item = library.get(Number(c.req.param('id')));
      if (item === undefined) return c.json(errorBody('not_found', `no library item ${c.req.param('id')}`, 'id'), 404);
      const path = library.pathOf(item);
      if (!existsSync(path)) return c.json(errorBody('not_found', `the file of item ${item.id} is not on the box (county content being fetched again?)`, 'id'), 404);
      const res = await serveStatic({ path })(c, next);
      if (res === undefined) return c.json(errorBody('not_found', `the file of item ${item.id} could not be read`, 'id'), 404);
      res.headers.set('Content-Type', item.mediaType);
      res.headers.set('Content-Disposition', dispositionName(item));
      res.headers.set('Accept-Ranges', 'bytes');
      return res;
    })
    .post('/library/import', async (c) => {
      const body = validateJsonBody(await c.req.text(), libraryImportBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        const report = await library.importFolder(body.data.path, {
          ...(body.data.category === undefined ? {} : { category: body.data.category }),
          ...(body.data.tags === undefined ? {} : { tags: body.data.tags }),
        });
        return c.json(report, 200);
      } catch (err) {
        return refusal(c, err);
      }
    })
    .delete('/library/:id{[0-9]{1,15}}', (c) => {
      try {
        const item = library.delete(Number(c.req.param('id')), 'operator', requestUser(c));
        return c.json(toBody(item), 200);
      } catch (err) {
        return refusal(c, err);
      }
    });
}

const idParam = pathParameter('id', z.int().describe('the item id'));

export const libraryPaths: Readonly<Record<string, PathItemDoc & { readonly delete?: OperationDoc }>> = {
  '/library': {
    get: {
      operationId: 'listLibrary',
      summary: 'The farm-content library (资料): search and browse',
      description:
        'Items from the county\'s content and USB imports, newest first. `q` finds words in the title, category and tags: ' +
        'three characters or more through an FTS5 trigram index, one or two characters (most Chinese words, 玉米) by a scan.',
      parameters: queryParameters(libraryQuerySchema),
      responses: { '200': jsonResponse('one page of items', libraryPageSchema), '400': errorResponse('a query parameter is invalid; `error.param` names it') },
    },
  },
  '/library/categories': {
    get: { operationId: 'listLibraryCategories', summary: 'The categories in use, with item counts', responses: { '200': jsonResponse('the categories', libraryCategoriesSchema) } },
  },
  '/library/{id}': {
    get: {
      operationId: 'getLibraryItem',
      summary: 'One library item',
      parameters: [idParam],
      responses: { '200': jsonResponse('the item', libraryItemSchema), '404': errorResponse('no such item') },
    },
    delete: {
      operationId: 'deleteLibraryItem',
      summary: 'Delete an imported item and its file',
      description: 'The county\'s items cannot be deleted here (409): they go when the county withdraws them.',
      parameters: [idParam],
      responses: { '200': jsonResponse('the item deleted', libraryItemSchema), '404': errorResponse('no such item'), '409': errorResponse('the item is the county\'s') },
    },
  },
  '/library/{id}/file': {
    get: {
      operationId: 'getLibraryFile',
      summary: 'The item\'s file, with HTTP Range',
      description:
        '200 with the whole file, or with `Range: bytes=N-M` 206 and `Content-Range` (416 past the end), so a video seeks ' +
        'without downloading what comes before. Served inline (`Content-Disposition: inline`), PDFs too.',
      parameters: [idParam],
      responses: { '200': { description: 'the file' }, '206': { description: 'the range asked for' }, '404': errorResponse('no such item, or its file is not on the box'), '416': { description: 'the range starts past the end' } },
    },
  },
  '/library/import': {
    post: {
      operationId: 'importLibraryFolder',
      summary: 'Import a USB folder into the library',
      description:
        'Every file under `path` (a folder under library.usbMounts) is copied in, hashed, its type sniffed from its bytes and ' +
        'checked (videos read through by ffmpeg, PDFs\' structure): corrupt files and duplicates (same sha256) are reported, not imported.',
      requestBody: jsonRequestBody(libraryImportBodySchema),
      responses: {
        '200': jsonResponse('what was imported, and each file that was not and why', libraryImportReportSchema),
        '400': errorResponse('the path is missing, not a folder, or not under library.usbMounts'),
        '409': errorResponse('another import is running'),
      },
    },
  },
};
