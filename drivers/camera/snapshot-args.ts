import { isAbsolute } from 'node:path';
import { CameraError } from './errors.js';

/**
 * Pure: the ffmpeg command lines of a camera snapshot, argv arrays only (never a shell string). One run writes both
 * files: the picture as JPEG and a thumbnail `thumbWidth` pixels wide (height to keep the aspect, even).
 */

/** Where the picture comes from. */
export type SnapshotInput =
  /** An RTSP stream: the first frame that decodes (a camera's stream starts at a keyframe, or ffmpeg waits for one). */
  | { readonly kind: 'rtsp'; readonly url: string }
  /** A picture already on disk (an HTTP snapshot fetched by the driver). */
  | { readonly kind: 'file'; readonly path: string };

export interface SnapshotArgsOptions {
  readonly input: SnapshotInput;
  /** Absolute path of the JPEG to write (overwritten); absent: only the thumbnail is written. */
  readonly output?: string;
  /** Absolute path of the thumbnail JPEG to write (overwritten). */
  readonly thumbnail: string;
  readonly thumbWidth: number;
  /** ffmpeg's own socket timeout for RTSP (a backstop: the driver kills it at its hard timeout first). */
  readonly socketTimeoutS: number;
}

/** JPEG quality of ffmpeg's mjpeg encoder, 2 (best) to 31: 3 for the picture, 6 for the small thumbnail. */
const FULL_QUALITY = '3';
const THUMB_QUALITY = '6';

function checkPath(what: string, p: string): void {
  if (!isAbsolute(p)) throw new CameraError('invalid-input', `snapshot ${what} must be an absolute path: '${p}'`);
  if (/[\0\r\n]/.test(p)) throw new CameraError('invalid-input', `snapshot ${what} path has a control character`);
}

/** Input options ending with `-i`. RTSP over TCP interleaved (no lost UDP packets through NAT), a file by `file:` only. */
export function snapshotInputArgs(input: SnapshotInput, socketTimeoutS: number): string[] {
  if (input.kind === 'rtsp') {
    if (!/^rtsps?:\/\/\S+$/.test(input.url)) throw new CameraError('invalid-input', `not an rtsp:// URL: '${input.url}'`);
    return ['-rtsp_transport', 'tcp', '-timeout', String(Math.round(socketTimeoutS * 1_000_000)), '-i', input.url];
  }
  checkPath('input', input.path);
  // Only the file protocol: a file posing as a picture cannot make ffmpeg fetch anything.
  return ['-protocol_whitelist', 'file', '-i', `file:${input.path}`];
}

/** One JPEG output of one frame of the first video stream. */
function jpegOutput(path: string, quality: string, filter?: string): string[] {
  return ['-map', '0:v:0', ...(filter === undefined ? [] : ['-vf', filter]), '-frames:v', '1', '-q:v', quality, '-f', 'image2', '-update', '1', '-y', `file:${path}`];
}

export function snapshotArgs(o: SnapshotArgsOptions): string[] {
  if (!Number.isInteger(o.thumbWidth) || o.thumbWidth < 16 || o.thumbWidth > 4096) throw new CameraError('invalid-input', `thumbnail width ${o.thumbWidth} outside 16..4096`);
  if (o.output !== undefined) checkPath('output', o.output);
  checkPath('thumbnail', o.thumbnail);
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-threads', '1',
    ...snapshotInputArgs(o.input, o.socketTimeoutS),
    '-an', '-sn', '-dn',
    ...(o.output === undefined ? [] : jpegOutput(o.output, FULL_QUALITY)),
    // Never wider than the picture itself; height even, as the encoder wants.
    ...jpegOutput(o.thumbnail, THUMB_QUALITY, `scale='min(${o.thumbWidth},iw)':-2`),
  ];
}
