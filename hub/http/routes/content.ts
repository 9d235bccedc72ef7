import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import type { Clock } from '../../../node-daemon/core/types.js';
import { blobPath, blobSize, BlobTooLarge, SHA256_HEX } from '../../content/blob-store.js';
import { HubContentStore } from '../../content/content-store.js';
import { checkPublish, publishContent, withdrawContent, type ContentDeps } from '../../content/publish.js';
import type { HubAccess } from '../access.js';
import { CONTENT_BYTES_PATH, CONTENT_PATH, type HubEnv } from '../deps.js';
import type { NonceStore } from '../nonce-store.js';
import { readBody } from '../read-body.js';
import { errorBody, refuse, type RefusalSink } from '../refusals.js';
import { verifyBox } from '../verify-box.js';

export interface ContentRouteDeps extends RefusalSink {
  readonly content: ContentDeps;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly access: HubAccess;
  readonly requestUrl: (c: Context) => string;
}

async function* chunks(body: ReadableStream<Uint8Array> | null): AsyncIterable<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function boxList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Content (docs/sync.md "Content"):
 * - `POST /api/v1/content?path=P[&title=T][&to=BOX,…]` (duty): the body is the file, raw (its Content-Type is the
 *   media type), at most limits.maxContentBytes; stored by sha256 and announced to the boxes (content_manifest).
 * - `GET /api/v1/content` (viewer): the files published now.
 * - `DELETE /api/v1/content?path=P` (duty): withdraws a file; the boxes delete it.
 * - `GET /api/v1/content/{sha256}/bytes` (a box, signed like every box request): the bytes, with HTTP Range
 *   (`bytes=N-` or `bytes=N-M`: 206 and Content-Range; 416 when the range starts past the end), streamed from disk.
 *   Outside /api/v1/sync/, so the answer is not signed over its body: a signed answer would have to be hashed
 *   whole before its first byte went out, and a resumed piece could not be checked on its own anyway. The box checks
 *   the whole file against the sha256 of the county-signed manifest instead.
 */
export function contentRoutes(deps: ContentRouteDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const store = new HubContentStore(deps.content.store.sql);

  app.post(CONTENT_PATH, deps.access.require('duty'), async (c) => {
    const path = c.req.query('path');
    if (path === undefined) return c.json(errorBody('bad_request', 'give the path the file goes to on the boxes: ?path=…', 'path'), 400);
    const title = c.req.query('title');
    const to = boxList(c.req.query('to'));
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    const mediaType = type === undefined || type === '' || type === 'application/octet-stream' ? undefined : type;
    const req = { path, ...(title === undefined ? {} : { title }), ...(mediaType === undefined ? {} : { mediaType }), ...(to === undefined ? {} : { to }) };
    const checked = checkPublish(req);
    if (!checked.ok) return c.json(errorBody('bad_request', checked.message, checked.param), 400);
    const declared = Number(c.req.header('content-length') ?? NaN);
    if (declared > deps.content.maxContentBytes) {
      return c.json(errorBody('payload_too_large', `the file must be at most ${deps.content.maxContentBytes} bytes (limits.maxContentBytes)`), 413);
    }
    try {
      const out = await publishContent(deps.content, chunks(c.req.raw.body), { ...req, by: c.get('actor').name });
      return c.json({ file: out.file, replaced: out.replaced ?? null, orders: out.orders ?? null }, 201);
    } catch (err) {
      if (err instanceof BlobTooLarge) return c.json(errorBody('payload_too_large', `the file must be at most ${err.limit} bytes (limits.maxContentBytes)`), 413);
      throw err;
    }
  });

  app.get(CONTENT_PATH, deps.access.require('viewer'), async (c) => c.json({ files: await store.current() }, 200));

  app.delete(CONTENT_PATH, deps.access.require('duty'), async (c) => {
    const path = c.req.query('path');
    if (path === undefined) return c.json(errorBody('bad_request', 'give the path to withdraw: ?path=…', 'path'), 400);
    const out = await withdrawContent(deps.content, path, c.get('actor').name);
    if (out === undefined) return c.json(errorBody('not_found', `nothing is published at ${path}`), 404);
    return c.json({ withdrawn: out.file, orders: out.orders ?? null }, 200);
  });

  app.get(`${CONTENT_BYTES_PATH(':sha256')}`, readBody(0, deps), verifyBox({ ...deps, store: deps.content.store }), async (c, next) => {
    const sha256 = c.req.param('sha256') ?? '';
    const box = c.get('box').id;
    if (!SHA256_HEX.test(sha256) || !(await store.mayFetch(sha256, box))) {
      return refuse(c, deps, { status: 404, code: 'not_found', detail: `no content ${sha256.slice(0, 64)} for box ${box}`, keyid: box, box, message: 'no such content for this box' });
    }
    if (blobSize(deps.content.contentDir, sha256) === undefined) {
      // Published (the row is in the shared database) but not on this process's disk: the content directory is not
      // shared storage between the hub processes. The box retries later, possibly reaching another process.
      deps.log.error({ event: 'hub.content.blob_missing', sha256, box, dir: deps.content.contentDir }, `content ${sha256} is published but not in this hub's content directory`);
      return c.json(errorBody('unavailable', 'this hub process does not hold the file; try again later'), 503, { 'Retry-After': '60' });
    }
    deps.log.info({ event: 'hub.content.serve', box, sha256, range: c.req.header('range') ?? null }, `content ${sha256.slice(0, 12)} to ${box}`);
    return serveStatic({ path: blobPath(deps.content.contentDir, sha256) })(c, next);
  });

  return app;
}
