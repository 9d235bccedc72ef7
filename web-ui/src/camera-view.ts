import type { AlarmImages, AlarmTransition, CameraHealth, CameraImage } from './api.js';

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

/** A group of an alarm's pictures: the transition they are of (when the history is known), before → at → after. */
export interface PictureGroup {
  readonly transitionId: number;
  readonly transition: Pick<AlarmTransition, 'type' | 'ts'> | undefined;
  readonly images: AlarmImage[];
}

/**
 * An alarm's pictures by transition (in the order the transitions came), each group before → at → after, with the
 * transition itself from the alarm's history so the group can say which it is (发出, 升级 …): several transitions a
 * few minutes apart would otherwise show rows of look-alike pictures with nothing to tell them apart.
 */
export function picturesByTransition(images: readonly AlarmImage[], transitions: readonly Pick<AlarmTransition, 'id' | 'type' | 'ts'>[] = []): PictureGroup[] {
  const groups = new Map<number, AlarmImage[]>();
  for (const i of images) {
    const g = groups.get(i.linkTransitionId);
    if (g === undefined) groups.set(i.linkTransitionId, [i]);
    else g.push(i);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([transitionId, list]) => {
      const tr = transitions.find((x) => x.id === transitionId);
      return {
        transitionId,
        transition: tr === undefined ? undefined : { type: tr.type, ts: tr.ts },
        images: list.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.ts - b.ts),
      };
    });
}
