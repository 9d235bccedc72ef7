// The embedded demo (`npm start`, node-daemon/demo.ts) with its simulated camera: the demo's config has a camera on
// the Mason site, and the daemon built from it (in-process) takes its scheduled picture at start, listed for the site.
import { afterAll, describe, expect, it } from 'vitest';
import { CameraModule } from '../../node-daemon/camera/camera-module.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { DEMO_SITE_ID, startDemo, type Demo } from '../../node-daemon/demo.js';
import { tempDir, waitUntil } from '../daemon/daemon-harness.js';
import { haveFfmpeg } from '../recording/satellite.js';

describe.skipIf(!haveFfmpeg())('demo site camera', () => {
  const tmp = tempDir('fenghuo-demo-site-camera-');
  let demo: Demo | undefined;
  let daemon: Daemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
    await demo?.stop();
    tmp.cleanup();
  });

  it('has a camera on the demo site whose pictures appear for the site', async () => {
    const log = silentLogger();
    demo = await startDemo(log, tmp.dir, 1000);
    expect(demo.config.cameras).toMatchObject([{ id: 'mason-bridge', site: DEMO_SITE_ID, intervalMin: 1 }]);
    daemon = buildDaemon({ config: demo.config, dataDir: tmp.dir, listen: '127.0.0.1:0', log, clock: Date.now });
    await daemon.start();
    const cameras = daemon.modules.find((m): m is CameraModule => m instanceof CameraModule)!;
    const images = await waitUntil(() => {
      const list = cameras.imagesOfSite(DEMO_SITE_ID, 5);
      return list.length > 0 ? list : undefined;
    }, 20_000, 'the first demo picture');
    expect(images[0]).toMatchObject({ cameraId: 'mason-bridge', cause: 'schedule' });
    expect(cameras.health()[0]).toMatchObject({ state: 'ok' });
  }, 60_000);
});
