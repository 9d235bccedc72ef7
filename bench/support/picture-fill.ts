// A box data dir holding camera pictures the county hub has not had yet, made as a box makes them: `count` JPEGs
// from ffmpeg's testsrc2 with moving noise (so they compress like camera pictures, not like flat test cards), each
// served by an HTTP snapshot server on loopback and taken through the camera driver's own takeSnapshot (the JPEG kept
// as the camera sent it, the thumbnail made by its ffmpeg arguments), filed under the worker's names (pictureFiles)
// with a row each through the box's own ImageStore, on the box's own database. Taken `spacingMs` apart, the newest a
// minute before `endsAt`: an outage's backlog of scheduled pictures.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeSnapshot } from '../../drivers/camera/snapshot.js';
import { ImageStore } from '../../node-daemon/camera/image-store.js';
import { pictureFiles } from '../../node-daemon/camera/snapshot-plan.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { openDatabase } from '../../node-daemon/storage/database.js';

export interface FilledPicture {
  readonly id: number;
  readonly file: string;
  readonly thumbFile: string;
  readonly bytes: number;
  readonly thumbBytes: number;
}

export interface PictureBacklog {
  readonly dataDir: string;
  readonly pictures: readonly FilledPicture[];
  /** Full images' and thumbnails' bytes in all. */
  readonly fullBytes: number;
  readonly thumbBytes: number;
  cleanup(): void;
}

export interface PictureFillOptions {
  readonly count: number;
  /** Default 640x360. */
  readonly size?: string;
  /** ffmpeg's mjpeg quality of the camera's JPEG, 2 (best) to 31; default 5, a camera's usual snapshot. */
  readonly quality?: number;
  readonly cameraId?: string;
  readonly siteId?: string;
  readonly endsAt: number;
  /** Default 15 minutes. */
  readonly spacingMs?: number;
}

function ffmpeg(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', [...args], { timeout: 120_000 }, (err, _out, stderr) => (err ? reject(new Error(`ffmpeg: ${err.message} ${stderr}`)) : resolve()));
  });
}

/** Whether ffmpeg can be run here. */
export function ffmpegAvailable(): Promise<boolean> {
  return ffmpeg(['-hide_banner', '-version']).then(
    () => true,
    () => false,
  );
}

/** `count` distinct camera-like JPEGs, in one ffmpeg run (one thread: the machine is shared). */
async function cameraJpegs(count: number, size: string, quality: number): Promise<Buffer[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-jpegs-'));
  try {
    await ffmpeg([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=1`,
      '-vf', 'noise=alls=14:allf=t',
      '-frames:v', String(count), '-c:v', 'mjpeg', '-q:v', String(quality), '-f', 'image2', join(dir, '%04d.jpg'),
    ]);
    return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTP snapshot URL on loopback answering with whichever picture `current()` gives. */
async function snapshotServer(current: () => Buffer): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    const body = current();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.byteLength });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/snapshot.jpg`, server };
}

export async function writePictureBacklog(opts: PictureFillOptions): Promise<PictureBacklog> {
  const cameraId = opts.cameraId ?? 'bridge';
  const siteId = opts.siteId ?? 'llano';
  const spacingMs = opts.spacingMs ?? 15 * 60_000;
  const jpegs = await cameraJpegs(opts.count, opts.size ?? '640x360', opts.quality ?? 5);
  if (jpegs.length !== opts.count) throw new Error(`ffmpeg made ${jpegs.length} pictures, not ${opts.count}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-pictures-'));
  let serving = jpegs[0] as Buffer;
  const camera = await snapshotServer(() => serving);
  const { db } = openDatabase({ dataDir, log: silentLogger() });
  try {
    const store = new ImageStore(db);
    const pictures: FilledPicture[] = [];
    for (const [i, jpeg] of jpegs.entries()) {
      serving = jpeg;
      const ts = opts.endsAt - 60_000 - (jpegs.length - 1 - i) * spacingMs;
      const files = pictureFiles(cameraId, ts, i + 1);
      const shot = await takeSnapshot({ source: { snapshotUrl: camera.url }, output: join(dataDir, files.file), thumbnail: join(dataDir, files.thumbFile), timeoutMs: 15_000 });
      const row = store.add({ cameraId, siteId, ts, cause: 'schedule', alarmId: null, transitionId: null, file: files.file, thumbFile: files.thumbFile, bytes: shot.bytes, thumbBytes: shot.thumbBytes });
      pictures.push({ id: row.id, file: files.file, thumbFile: files.thumbFile, bytes: shot.bytes, thumbBytes: shot.thumbBytes });
    }
    return {
      dataDir,
      pictures,
      fullBytes: pictures.reduce((n, p) => n + p.bytes, 0),
      thumbBytes: pictures.reduce((n, p) => n + p.thumbBytes, 0),
      cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  } finally {
    db.close();
    await new Promise<void>((resolve) => camera.server.close(() => resolve()));
  }
}
