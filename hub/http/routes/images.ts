import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Clock } from '../../../node-daemon/core/types.js';
import { validateQuery } from '../../../node-daemon/http/validate-query.js';
import {
  IMAGE_BATCH_LIMIT,
  IMAGE_CHUNK_LIMIT,
  imageAlarmLinkSchema,
  imageBatchAnswerSchema,
  imageBatchSchema,
  imageChunkAnswerSchema,
  IMAGES_SYNC_PATH,
} from '../../../node-daemon/sync/protocol/image-wire.js';
import type { HubImageIndex, ImageKey } from '../../images/image-index.js';
import type { HubImageReceiver, ImageRefusal } from '../../images/receiver.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { decompressBody } from '../decompress.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import type { NonceStore } from '../nonce-store.js';
import { hubErrorResponse, hubJsonRequestBody, hubJsonResponse, hubPathParameter, hubQueryParameters, type HubPathsDoc } from '../openapi/registry.js';
import { readBody } from '../read-body.js';
import { errorBody, refuse, type RefusalSink } from '../refusals.js';
import { verifyBox } from '../verify-box.js';
import { boxIdOf } from './box-detail.js';

export interface ImagesRouteDeps extends RefusalSink {
  readonly receiver: HubImageReceiver;
  readonly index: HubImageIndex;
  readonly store: HubStore;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly access: HubAccess;
  readonly requestUrl: (c: Context) => string;
}

