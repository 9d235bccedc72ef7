import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CameraError } from './errors.js';
import { fetchSnapshot } from './fetch-snapshot.js';
import { runFfmpeg } from './run-ffmpeg.js';
import { snapshotArgs } from './snapshot-args.js';

/** A camera as the driver sees it: an RTSP stream or an HTTP snapshot URL (ONVIF's snapshot URI is one). */
export type CameraSource = { readonly rtsp: string } | { readonly snapshotUrl: string };

export interface SnapshotRequest {
  readonly source: CameraSource;
  /** Absolute paths of the picture and its thumbnail (both JPEG); written only when the whole snapshot succeeded. */
  readonly output: string;
  readonly thumbnail: string;
  /** Hard limit for everything: connecting, reading, decoding, writing. */
  readonly timeoutMs: number;
  /** Default 320 px. */
  readonly thumbWidth?: number;
  /** Largest HTTP snapshot taken (default 10 MB). */
  readonly maxBytes?: number;
  /** Default `ffmpeg` on PATH. */
  readonly ffmpeg?: string;
  readonly signal?: AbortSignal;
}

export interface Snapshot {
  readonly bytes: number;
  readonly thumbBytes: number;
}

export const DEFAULT_THUMB_WIDTH = 320;
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Takes one picture from a camera: an RTSP stream's first decodable frame through ffmpeg (`-rtsp_transport tcp`), or
 * an HTTP snapshot fetched directly (size cap, magic bytes) whose thumbnail ffmpeg makes (a JPEG is kept as the camera
 * sent it; a PNG is turned into a JPEG). Files are written beside their final names and renamed at the end, so a
 * failed or killed run leaves no half picture. Rejects with a CameraError.
 */
export async function takeSnapshot(r: SnapshotRequest): Promise<Snapshot> {
  const started = Date.now();
  const left = (): number => Math.max(1, r.timeoutMs - (Date.now() - started));
  const ffmpeg = r.ffmpeg ?? 'ffmpeg';
  const thumbWidth = r.thumbWidth ?? DEFAULT_THUMB_WIDTH;
  const partOut = `${r.output}.part`;
  const partThumb = `${r.thumbnail}.part`;
  const partSource = `${r.output}.source`;
  await mkdir(dirname(r.output), { recursive: true });
  await mkdir(dirname(r.thumbnail), { recursive: true });
  try {
    if ('rtsp' in r.source) {
      const args = snapshotArgs({ input: { kind: 'rtsp', url: r.source.rtsp }, output: partOut, thumbnail: partThumb, thumbWidth, socketTimeoutS: r.timeoutMs / 1000 });
      await runFfmpeg({ ffmpeg, args, timeoutMs: left(), ...(r.signal === undefined ? {} : { signal: r.signal }) });
    } else {
      const image = await fetchSnapshot({ url: r.source.snapshotUrl, timeoutMs: left(), maxBytes: r.maxBytes ?? DEFAULT_MAX_BYTES, ...(r.signal === undefined ? {} : { signal: r.signal }) });
      const keepAsIs = image.kind === 'jpeg';
      await writeFile(keepAsIs ? partOut : partSource, image.bytes);
      // ffmpeg decodes it either way: a JPEG that only starts like one is refused here as not-image.
      const args = snapshotArgs({ input: { kind: 'file', path: keepAsIs ? partOut : partSource }, ...(keepAsIs ? {} : { output: partOut }), thumbnail: partThumb, thumbWidth, socketTimeoutS: r.timeoutMs / 1000 });
      await runFfmpeg({ ffmpeg, args, timeoutMs: left(), ...(r.signal === undefined ? {} : { signal: r.signal }) });
    }
    const [full, thumb] = await Promise.all([sizeOf(partOut), sizeOf(partThumb)]);
    if (full === 0 || thumb === 0) throw new CameraError('not-image', 'ffmpeg wrote no picture (no frame decoded)');
    await rename(partOut, r.output);
    await rename(partThumb, r.thumbnail);
    return { bytes: full, thumbBytes: thumb };
  } finally {
    await Promise.all([partOut, partThumb, partSource].map((p) => rm(p, { force: true })));
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
