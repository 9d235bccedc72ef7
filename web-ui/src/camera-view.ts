import type { AlarmImages, CameraHealth, CameraImage } from './api.js';

/**
 * The camera pictures' pure parts for the site page and an alarm's history: the latest picture and the strip of
 * thumbnails beside it, each camera's state line, and an alarm's pictures grouped by transition in before / at /
 * after order.
 */

/** The latest picture (the big one) and the rest as the strip, newest first; `max` thumbnails at most. */
export function latestAndStrip(images: readonly CameraImage[], max = 8): { latest: CameraImage | undefined; strip: CameraImage[] } {
  const sorted = [...images].sort((a, b) => b.ts - a.ts || b.id - a.id);
  return { latest: sorted[0], strip: sorted.slice(1, 1 + max) };
}

/** What one camera's line says: ok with the last picture's time, failed with why, or not tried yet. */
export type CameraLine =
  | { readonly kind: 'ok'; readonly name: string; readonly lastOkAt: number | undefined }
  | { readonly kind: 'failed'; readonly name: string; readonly code: string; readonly lastOkAt: number | undefined; readonly failures: number }
  | { readonly kind: 'unknown'; readonly name: string };

export function cameraLine(c: CameraHealth): CameraLine {
  const name = c.name !== undefined && c.name !== '' ? c.name : c.id;
  if (c.state === 'failed') return { kind: 'failed', name, code: c.lastError !== undefined ? c.lastError.code : 'ffmpeg-failed', lastOkAt: c.lastOkAt, failures: c.consecutiveFailures };
  if (c.state === 'ok') return { kind: 'ok', name, lastOkAt: c.lastOkAt };
  return { kind: 'unknown', name };
}

type AlarmImage = AlarmImages['images'][number];
const ROLE_ORDER: Record<AlarmImage['role'], number> = { before: 0, at: 1, after: 2 };

/** An alarm's pictures by transition (in the order the transitions came), each group before → at → after. */
export function picturesByTransition(images: readonly AlarmImage[]): { transitionId: number; images: AlarmImage[] }[] {
  const groups = new Map<number, AlarmImage[]>();
  for (const i of images) {
    const g = groups.get(i.linkTransitionId);
    if (g === undefined) groups.set(i.linkTransitionId, [i]);
    else g.push(i);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([transitionId, list]) => ({ transitionId, images: list.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.ts - b.ts) }));
}
