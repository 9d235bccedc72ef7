// Cameras in the real daemon (buildDaemon in-process, real SQLite, real ffmpeg): a Modbus TCP gauge served by the site
// simulator, and three cameras on its site: a good HTTP snapshot camera (node http), an RTSP "camera" that accepts
// and never sends, and an HTTP one that answers garbage. Shows: the scheduled picture is taken at start; the bad
// cameras are timed out / refused, logged and shown failed in /health (the hung one raises fault:camera:hung); a flood
// alarm driven by the gauge (and a manual one raised through the API) goes out at once while the hung camera's
// ffmpeg waits (its raise is measured against the crossing reading, the API answer against the clock); the flood
// alarm has its before / at / after pictures, listed by the API with thumbnails served signed in only; retention
// removes old pictures and keeps an alarm's; and the pictures are counted in the media quota.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, AlarmTransition } from '../../node-daemon/alarms/types.js';
import { CameraModule } from '../../node-daemon/camera/camera-module.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import type { AlarmImages, SiteImages } from '../../node-daemon/http/contract.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { SiteSimulator } from '../../node-daemon/sim/site-simulator.js';
import { tempDir, waitUntil } from '../daemon/daemon-harness.js';
import { bearerHeaders, TEST_API_TOKEN, testApiTokens } from '../helpers/auth.js';
import { haveFfmpeg } from '../recording/satellite.js';
import { captureLogger } from '../storage/storage-helpers.js';
import { makePicture, startSnapshotServer, startTcpCamera, type Peer } from './camera-peers.js';

const SITE = 'qingshui';
const ffmpegThere = haveFfmpeg();
if (!ffmpegThere) console.warn('test/camera/daemon-cameras.test.ts: skipped, ffmpeg not installed (apt-get install ffmpeg)');