export const DEFAULT_IMAGES_LISTED = 50;
export const MAX_IMAGES_LISTED = 500;

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_IMAGES_LISTED}`;
const whole = (message: string) => z.preprocess((v) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v), z.int({ error: message }).min(1, { error: message }));

export const boxImagesQuerySchema = z.strictObject({
  site: z.string().min(1).max(64).optional().describe('only pictures of this site'),
  alarm: whole('alarm must be an alarm id (a whole number)').optional().describe('only pictures linked to this alarm id of the box'),
  db: z.string().min(1).max(64).optional().describe('only pictures of this box database (alarm ids are per database); default all'),
  before: whole('before must be a time in UTC ms').optional().describe('only pictures taken before this (UTC ms, box clock): the last `ts` of the previous page'),
  limit: whole(LIMIT_MESSAGE).pipe(z.int().max(MAX_IMAGES_LISTED, { error: LIMIT_MESSAGE })).optional().describe(`most pictures; default ${DEFAULT_IMAGES_LISTED}, at most ${MAX_IMAGES_LISTED}`),
});

function refusal(c: Context<HubEnv>, r: ImageRefusal, hubTime: number): Response {
  return c.json({ ...errorBody(r.code, r.message, r.param), ...(r.received === undefined ? {} : { received: r.received }), hubTime }, r.status);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `:dbId/:imageId` checked: the key, or undefined. */
function imageKeyOf(box: string, dbId: string, imageId: string): ImageKey | undefined {
  return /^\d{1,15}$/.test(imageId) && Number(imageId) >= 1 ? { box, dbId, id: Number(imageId) } : undefined;
}

/**
 * The boxes' camera pictures at the hub (docs/sync.md "Camera pictures to the hub"):
 * - `POST /api/v1/sync/images` (a box, signed): a batch of pictures with their thumbnails; the answer says how much
 *   of each full image the hub holds.
 * - `PUT /api/v1/sync/images/{dbId}/{id}/full?offset=N` (a box, signed): the next bytes of a full image.
 * - `GET /api/v1/boxes/{id}/images` (viewer): the pictures held, newest first; `…/{dbId}/{imageId}/thumb` and
 *   `…/full`: the JPEGs.
 */
export function imagesRoutes(deps: ImagesRouteDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const box = verifyBox(deps);

  app.post(IMAGES_SYNC_PATH, readBody(IMAGE_BATCH_LIMIT, deps), box, async (c) => {
    const boxId = c.get('box').id;
    const out = await decompressBody(c.get('body'), c.req.header('content-encoding'), IMAGE_BATCH_LIMIT);
    if (!out.ok) {
      const status = out.reason === 'too_large' ? 413 : out.reason === 'unsupported_encoding' ? 415 : 400;
      const code = out.reason === 'too_large' ? 'payload_too_large' : out.reason;
      const message =
        out.reason === 'too_large' ? `the body must decompress to at most ${IMAGE_BATCH_LIMIT} bytes` : out.reason === 'unsupported_encoding' ? 'Content-Encoding must be br or gzip (or none)' : 'the body does not decompress';
      return refuse(c, deps, { status, code, detail: out.detail, keyid: boxId, box: boxId, message });
    }
    let json: unknown;
    try {
      json = JSON.parse(UTF8.decode(out.bytes));
    } catch {
      return refuse(c, deps, { status: 400, code: 'bad_request', detail: 'not UTF-8 JSON', keyid: boxId, box: boxId, message: 'the body is not UTF-8 JSON' });
    }
    const parsed = imageBatchSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join('.') ?? '';
      const message = `not an image batch (${param}: ${issue?.message ?? ''})`;
      return refuse(c, deps, { status: 400, code: 'bad_request', detail: message.slice(0, 300), keyid: boxId, box: boxId, message, ...(param === '' ? {} : { param }) });
    }
    const answer = await deps.receiver.announce(boxId, parsed.data);
    if (!answer.ok) return refusal(c, answer, deps.clock());
    return c.json({ images: answer.images, hubTime: deps.clock() }, 200);
  });

  app.put(`${IMAGES_SYNC_PATH}/:dbId/:imageId/full`, readBody(IMAGE_CHUNK_LIMIT, deps), box, async (c) => {
    const k = imageKeyOf(c.get('box').id, c.req.param('dbId'), c.req.param('imageId'));
    if (k === undefined) return c.json({ ...errorBody('bad_request', 'the picture id must be a whole number', 'id'), hubTime: deps.clock() }, 400);
    const offsetText = c.req.query('offset') ?? '';
    if (!/^\d{1,15}$/.test(offsetText)) return c.json({ ...errorBody('bad_request', 'offset must be a whole number', 'offset'), hubTime: deps.clock() }, 400);
    const out = await deps.receiver.append(k, Number(offsetText), c.get('body'));
    if (!out.ok) return refusal(c, out, deps.clock());
    return c.json({ received: out.received, complete: out.complete, hubTime: deps.clock() }, 200);
  });

  app.get(`${BOXES_PATH}/:id/images`, deps.access.require('viewer'), async (c) => {
    const id = boxIdOf(c.req.param('id'));
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
    const q = validateQuery(c.req.queries(), boxImagesQuerySchema);
    if (!q.ok) return c.json(q.error, 400);
    if ((await deps.store.getBox(id)) === undefined) return c.json(errorBody('not_found', `no box ${id} at this hub`, 'id'), 404);
    const { site, alarm, db, before } = q.data;
    const images = await deps.index.list(id, {
      limit: q.data.limit ?? DEFAULT_IMAGES_LISTED,
      ...(site === undefined ? {} : { site }),
      ...(alarm === undefined ? {} : { alarm }),
      ...(db === undefined ? {} : { dbId: db }),
      ...(before === undefined ? {} : { before }),
    });
    return c.json(
      {
        box: id,
        images: await Promise.all(
          images.map(async (i) => {
            const full = await deps.receiver.fullProgress({ box: id, dbId: i.dbId, id: i.id }, i);
            const { dbId, id: imageId, cameraId, siteId, ts, cause, alarms, thumbBytes } = i;
            return { dbId, id: imageId, cameraId, siteId, ts, cause, alarms, thumbBytes, full: { size: i.fullSize, ...full } };
          }),
        ),
      },
      200,
    );
  });

  for (const which of ['thumb', 'full'] as const) {
    app.get(`${BOXES_PATH}/:id/images/:dbId/:imageId/${which}`, deps.access.require('viewer'), async (c) => {
      const id = boxIdOf(c.req.param('id'));
      if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
      const k = imageKeyOf(id, c.req.param('dbId'), c.req.param('imageId'));
      if (k === undefined) return c.json(errorBody('bad_request', 'the picture id must be a whole number', 'imageId'), 400);
      const file = which === 'thumb' ? await deps.receiver.thumbFile(k) : await deps.receiver.fullFile(k);
      if (file === undefined) {
        return c.json(errorBody('not_found', which === 'thumb' ? `the hub holds no picture ${k.id} of ${id}` : `the hub holds no complete full image of picture ${k.id} of ${id}`), 404);
      }
      const stream = Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>;
      return c.body(stream, 200, { 'Content-Type': 'image/jpeg', 'Content-Length': String(file.size) });
    });
  }

  return app;
}

const heldImageSchema = z.strictObject({
  dbId: z.string().describe('the box database the picture is of'),
  id: z.int().describe('camera_images.id in that database'),
  cameraId: z.string(),
  siteId: z.string(),
  ts: z.int().describe('UTC ms, box clock: when it was taken'),
  cause: z.enum(['schedule', 'alarm']),
  alarms: z.array(imageAlarmLinkSchema).describe('the alarm transitions it belongs to (links only grow)'),
  thumbBytes: z.int(),
  full: z.strictObject({
    size: z.int(),
    received: z.int().describe('bytes of the full image the hub holds'),
    complete: z.boolean().describe('arrived whole and matched its sha256: GET …/full serves it'),
  }),
});

const boxImagesSchema = z.strictObject({
  box: z.string(),
  images: z.array(heldImageSchema).describe('newest (by ts) first'),
});

const imageParams = [hubPathParameter('id', 'the box id'), hubPathParameter('dbId', 'the box database id'), hubPathParameter('imageId', 'the picture\'s id in that database', { type: 'integer', minimum: 1 })];

export const imagesPaths: HubPathsDoc = {
  [IMAGES_SYNC_PATH]: {
    post: {
      access: 'box',
      operationId: 'announceImages',
      summary: 'A box announces a batch of camera pictures with their thumbnails (docs/sync.md "Camera pictures to the hub"); br or gzip',
      requestBody: hubJsonRequestBody(imageBatchSchema),
      responses: {
        '200': hubJsonResponse('per picture, in the batch\'s order, how much of its full image the hub holds', imageBatchAnswerSchema),
        '400': hubErrorResponse('not an image batch (the zod issue), a thumbnail that is not a JPEG, a bad dbId'),
        '401': hubErrorResponse('a missing or bad signature'),
        '403': hubErrorResponse('an unknown or revoked box'),
        '413': hubErrorResponse('the body is over 512 KiB (as sent or decompressed)'),
        '415': hubErrorResponse('a Content-Encoding other than br or gzip'),
      },
    },
  },
  [`${IMAGES_SYNC_PATH}/{dbId}/{id}/full`]: {
    put: {
      access: 'box',
      operationId: 'putImageChunk',
      summary: 'A box sends the next bytes of a picture\'s full image (?offset=N, octet-stream, at most 1 MiB)',
      parameters: [hubPathParameter('dbId', 'the box database id'), hubPathParameter('id', 'the picture\'s id in that database', { type: 'integer', minimum: 1 })],
      responses: {
        '200': hubJsonResponse('the hub\'s count of the full image\'s bytes, and whether it is complete and verified', imageChunkAnswerSchema),
        '400': hubErrorResponse('a bad id or offset, or digest_mismatch'),
        '404': hubErrorResponse('no_image: announce the picture again'),
        '409': hubJsonResponse('offset_mismatch: `received` is the hub\'s count; go on from there', imageChunkAnswerSchema),
        '413': hubErrorResponse('a chunk over 1 MiB, or bytes past the announced size'),
        '422': hubJsonResponse('sha256_mismatch: the full image was dropped; send it again from 0', imageChunkAnswerSchema),
      },
    },
  },
  [`${BOXES_PATH}/{id}/images`]: {
    get: {
      access: 'viewer',
      operationId: 'listBoxImages',
      summary: 'The box\'s camera pictures the hub holds, newest first',
      parameters: [hubPathParameter('id', 'the box id'), ...hubQueryParameters(boxImagesQuerySchema)],
      responses: {
        '200': hubJsonResponse('the pictures', boxImagesSchema),
        '400': hubErrorResponse('a bad parameter'),
        '404': hubErrorResponse('no such box'),
      },
    },
  },
  [`${BOXES_PATH}/{id}/images/{dbId}/{imageId}/thumb`]: {
    get: {
      access: 'viewer',
      operationId: 'getBoxImageThumb',
      summary: 'A picture\'s thumbnail',
      parameters: imageParams,
      responses: { '200': { description: 'image/jpeg' }, '404': hubErrorResponse('no such picture') },
    },
  },
  [`${BOXES_PATH}/{id}/images/{dbId}/{imageId}/full`]: {
    get: {
      access: 'viewer',
      operationId: 'getBoxImageFull',
      summary: 'A picture\'s full image, once it arrived whole and verified',
      parameters: imageParams,
      responses: { '200': { description: 'image/jpeg' }, '404': hubErrorResponse('no such picture, or its full image is not complete') },
    },
  },
};
