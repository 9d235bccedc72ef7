import { IMAGE_BATCH_LIMIT, IMAGE_CHUNK_LIMIT, IMAGES_SYNC_PATH } from '../../node-daemon/sync/protocol/image-wire.js';

/**
 * The transport's body limit for the picture routes (hub/http/server.ts's backstop): twice the app's own, so that the
 * app refuses what is over it itself, signed. Undefined: not a picture route. Pure.
 */
export function imagesTransportLimit(method: string, path: string): number | undefined {
  const m = method.toUpperCase();
  if (m === 'POST' && path === IMAGES_SYNC_PATH) return 2 * IMAGE_BATCH_LIMIT;
  if (m === 'PUT' && path.startsWith(`${IMAGES_SYNC_PATH}/`) && path.endsWith('/full')) return 2 * IMAGE_CHUNK_LIMIT;
  return undefined;
}