describe.skipIf(!ffmpegThere)('cameras in the daemon', () => {
  let level = 3.0;
  let sim: SiteSimulator;
  let data: { dir: string; cleanup(): void };
  let daemon: Daemon;
  let url = '';
  let good: Peer;
  let hung: Peer;
  let junk: Peer;
  const logs = captureLogger();
  const raised: { alarm: Alarm; transition: AlarmTransition; at: number }[] = [];

  beforeAll(async () => {
    data = tempDir('fenghuo-camera-daemon-');
    const jpeg = await makePicture('jpeg');
    good = await startSnapshotServer(() => ({ body: jpeg }));
    hung = await startTcpCamera('silent');
    junk = await startSnapshotServer(() => ({ body: Buffer.from('<html>please log in</html>'), type: 'text/html' }));
    sim = new SiteSimulator({ devices: [{ unit: 1, profile: loadCatalogue().get('submersible-level')!, level: () => level }], tcp: { host: '127.0.0.1', port: 0 }, log: logs.log });
    await sim.start();
    const config = {
      http: { apiTokens: testApiTokens('viewer') },
      storage: { flushIntervalMs: 50 },
      media: { checkIntervalMs: 200 },
      buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port: sim.port, timeoutMs: 300, retries: 0 }],
      sensors: [{ id: 'river', bus: 'site', slave: 1, profile: 'submersible-level', pollIntervalMs: 100, critical: true }],
      alarms: { sites: [{ id: SITE, name: '清水河站', sensors: ['river'], prepare: { levelM: 5, hysteresisM: 0.1 }, evacuate: { levelM: 8 } }] },
      cameras: [
        { id: 'bridge', name: '清水河桥头', site: SITE, source: { snapshotUrl: good.url }, intervalMin: 30, timeoutS: 5, afterDelayS: 2 },
        { id: 'hung', site: SITE, source: { rtsp: hung.url }, intervalMin: 30, timeoutS: 4, afterDelayS: 0, faultAfterFailures: 1 },
        { id: 'junk', site: SITE, source: { snapshotUrl: junk.url }, intervalMin: 30, timeoutS: 3, afterDelayS: 0, faultAfterFailures: 0 },
      ],
    };
    const parsed = parseConfigText(JSON.stringify(config));
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    daemon = buildDaemon({ config: parsed.config, dataDir: data.dir, listen: '127.0.0.1:0', log: logs.log, clock: Date.now });
    daemon.hub.alarm$.subscribe((e) => raised.push({ ...e, at: Date.now() }));
    await daemon.start();
    url = daemon.url();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
    for (const p of [good, hung, junk]) await p?.stop();
    data?.cleanup();
  });

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, { ...init, headers: { ...bearerHeaders(), 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
    return (await res.json()) as T;
  };
  const health = () => api<HealthSnapshot>('/health');
  const cameraModule = (): CameraModule => daemon.modules.find((m): m is CameraModule => m instanceof CameraModule)!;

  it('takes the scheduled picture at start and shows the hung and garbage cameras failed in health', async () => {
    const h = await waitUntil(async () => {
      const cams = (await health()).cameras ?? [];
      return cams.length === 3 && cams.every((c) => c.state !== 'unknown') ? cams : undefined;
    }, 20_000, 'every camera tried once');
    const by = Object.fromEntries(h.map((c) => [c.id, c]));
    expect(by.bridge).toMatchObject({ state: 'ok', consecutiveFailures: 0, site: SITE, source: 'snapshotUrl' });
    expect(by.hung).toMatchObject({ state: 'failed', consecutiveFailures: 1, faultOpen: true, lastError: { code: 'timeout' } });
    expect(by.junk).toMatchObject({ state: 'failed', faultOpen: false, lastError: { code: 'not-image' } });
    expect(hung.connections()).toBeGreaterThanOrEqual(1);
    expect(logs.events('camera.picture_failed').map((l) => l.code)).toEqual(expect.arrayContaining(['timeout', 'not-image']));
    // faultAfterFailures: 1 → the hung camera's fault alarm is open
    expect(daemon.alarms.active().some((a) => a.key === 'fault:camera:hung' && a.kind === 'fault')).toBe(true);
    // a failing camera does not make the box degraded
    expect((await health()).status).toBe('ok');
  }, 30_000);

  it('raises a flood alarm at once while the hung camera\'s ffmpeg waits, and keeps its before, at and after pictures', async () => {
    level = 6.0;
    const flood = await waitUntil(() => raised.find((r) => r.alarm.key === `flood:${SITE}` && r.transition.type === 'raised'), 10_000, 'the flood alarm');
    // The crossing reading to the raise: the poll interval and the 2-sample debounce, not a camera's timeout.
    expect(flood.at - (flood.transition.cause.readingTs ?? 0)).toBeLessThan(1_000);
    // The hung camera is in its ffmpeg now (its picture for the alarm); a manual alarm through the API is answered at once.
    await waitUntil(async () => (await health()).cameras?.find((c) => c.id === 'hung')?.busy, 3_000, 'the hung camera busy');
    const t0 = Date.now();
    const manual = await api<{ alarm: Alarm }>('/alarms', { method: 'POST', body: JSON.stringify({ level: 'prepare', siteId: SITE, drill: true }) });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(raised.find((r) => r.alarm.id === manual.alarm.id)!.at - t0).toBeLessThan(500);

    const images = await waitUntil(async () => {
      const body = await api<AlarmImages>(`/alarms/${flood.alarm.id}/images`);
      return body.images.some((i) => i.role === 'after') ? body : undefined;
    }, 15_000, 'the after picture');
    const roles = images.images.filter((i) => i.linkTransitionId === flood.transition.id).map((i) => `${i.cameraId}:${i.role}:${i.cause}`);
    expect(roles).toEqual(['bridge:before:schedule', 'bridge:at:alarm', 'bridge:after:alarm']);
    const [before, at, after] = images.images;
    expect(before!.ts).toBeLessThan(flood.at);
    expect(at!.ts - flood.at).toBeLessThan(1_000);
    expect(after!.ts - flood.at).toBeGreaterThanOrEqual(2_000);
    expect(at).toMatchObject({ alarmId: flood.alarm.id, transitionId: flood.transition.id, cameraName: '清水河桥头' });
  }, 40_000);

  it('lists the site\'s pictures with thumbnails, served only when signed in', async () => {
    const body = await api<SiteImages>(`/sites/${SITE}/images?limit=2`);
    expect(body.cameras.map((c) => c.id).sort()).toEqual(['bridge', 'hung', 'junk']);
    expect(body.images).toHaveLength(2);
    expect(body.images[0]!.ts).toBeGreaterThanOrEqual(body.images[1]!.ts);
    expect(body.nextBefore).toBe(body.images[1]!.ts);
    const older = await api<SiteImages>(`/sites/${SITE}/images?before=${body.nextBefore}`);
    expect(older.images.length).toBeGreaterThanOrEqual(1);
    const thumb = await fetch(`${url}${body.images[0]!.thumbUrl}`, { headers: bearerHeaders() });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await thumb.arrayBuffer()).subarray(0, 3).toString('hex')).toBe('ffd8ff');
    const full = await fetch(`${url}${body.images[0]!.url}`, { headers: bearerHeaders() });
    expect((await full.arrayBuffer()).byteLength).toBe(body.images[0]!.bytes);
    expect((await fetch(`${url}${body.images[0]!.url}`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/cameras/images/..%2F..%2Fetc`, { headers: bearerHeaders() })).status).toBe(400);
    expect((await fetch(`${url}/api/v1/cameras/images/999999`, { headers: bearerHeaders() })).status).toBe(404);
  });

  it('takes a picture when an operator asks, refuses a viewer and an unknown camera', async () => {
    const asked = Date.now();
    const res = await fetch(`${url}/api/v1/cameras/bridge/picture`, { method: 'POST', headers: bearerHeaders() });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ cameraId: 'bridge', queued: true });
    const taken = await waitUntil(async () => (await api<SiteImages>(`/sites/${SITE}/images?limit=5`)).images.find((i) => i.cameraId === 'bridge' && i.ts >= asked), 10_000, 'the picture asked for');
    expect(taken.cause).toBe('schedule');
    expect(logs.events('camera.picture_requested').at(-1)).toMatchObject({ camera: 'bridge', account: 'token:test' });
    expect((await fetch(`${url}/api/v1/cameras/bridge/picture`, { method: 'POST', headers: bearerHeaders(`${TEST_API_TOKEN}-viewer`) })).status).toBe(403);
    expect((await fetch(`${url}/api/v1/cameras/nope/picture`, { method: 'POST', headers: bearerHeaders() })).status).toBe(404);
  }, 20_000);

  it('counts the pictures in the media quota', async () => {
    const cameraBytes = cameraModule().store.all().reduce((s, i) => s + i.bytes + i.thumbBytes, 0);
    const media = await waitUntil(async () => {
      const m = (await health()).media;
      return m !== undefined && (m.imagesBytes ?? 0) >= cameraBytes ? m : undefined;
    }, 5_000, 'the quota measuring the pictures');
    expect(media.usedBytes).toBeGreaterThanOrEqual(media.recordingsBytes + media.libraryBytes + media.contentBytes + cameraBytes);
  });

  it('removes pictures past keepDays, keeps an alarm\'s for keepAlarmDays', async () => {
    const cams = cameraModule();
    const old = Date.now() - 20 * 86_400_000;
    const add = (cause: 'schedule' | 'alarm', n: number) => {
      const file = `cameras/bridge/old/${old}-${n}.jpg`;
      mkdirSync(dirname(join(data.dir, file)), { recursive: true });
      writeFileSync(join(data.dir, file), 'x');
      writeFileSync(join(data.dir, `${file}.thumb.jpg`), 'x');
      return cams.store.add({ cameraId: 'bridge', siteId: SITE, ts: old, cause, alarmId: cause === 'alarm' ? 1 : null, transitionId: cause === 'alarm' ? 1 : null, file, thumbFile: `${file}.thumb.jpg`, bytes: 1, thumbBytes: 1 });
    };
    const plain = add('schedule', 1);
    const ofAlarm = add('alarm', 2);
    const before = add('schedule', 3);
    cams.store.link(before.id, 1, 1, 'before');
    const removed = await cams.removeExpired();
    expect(removed).toBe(1);
    expect(cams.store.get(plain.id)).toBeUndefined();
    expect(() => readFileSync(join(data.dir, plain.file))).toThrow();
    expect(cams.store.get(ofAlarm.id)).toBeDefined();
    expect(cams.store.get(before.id)).toBeDefined();
  });
});
