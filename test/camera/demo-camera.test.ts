// The demo's camera (node-daemon/sim/demo-camera.ts): an HTTP snapshot URL on loopback drawing the replayed level with
// ffmpeg. The camera driver takes its pictures like any IP camera's; a higher level draws more water.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../drivers/camera/snapshot.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { startDemoCamera, type DemoCamera } from '../../node-daemon/sim/demo-camera.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { haveFfmpeg } from '../recording/satellite.js';
import { pictureSize } from './camera-peers.js';

describe.skipIf(!haveFfmpeg())('demo camera', () => {
  const tmp = tempDir('fenghuo-demo-camera-');
  let camera: DemoCamera | undefined;
  afterAll(async () => {
    await camera?.stop();
    tmp.cleanup();
  });

  it('serves a JPEG of the river at the replayed level, taken by the camera driver', async () => {
    let level: number | undefined = 2;
    camera = await startDemoCamera({ level: () => level, prepareM: 7, evacuateM: 10.1, log: silentLogger() });
    const low = await takeSnapshot({ source: { snapshotUrl: camera.url }, output: join(tmp.dir, 'low.jpg'), thumbnail: join(tmp.dir, 'low.t.jpg'), timeoutMs: 10_000 });
    level = 9;
    const high = await takeSnapshot({ source: { snapshotUrl: camera.url }, output: join(tmp.dir, 'high.jpg'), thumbnail: join(tmp.dir, 'high.t.jpg'), timeoutMs: 10_000 });
    level = undefined;
    await takeSnapshot({ source: { snapshotUrl: camera.url }, output: join(tmp.dir, 'silent.jpg'), thumbnail: join(tmp.dir, 'silent.t.jpg'), timeoutMs: 10_000 });
    expect(await pictureSize(join(tmp.dir, 'low.jpg'))).toEqual({ width: 640, height: 360, codec: 'mjpeg' });
    expect(await pictureSize(join(tmp.dir, 'high.t.jpg'))).toEqual({ width: 320, height: 180, codec: 'mjpeg' });
    expect(high.bytes).not.toBe(low.bytes);
  });
});
