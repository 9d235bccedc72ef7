import { z } from 'zod';

/**
 * The camera pictures' wire (docs/sync.md "Camera pictures to the hub"), shared by the box
 * (node-daemon/sync/image-upload/) and the hub (hub/images/). Two signed box requests under /api/v1/sync/, each
 * answered signed by the county key:
 *
 * - `POST /api/v1/sync/images`: a batch of pictures' metadata, each with its thumbnail (base64 JPEG). The hub keeps
 *   each (the same picture again changes nothing but its alarm links, which only grow) and answers, per picture, how
 *   many bytes of the full image it holds (the resume point). The body may be compressed as ingest's is
 *   (`Content-Encoding: br` or `gzip`): base64 compresses back to about the JPEG's own size.
 * - `PUT /api/v1/sync/images/{dbId}/{id}/full?offset=N`: the next bytes of one picture's full image
 *   (octet-stream), appended only when `offset` is what the hub holds; when the last byte arrives the hub checks the
 *   announced sha256 before keeping it.
 *
 * A picture is named by the box's database id (`dbId`, as in ingest) and its row id in that database
 * (`camera_images.id`); its alarms are that database's alarm and transition ids, as the alarm records carry them.
 *
 * Pure.
 */

export const IMAGES_SYNC_PATH = '/api/v1/sync/images';
export const imageFullPath = (dbId: string, id: number): string => `${IMAGES_SYNC_PATH}/${encodeURIComponent(dbId)}/${id}/full`;

/** The largest announcement body (before decompression: the hub's read limit; after: the same). */
export const IMAGE_BATCH_LIMIT = 512 * 1024;
/** The most pictures one announcement carries. */
export const IMAGE_BATCH_MAX = 64;
/** The largest thumbnail the hub takes (decoded bytes). */
export const IMAGE_THUMB_LIMIT = 64 * 1024;
/** The largest full image the hub takes. */
export const IMAGE_FULL_LIMIT = 16 * 1024 * 1024;
/** The largest chunk one full-image request may carry; the box sends far less on a slow link. */
export const IMAGE_CHUNK_LIMIT = 1024 * 1024;

/** Refusal codes of the image routes (in `error.code`), besides the signature refusals. */
export const IMAGE_CODES = {
  /** The hub holds another count of this full image: `received` says which; the box goes on from there. */
  offsetMismatch: 'offset_mismatch',
  /** The full image's bytes do not have the announced sha256: the hub dropped them (`received` 0); the box sends it again. */
  sha256Mismatch: 'sha256_mismatch',
  /** The hub has no announcement of this picture (never made, or pruned): the box announces it again. */
  noImage: 'no_image',
} as const;

export const imageAlarmLinkSchema = z.strictObject({
  alarmId: z.int().min(1),
  transitionId: z.int().min(1),
  /** What the picture is to that transition: the latest scheduled one before it, taken at it, or taken a delay after. */
  role: z.enum(['before', 'at', 'after']),
});
export type ImageAlarmLink = z.infer<typeof imageAlarmLinkSchema>;

const idText = z.string().min(1).max(64);

export const announcedImageSchema = z.strictObject({
  /** camera_images.id in the box's database `dbId`. */
  id: z.int().min(1),
  cameraId: idText,
  siteId: idText,
  /** When it was taken (UTC ms, box clock). */
  ts: z.int().min(0),
  cause: z.enum(['schedule', 'alarm']),
  alarms: z.array(imageAlarmLinkSchema).max(64),
  /** The thumbnail JPEG, base64. */
  thumb: z.base64().max(Math.ceil(IMAGE_THUMB_LIMIT / 3) * 4),
  /** The full image: its size and sha256 (hex); its bytes go by the full-image request. */
  full: z.strictObject({ size: z.int().min(1).max(IMAGE_FULL_LIMIT), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
});
export type AnnouncedImage = z.infer<typeof announcedImageSchema>;

/** The announcement's body. */
export const imageBatchSchema = z.strictObject({
  dbId: idText,
  images: z.array(announcedImageSchema).min(1).max(IMAGE_BATCH_MAX),
});
export type ImageBatch = z.infer<typeof imageBatchSchema>;

/** The answer to the announcement: every picture of the batch, in its order. */
export const imageBatchAnswerSchema = z.object({
  images: z.array(
    z.object({
      id: z.int(),
      /** Bytes of the full image the hub holds (its size once verified). */
      fullReceived: z.int().min(0),
      fullComplete: z.boolean(),
    }),
  ),
  hubTime: z.int(),
});
export type ImageBatchAnswer = z.infer<typeof imageBatchAnswerSchema>;

/** The answer to a full-image request (200), and the body of its 409 / 422 refusals (with `error`). */
export const imageChunkAnswerSchema = z.object({
  received: z.int().min(0),
  complete: z.boolean().optional(),
  hubTime: z.int().optional(),
  error: z.object({ code: z.string(), message: z.string().optional() }).optional(),
});
export type ImageChunkAnswer = z.infer<typeof imageChunkAnswerSchema>;
