// Camera pictures inside the one media quota (media/media-quota.ts): real SQLite, the real driver against an HTTP
// snapshot server on loopback, real files. With the quota a little under what the pictures take, the quota evicts
// the oldest scheduled pictures first (files and rows), keeps the pictures of an alarm, ends within the quota, and
// raises no disk alarm; the database (readings, alarms) is never touched.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaConfigSchema } from '../../broadcast/media-quota/media-config.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { CameraModule } from '../../node-daemon/camera/camera-module.js';
import { cameraSchema } from '../../node-daemon/camera/config-schema.js';
import type { AlarmEvent } from '../../node-daemon/core/events.js';
import { MediaQuota, DISK_ALARM_KEY } from '../../node-daemon/media/media-quota.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { haveFfmpeg } from '../recording/satellite.js';
import { captureLogger } from '../storage/storage-helpers.js';
import { makePicture, startSnapshotServer, type Peer } from './camera-peers.js';

describe.skipIf(!haveFfmpeg())('camera pictures in the media quota', () => {
  let tmp: { dir: string; cleanup(): void };
  let server: Peer;
  let db: Db;
  let cameras: CameraModule;
  const logs = captureLogger();

  beforeAll(async () => {
    tmp = tempDir('fenghuo-camera-quota-');
    const jpeg = await makePicture('jpeg', '1280x720');
    server = await startSnapshotServer(() => ({ body: jpeg }));
    db = openDatabase({ dataDir: tmp.dir, log: logs.log, clock: Date.now }).db;
  });
  afterAll(async () => {
    await cameras?.stop();
    await server?.stop();
    db?.close();
    tmp.cleanup();
  });

  it('evicts the oldest scheduled pictures first and keeps an alarm\'s, ending within the quota', async () => {
    const alarms = new EmittingAlarmService({ store: new AlarmStore(db), clock: Date.now });
    const camera = cameraSchema.parse({ id: 'bridge', site: 'qingshui', source: { snapshotUrl: server.url }, intervalMin: 0 });
    cameras = new CameraModule({ cameras: [camera], db, dataDir: tmp.dir, hub: { alarm$: new Subject<AlarmEvent>() }, alarms, log: logs.log, clock: Date.now });
    await cameras.start();
    for (let i = 0; i < 5; i++) {
      expect(cameras.takeNow('bridge')).toBe(true);
      await cameras.idle();
      await new Promise((r) => setTimeout(r, 5));
    }
    const all = cameras.store.all();
    expect(all).toHaveLength(5);
    // The second oldest is an alarm's "before".
    cameras.store.link(all[1]!.id, 42, 4200, 'before');
    const each = all[0]!.bytes + all[0]!.thumbBytes;
    const quota = new MediaQuota({
      dataDir: tmp.dir,
      recordingsDir: join(tmp.dir, 'recordings'),
      config: mediaConfigSchema.parse({ quotaBytes: Math.floor(3.5 * each), minFreeBytes: 0 }),
      recordings: { list: () => [], evict: async () => undefined, dropSegments: async () => 0 },
      library: { evictable: () => [], delete: () => undefined },
      images: cameras.imagesPort(),
      alarms,
      log: logs.log,
      clock: Date.now,
    });
    await quota.check();
    const left = cameras.store.all().map((i) => i.id);
    // 5 pictures, room for 3.5: the two oldest scheduled ones go, the alarm's stays although it is older.
    expect(left).toEqual([all[1]!.id, all[3]!.id, all[4]!.id]);
    expect(existsSync(join(tmp.dir, all[0]!.file))).toBe(false);
    expect(existsSync(join(tmp.dir, all[0]!.thumbFile))).toBe(false);
    const h = quota.status();
    expect(h.imagesBytes).toBeLessThanOrEqual(Math.floor(3.5 * each));
    expect(h.pressure).toBe(false);
    expect(h.evicted).toMatchObject({ count: 2, last: { kind: 'image' } });
    expect(alarms.active().some((a) => a.key === DISK_ALARM_KEY)).toBe(false);
    expect(logs.events('camera.picture_removed').map((l) => l.why)).toEqual(['quota', 'quota']);
  }, 30_000);

  it('drops at start the rows whose files are gone (a box restored from a backup), and keeps the others', async () => {
    await cameras.stop();
    const kept = cameras.store.all();
    expect(kept.length).toBeGreaterThanOrEqual(2);
    const [lost, ...rest] = kept;
    rmSync(join(tmp.dir, lost!.file));
    rmSync(join(tmp.dir, lost!.thumbFile));
    const alarms = new EmittingAlarmService({ store: new AlarmStore(db), clock: Date.now });
    const camera = cameraSchema.parse({ id: 'bridge', site: 'qingshui', source: { snapshotUrl: server.url }, intervalMin: 0 });
    cameras = new CameraModule({ cameras: [camera], db, dataDir: tmp.dir, hub: { alarm$: new Subject<AlarmEvent>() }, alarms, log: logs.log, clock: Date.now });
    await cameras.start();
    expect(cameras.store.all().map((i) => i.id)).toEqual(rest.map((i) => i.id));
    expect(logs.events('camera.pictures_missing')).toMatchObject([{ count: 1 }]);
  }, 30_000);
});
