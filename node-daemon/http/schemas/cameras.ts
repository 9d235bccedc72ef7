import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** The camera pictures' API shapes (node-daemon/camera, routes/cameras.ts) and `cameras` of `GET /health`. Free of Node. */

import { CAMERA_ERROR_CODES } from '../../../drivers/camera/errors.js';

export const cameraHealthSchema = z
  .strictObject({
    id: z.string(),
    name: z.string().optional(),
    site: z.string().describe('the alarm site it photographs'),
    source: z.enum(['rtsp', 'snapshotUrl']),
    state: z.enum(['unknown', 'ok', 'failed']).describe('unknown before its first picture; failed while its latest picture failed'),
    lastOkAt: z.int().optional().describe('UTC ms of the latest picture taken'),
    lastError: z
      .strictObject({ ts: z.int(), code: z.enum(CAMERA_ERROR_CODES), message: z.string() })
      .optional()
      .describe('the latest failure: timeout (hung camera, ffmpeg killed), refused, not-image (garbage), http-status, too-large, ffmpeg-failed (its stderr tail), tool-missing'),
    consecutiveFailures: z.int(),
    faultOpen: z.boolean().describe('the fault alarm fault:camera:<id> is open (cameras[].faultAfterFailures failures in a row)'),
    busy: z.boolean().describe('a picture is being taken now'),
    queued: z.int().describe('pictures waiting (one ffmpeg at a time per camera)'),
    nextScheduledAt: z.int().optional(),
  })
  .register(apiSchemas, { id: 'CameraHealth' });

export const cameraImageSchema = z
  .strictObject({
    id: z.int(),
    cameraId: z.string(),
    cameraName: z.string().optional(),
    siteId: z.string(),
    ts: z.int().describe('when it was taken, UTC ms'),
    cause: z.enum(['schedule', 'alarm']),
    alarmId: z.int().nullable().describe('the alarm it was taken for (cause alarm)'),
    transitionId: z.int().nullable(),
    bytes: z.int(),
    url: z.string().describe('the JPEG'),
    thumbUrl: z.string().describe('the thumbnail JPEG (320 px wide)'),
  })
  .register(apiSchemas, { id: 'CameraImage' });

export const siteImagesSchema = z
  .strictObject({
    siteId: z.string(),
    cameras: z.array(cameraHealthSchema).describe('the cameras of the site'),
    images: z.array(cameraImageSchema).describe('newest first'),
    nextBefore: z.int().optional().describe('when more are older: `before` for the next page'),
  })
  .register(apiSchemas, { id: 'SiteImages' });

export const alarmImagesSchema = z
  .strictObject({
    alarmId: z.int(),
    images: z
      .array(cameraImageSchema.extend({ role: z.enum(['before', 'at', 'after']).describe('before: the latest scheduled picture before the transition; at: taken at once; after: taken a delay later'), linkTransitionId: z.int() }))
      .describe('oldest first'),
  })
  .register(apiSchemas, { id: 'AlarmImages' });

export const pictureQueuedSchema = z
  .strictObject({
    cameraId: z.string(),
    queued: z.literal(true).describe('the picture is queued; it appears in GET /sites/{id}/images once taken (within the camera\'s timeoutS)'),
  })
  .register(apiSchemas, { id: 'PictureQueued' });

export type PictureQueuedView = z.output<typeof pictureQueuedSchema>;
export type CameraHealth = z.output<typeof cameraHealthSchema>;
export type CameraImageView = z.output<typeof cameraImageSchema>;
export type SiteImagesView = z.output<typeof siteImagesSchema>;
export type AlarmImagesView = z.output<typeof alarmImagesSchema>;

const whole = (min: number, max: number, name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max}`);

export const SITE_IMAGES_DEFAULT_LIMIT = 12;

export const siteImagesQuerySchema = z.strictObject({
  limit: whole(1, 200, 'limit').optional().describe(`pictures per page (default ${SITE_IMAGES_DEFAULT_LIMIT})`),
  before: whole(0, Number.MAX_SAFE_INTEGER, 'before').optional().describe('only pictures taken before this UTC ms (the previous page\'s nextBefore)'),
});
