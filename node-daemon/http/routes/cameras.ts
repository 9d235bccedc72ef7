import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import type { AlarmImage, CameraImage } from '../../camera/image-store.js';
import type { CameraConfig } from '../../camera/config-schema.js';
import type { Logger } from '../../core/log.js';
import { API_PREFIX } from '../api-prefix.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonResponse, type PathItemDoc } from '../openapi-doc.js';
import {
  alarmImagesSchema,
  pictureQueuedSchema,
  siteImagesQuerySchema,
  siteImagesSchema,
  SITE_IMAGES_DEFAULT_LIMIT,
  type AlarmImagesView,
  type PictureQueuedView,
  type CameraHealth,
  type CameraImageView,
  type SiteImagesView,
} from '../schemas/cameras.js';
import { validateQuery } from '../validate-query.js';
import { requestUser } from './request-user.js';

/** What the camera routes need (node-daemon/camera/camera-module.ts is one). */
export interface CamerasSource {
  health(): CameraHealth[];
  camerasOfSite(site: string): CameraConfig[];
  cameraName(id: string): string | undefined;
  imagesOfSite(site: string, limit: number, before?: number): CameraImage[];
  imagesOfAlarm(alarmId: number): AlarmImage[];
  files(id: number): { file: string; thumbFile: string } | undefined;
  /** Queues a picture now; false when the camera's queue is full of pictures that matter more. */
  takeNow(cameraId: string): boolean;
  cameraIds(): readonly string[];
}

export const cameraImageUrl = (id: number): string => `${API_PREFIX}/cameras/images/${id}`;
export const cameraThumbUrl = (id: number): string => `${API_PREFIX}/cameras/images/${id}/thumb`;

/**
 * Camera pictures: a site's recent ones (with its cameras' health), an alarm's, and the JPEG and thumbnail files.
 * Signed in like every media route (viewer); the files are served from disk by their row's path only, never a path
 * taken from the request.
 */
export function camerasRoutes(source: CamerasSource, log?: Pick<Logger, 'info'>): Hono {
  const view = (i: CameraImage): CameraImageView => {
    const name = source.cameraName(i.cameraId);
    return {
      id: i.id,
      cameraId: i.cameraId,
      ...(name === undefined ? {} : { cameraName: name }),
      siteId: i.siteId,
      ts: i.ts,
      cause: i.cause,
      alarmId: i.alarmId,
      transitionId: i.transitionId,
      bytes: i.bytes,
      url: cameraImageUrl(i.id),
      thumbUrl: cameraThumbUrl(i.id),
    };
  };
  const serve = async (c: Context, which: 'file' | 'thumbFile'): Promise<Response> => {
    const raw = c.req.param('id') ?? '';
    const id = /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a picture id (a whole number)', 'id'), 400);
    const files = source.files(id);
    if (files === undefined) return c.json(errorBody('not_found', `no camera picture ${id}`), 404);
    const served = await serveStatic({ path: files[which] })(c, async () => undefined);
    if (served === undefined) return c.json(errorBody('not_found', `camera picture ${id} is missing on disk`), 404);
    served.headers.set('Content-Type', 'image/jpeg');
    // A picture never changes once taken: the browser may keep it (the API's no-store is for data that does).
    served.headers.set('Cache-Control', 'private, max-age=86400, immutable');
    return served;
  };
  return new Hono()
    .get('/sites/:id/images', (c) => {
      const site = c.req.param('id');
      const query = validateQuery(c.req.queries(), siteImagesQuerySchema);
      if (!query.ok) return c.json(query.error, 400);
      const limit = query.data.limit ?? SITE_IMAGES_DEFAULT_LIMIT;
      const cameraIds = new Set(source.camerasOfSite(site).map((cam) => cam.id));
      const images = source.imagesOfSite(site, limit + 1, query.data.before);
      const page = images.slice(0, limit);
      const last = page[page.length - 1];
      const body: SiteImagesView = {
        siteId: site,
        cameras: source.health().filter((h) => cameraIds.has(h.id)),
        images: page.map(view),
        ...(images.length > limit && last !== undefined ? { nextBefore: last.ts } : {}),
      };
      return c.json(body, 200);
    })
    .get('/alarms/:id/images', (c) => {
      const raw = c.req.param('id');
      if (!/^\d{1,15}$/.test(raw)) return c.json(errorBody('bad_request', 'id must be an alarm id (a whole number)', 'id'), 400);
      const alarmId = Number(raw);
      const body: AlarmImagesView = { alarmId, images: source.imagesOfAlarm(alarmId).map((i) => ({ ...view(i), role: i.role, linkTransitionId: i.linkTransitionId })) };
      return c.json(body, 200);
    })
    .post('/cameras/:id/picture', (c) => {
      const cameraId = c.req.param('id');
      if (!source.cameraIds().includes(cameraId)) return c.json(errorBody('not_found', `no camera ${cameraId}`), 404);
      if (!source.takeNow(cameraId)) return c.json(errorBody('conflict', `camera ${cameraId} is busy with pictures of an alarm: try again later`), 409);
      log?.info({ event: 'camera.picture_requested', camera: cameraId, account: requestUser(c) ?? null }, `a picture of camera ${cameraId} was asked for`);
      const body: PictureQueuedView = { cameraId, queued: true };
      return c.json(body, 202);
    })
    .get('/cameras/images/:id', (c) => serve(c, 'file'))
    .get('/cameras/images/:id/thumb', (c) => serve(c, 'thumbFile'));
}

const pictureId = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } } as const;
const imageResponses = {
  '200': { description: 'the JPEG (image/jpeg)' },
  '400': errorResponse('id is not a whole number'),
  '404': errorResponse('no such picture, or its file is gone (removed by retention or the media quota)'),
};

export const camerasPaths: Readonly<Record<string, PathItemDoc>> = {
  '/sites/{id}/images': {
    get: {
      operationId: 'listSiteImages',
      summary: 'A site\'s camera pictures, newest first, with its cameras\' health',
      description: 'Scheduled pictures and those of alarms, each with its JPEG and thumbnail URL. Page back with `before` = the previous answer\'s `nextBefore`.',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200 } },
        { name: 'before', in: 'query', required: false, schema: { type: 'integer' } },
      ],
      responses: { '200': jsonResponse('the pictures', siteImagesSchema), '400': errorResponse('a bad limit or before') },
    },
  },
  '/alarms/{id}/images': {
    get: {
      operationId: 'listAlarmImages',
      summary: 'The camera pictures of an alarm: for each photographed transition the latest scheduled one before it, one at it and one after',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
      responses: { '200': jsonResponse('the pictures, oldest first (none for an unknown alarm)', alarmImagesSchema), '400': errorResponse('id is not a whole number') },
    },
  },
  '/cameras/{id}/picture': {
    post: {
      operationId: 'takeCameraPicture',
      summary: 'Take a picture now (operator): the duty officer wants to see the water before deciding',
      description: 'Queued behind the camera\'s picture in progress; kept and listed like a scheduled picture.',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '202': jsonResponse('queued', pictureQueuedSchema),
        '404': errorResponse('no such camera'),
        '409': errorResponse('conflict: its queue is full of pictures of an alarm'),
      },
    },
  },
  '/cameras/images/{id}': {
    get: { operationId: 'getCameraImage', summary: 'One camera picture (JPEG)', parameters: [pictureId], responses: imageResponses },
  },
  '/cameras/images/{id}/thumb': {
    get: { operationId: 'getCameraThumb', summary: 'One camera picture\'s thumbnail (JPEG, 320 px wide)', parameters: [pictureId], responses: imageResponses },
  },
};
