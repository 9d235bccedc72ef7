// The whole box path of the camera pictures to the county hub (docs/sync.md "Camera pictures to the hub"): the real
// daemon in-process (compose.ts), enrolled with a real hub on loopback (hub/http with its picture routes, SQLite,
// <dataDir>/images), a Modbus TCP level gauge served by the site simulator and a camera whose source is a real HTTP
// snapshot server. camera module → picture row → compose's onPicture wake → SyncModule's uploader → hub. Shows: the
// scheduled picture taken at start arrives with its thumbnail and full image byte for byte (no sync budget); the
// flood alarm's before / at / after pictures arrive with their alarm links (the `before` being the scheduled one,
// announced again with its link) and the hub's ?alarm= filter finds them; the box's health then owes nothing.
// The daemon's uploader keeps its 60 s idle poll (setUpSync takes no tuning): every wait here is far shorter, so
// only the wake at each picture kept gets the pictures there in time.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, AlarmTransition } from '../../node-daemon/alarms/types.js';
import { CameraModule } from '../../node-daemon/camera/camera-module.js';
import type { CameraImage } from '../../node-daemon/camera/image-store.js';
import type { Daemon } from '../../node-daemon/compose.js';
import { healthSchema } from '../../node-daemon/http/schemas.js';
import type { ImagesHealth } from '../../node-daemon/sync/image-upload/plan.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { SiteSimulator } from '../../node-daemon/sim/site-simulator.js';
import { formatEnrolCode, generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { enrolBox } from '../../node-daemon/sync/enrol/enrol.js';
import { makePicture, startSnapshotServer, type Peer } from '../camera/camera-peers.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { startHub, type TestHub } from '../hub/http/hub-fixture.js';
import { haveFfmpeg } from '../recording/satellite.js';
import { captureLogger, tempDir } from '../storage/storage-helpers.js';
import { startDaemonIn } from './in-process-daemon.js';

const BOX = 'qingshui-pictures';
const SITE = 'qingshui';
const VIEWER = 'viewer-token-pictures-daemon';
const ffmpegThere = haveFfmpeg();
if (!ffmpegThere) console.warn('test/sync/pictures-daemon.test.ts: skipped, ffmpeg not installed (apt-get install ffmpeg)');

/** A picture as the hub lists it (GET /api/v1/boxes/{id}/images). */
interface HeldImage {
  dbId: string;
  id: number;
  cameraId: string;
  siteId: string;
  ts: number;
  cause: string;
  alarms: { alarmId: number; transitionId: number; role: string }[];
  thumbBytes: number;
  full: { size: number; received: number; complete: boolean };
}

describe.skipIf(!ffmpegThere)('camera pictures from the daemon to the county hub', () => {
  let level = 3.0;
  let sim: SiteSimulator;
  let camera: Peer;
  let hub: TestHub;
  let hubUrl = '';
  let daemon: Daemon;
  let logs: ReturnType<typeof captureLogger>;
  let dataDir = '';
  let started = 0;
  const cleanups: (() => Promise<void> | void)[] = [];
  const raised: { alarm: Alarm; transition: AlarmTransition; at: number }[] = [];

  beforeAll(async () => {
    const data = tempDir('fenghuo-pictures-daemon-');
    cleanups.push(() => data.cleanup());
    dataDir = data.dir;
    const jpeg = await makePicture('jpeg');
    camera = await startSnapshotServer(() => ({ body: jpeg }));
    cleanups.push(() => camera.stop());
    hub = await startHub({ readTokenSha256: createHash('sha256').update(VIEWER).digest('hex') });
    cleanups.push(() => hub.close());
    hubUrl = hub.url.replace(/\/$/, '');
    // Enrolled through the real enrolment code, with a one-time code made at the hub (as push-rig.ts enrolWith does).
    const code = generateEnrolCode(BOX);
    await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
    await enrolBox({ hubUrl, code: formatEnrolCode(code), dataDir });
    const simLogs = captureLogger();
    sim = new SiteSimulator({ devices: [{ unit: 1, profile: loadCatalogue().get('submersible-level')!, level: () => level }], tcp: { host: '127.0.0.1', port: 0 }, log: simLogs.log });
    await sim.start();
    cleanups.push(() => sim.stop());
    started = Date.now();
    // No sync budget: full images go as soon as no announcement is owed.
    const config = {
      storage: { flushIntervalMs: 50 },
      buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port: sim.port, timeoutMs: 300, retries: 0 }],
      sensors: [{ id: 'river', bus: 'site', slave: 1, profile: 'submersible-level', pollIntervalMs: 100, critical: true }],
      alarms: { sites: [{ id: SITE, name: '清水河站', sensors: ['river'], prepare: { levelM: 5, hysteresisM: 0.1 }, evacuate: { levelM: 8 } }] },
      cameras: [{ id: 'bridge', name: '清水河桥头', site: SITE, source: { snapshotUrl: camera.url }, intervalMin: 30, timeoutS: 5, afterDelayS: 2 }],
    };
    const box = await startDaemonIn(dataDir, config, { push: (c) => cleanups.push(c) });
    daemon = box.daemon;
    logs = box.logs;
    daemon.hub.alarm$.subscribe((e) => raised.push({ ...e, at: Date.now() }));
  }, 30_000);

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const pictures = (): CameraImage[] => daemon.modules.find((m): m is CameraModule => m instanceof CameraModule)!.store.all();
  const boxFile = (file: string): Buffer => readFileSync(join(dataDir, file));

  const viewer = { authorization: `Bearer ${VIEWER}` };
  async function held(query = ''): Promise<HeldImage[]> {
    const res = await fetch(`${hubUrl}/api/v1/boxes/${BOX}/images${query}`, { headers: viewer });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { box: string; images: HeldImage[] };
    expect(body.box).toBe(BOX);
    return body.images;
  }
  async function atHub(p: HeldImage, which: 'thumb' | 'full'): Promise<Buffer> {
    const res = await fetch(`${hubUrl}/api/v1/boxes/${BOX}/images/${p.dbId}/${p.id}/${which}`, { headers: viewer });
    expect(res.status, `${which} of picture ${p.id}`).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    return Buffer.from(await res.arrayBuffer());
  }
  /** The hub's copy of the box's picture: its thumbnail and full image byte for byte. */
  async function expectSameAtHub(p: HeldImage): Promise<void> {
    const row = pictures().find((i) => i.id === p.id);
    expect(row, `picture ${p.id} on the box`).toBeDefined();
    expect(p).toMatchObject({ cameraId: 'bridge', siteId: SITE, ts: row!.ts, cause: row!.cause, thumbBytes: row!.thumbBytes, full: { size: row!.bytes, received: row!.bytes, complete: true } });
    expect((await atHub(p, 'thumb')).equals(boxFile(row!.thumbFile))).toBe(true);
    expect((await atHub(p, 'full')).equals(boxFile(row!.file))).toBe(true);
  }
  /** GET /api/v1/health's `sync.images`, the documented shape strictly. */
  async function imagesHealth(): Promise<ImagesHealth | undefined> {
    const res = await fetch(`${daemon.url()}/api/v1/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { sync?: { images?: ImagesHealth } };
    expect(healthSchema.safeParse(body).success).toBe(true);
    return body.sync?.images;
  }

  it('the scheduled picture taken at start reaches the hub: its thumbnail and its full image, byte for byte', async () => {
    // Well under the uploader's 60 s idle poll: only the camera's wake gets it there.
    const [first] = await waitUntil(async () => {
      const images = await held();
      return images.length === 1 && images[0]!.full.complete ? images : undefined;
    }, 15_000, 'the scheduled picture complete at the hub');
    expect(first).toMatchObject({ cause: 'schedule', alarms: [] });
    expect(pictures().map((p) => p.id)).toEqual([first!.id]);
    await expectSameAtHub(first!);
    expect(logs.events('sync.images.full_complete').map((l) => l['id'])).toEqual([first!.id]);
    console.info(`pictures-daemon: the scheduled picture complete at the hub ${Date.now() - started} ms after the daemon was built`);
  }, 20_000);

  it('the flood alarm\'s before, at and after pictures reach the hub with their alarm links; the hub\'s ?alarm= finds them', async () => {
    const scheduled = pictures()[0]!;
    level = 6.0;
    const flood = await waitUntil(() => raised.find((r) => r.alarm.key === `flood:${SITE}` && r.transition.type === 'raised'), 10_000, 'the flood alarm');
    const ofAlarm = await waitUntil(async () => {
      const images = await held(`?alarm=${flood.alarm.id}`);
      return images.length === 3 && images.every((i) => i.full.complete) ? images : undefined;
    }, 15_000, 'the alarm\'s three pictures complete at the hub');
    console.info(`pictures-daemon: the alarm's pictures complete at the hub ${Date.now() - flood.at} ms after the raise`);
    const byRole = Object.fromEntries(ofAlarm.map((i) => [i.alarms.find((a) => a.alarmId === flood.alarm.id)?.role, i]));
    expect(Object.keys(byRole).sort()).toEqual(['after', 'at', 'before']);
    const link = { alarmId: flood.alarm.id, transitionId: flood.transition.id };
    // The before is the scheduled picture, its new link now at the hub too.
    expect(byRole['before']).toMatchObject({ id: scheduled.id, cause: 'schedule', alarms: [{ ...link, role: 'before' }] });
    expect(byRole['at']).toMatchObject({ cause: 'alarm', alarms: [{ ...link, role: 'at' }] });
    expect(byRole['after']).toMatchObject({ cause: 'alarm', alarms: [{ ...link, role: 'after' }] });
    expect(byRole['after']!.ts - byRole['at']!.ts).toBeGreaterThanOrEqual(1_500);
    for (const p of ofAlarm) await expectSameAtHub(p);
    // The scheduled picture was announced twice (taken, then linked), and its full image sent once.
    const announcedIds = logs.events('sync.images.announced').flatMap((l) => l['ids'] as number[]);
    expect(announcedIds.filter((id) => id === scheduled.id)).toHaveLength(2);
    expect(logs.events('sync.images.full_complete').map((l) => l['id']).sort()).toEqual(ofAlarm.map((i) => i.id).sort());
    // No other picture at the hub, and a filter on another alarm finds none.
    expect((await held()).map((i) => i.id).sort()).toEqual(ofAlarm.map((i) => i.id).sort());
    expect(await held(`?alarm=${flood.alarm.id + 1000}`)).toEqual([]);
  }, 30_000);

  it('the box\'s health then owes the hub nothing', async () => {
    const images = await waitUntil(async () => {
      const i = await imagesHealth();
      return i !== undefined && i.thumbsOwed === 0 && i.fullOwed === 0 ? i : undefined;
    }, 5_000, 'sync.images owing nothing');
    expect(images).toMatchObject({ thumbsOwed: 0, fullOwed: 0, fullOwedBytes: 0, sentFull: 3 });
    expect(images.sentImages).toBeGreaterThanOrEqual(4);
    expect(images.state).not.toBe('failed');
  });
});
