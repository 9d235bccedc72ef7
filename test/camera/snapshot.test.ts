// The camera driver (drivers/camera) against real peers on loopback and real ffmpeg: an RTSP camera (GStreamer's RTSP
// server fed by the simulated receiver), an HTTP snapshot server (node http) serving a JPEG or a PNG, and cameras that
// misbehave: one that accepts and never sends (RTSP and HTTP), one that sends garbage, nothing listening, an HTTP
// error, a picture over the size cap. Each failure is the typed error it should be, within the hard timeout, and
// leaves no file behind.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraError } from '../../drivers/camera/errors.js';
import { takeSnapshot, type CameraSource } from '../../drivers/camera/snapshot.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { freeTcpPort } from '../helpers/pymodbus.js';
import { freeUdpPort, haveFfmpeg, haveRtspServer, startRtspServer, startSatellite, type SatelliteSource } from '../recording/satellite.js';
import { makePicture, pictureSize, startSnapshotServer, startTcpCamera } from './camera-peers.js';

const ffmpegThere = haveFfmpeg();
const rtspThere = ffmpegThere && haveRtspServer();
if (!ffmpegThere) console.warn('test/camera/snapshot.test.ts: skipped, ffmpeg not installed (apt-get install ffmpeg)');

describe.skipIf(!ffmpegThere)('camera snapshot driver', () => {
  let tmp: { dir: string; cleanup(): void };
  let jpeg: Buffer;
  let png: Buffer;
  const peers: { stop(): Promise<void> }[] = [];
  let n = 0;

  beforeAll(async () => {
    tmp = tempDir('fenghuo-camera-');
    jpeg = await makePicture('jpeg');
    png = await makePicture('png');
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.stop();
  });
  afterAll(() => tmp.cleanup());

  const track = <T extends { stop(): Promise<void> }>(p: T): T => (peers.push(p), p);
  const files = () => {
    n += 1;
    return { output: join(tmp.dir, `shot-${n}.jpg`), thumbnail: join(tmp.dir, `shot-${n}.thumb.jpg`) };
  };
  async function failure(source: CameraSource, timeoutMs: number): Promise<{ err: CameraError; ms: number; out: { output: string; thumbnail: string } }> {
    const out = files();
    const started = Date.now();
    try {
      await takeSnapshot({ source, ...out, timeoutMs });
    } catch (err) {
      expect(err).toBeInstanceOf(CameraError);
      return { err: err as CameraError, ms: Date.now() - started, out };
    }
    throw new Error('the snapshot should have failed');
  }
  const leftovers = (): string[] => readdirSync(tmp.dir).filter((f) => f.endsWith('.part') || f.endsWith('.source'));

  it.skipIf(!rtspThere)('takes the first frame of an RTSP stream as a JPEG and a 320 px thumbnail', async () => {
    const feedPort = await freeUdpPort();
    const server = track(await startRtspServer(await freeTcpPort(), feedPort, { tcpOnly: true }));
    const feed: SatelliteSource = track(startSatellite(feedPort, { size: '640x360' }));
    expect(feed.pid).toBeGreaterThan(0);
    const out = files();
    const shot = await takeSnapshot({ source: { rtsp: server.url }, ...out, timeoutMs: 20_000 });
    expect(shot.bytes).toBeGreaterThan(1000);
    expect(await pictureSize(out.output)).toEqual({ width: 640, height: 360, codec: 'mjpeg' });
    expect(await pictureSize(out.thumbnail)).toEqual({ width: 320, height: 180, codec: 'mjpeg' });
    // TCP interleaved, as asked (no lost UDP packets through NAT)
    expect(server.setups.every((s) => s.includes('TCP'))).toBe(true);
  }, 40_000);

  it('keeps an HTTP snapshot JPEG as the camera sent it and makes its thumbnail', async () => {
    const server = track(await startSnapshotServer(() => ({ body: jpeg })));
    const out = files();
    const shot = await takeSnapshot({ source: { snapshotUrl: server.url }, ...out, timeoutMs: 10_000 });
    expect(readFileSync(out.output).equals(jpeg)).toBe(true);
    expect(shot.bytes).toBe(jpeg.length);
    expect(await pictureSize(out.thumbnail)).toEqual({ width: 320, height: 180, codec: 'mjpeg' });
  });

  it('turns a PNG snapshot into a JPEG', async () => {
    const server = track(await startSnapshotServer(() => ({ body: png, type: 'image/png' })));
    const out = files();
    await takeSnapshot({ source: { snapshotUrl: server.url }, ...out, timeoutMs: 10_000 });
    expect((await pictureSize(out.output)).codec).toBe('mjpeg');
    expect(readFileSync(out.output).subarray(0, 3).toString('hex')).toBe('ffd8ff');
  });

  it('times out an HTTP camera that accepts and never answers, at the hard limit', async () => {
    const server = track(await startSnapshotServer(() => 'hang'));
    const { err, ms, out } = await failure({ snapshotUrl: server.url }, 1_500);
    expect(err.code).toBe('timeout');
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(3_000);
    expect(existsSync(out.output)).toBe(false);
    expect(server.connections()).toBe(1);
  });

  it('times out an RTSP camera that accepts and never sends: ffmpeg is killed at the hard limit', async () => {
    const camera = track(await startTcpCamera('silent'));
    const { err, ms, out } = await failure({ rtsp: camera.url }, 2_000);
    expect(err.code).toBe('timeout');
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(4_500);
    expect(camera.connections()).toBe(1);
    expect(existsSync(out.output)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('refuses an RTSP camera that sends garbage, with ffmpeg\'s stderr', async () => {
    const camera = track(await startTcpCamera('garbage'));
    const { err, ms } = await failure({ rtsp: camera.url }, 5_000);
    expect(err.code).toBe('not-image');
    expect(err.stderrTail).toMatch(/Invalid data found/);
    expect(ms).toBeLessThan(5_000);
  });

  it('refuses an HTTP answer that is not a picture, and garbage behind JPEG magic bytes', async () => {
    const html = track(await startSnapshotServer(() => ({ body: Buffer.from('<html>login</html>'), type: 'text/html' })));
    expect((await failure({ snapshotUrl: html.url }, 5_000)).err.code).toBe('not-image');
    const fake = track(await startSnapshotServer(() => ({ body: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x42)]) })));
    const { err } = await failure({ snapshotUrl: fake.url }, 5_000);
    expect(err.code).toBe('not-image');
    expect(leftovers()).toEqual([]);
  });

  it('reports nothing listening as refused, an HTTP error and an oversized picture as such', async () => {
    const port = await freeTcpPort();
    expect((await failure({ snapshotUrl: `http://127.0.0.1:${port}/s.jpg` }, 5_000)).err.code).toBe('refused');
    expect((await failure({ rtsp: `rtsp://127.0.0.1:${port}/live` }, 5_000)).err.code).toBe('refused');
    const missing = track(await startSnapshotServer(() => ({ status: 404, body: Buffer.from('no') })));
    expect((await failure({ snapshotUrl: missing.url }, 5_000)).err.code).toBe('http-status');
    const big = track(await startSnapshotServer(() => ({ body: jpeg })));
    const out = files();
    await expect(takeSnapshot({ source: { snapshotUrl: big.url }, ...out, timeoutMs: 5_000, maxBytes: 1000 })).rejects.toMatchObject({ code: 'too-large' });
  });
});

