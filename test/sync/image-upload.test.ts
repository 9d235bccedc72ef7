// The box's camera-picture upload against the real hub app (hub/http picture routes, SQLite store, <dataDir>/images)
// over a userspace loopback link (backup-link.ts: paced box → hub, cut and restored), with a real box database (camera
// pictures in camera_images, migration 17), a real enrolment and real JPEGs made by ffmpeg. Shows: every thumbnail
// arrives before any full image, an alarm's pictures before the scheduled ones; a small daily budget lets the
// thumbnails through and stops the full images at the share; a cut mid-image resumes from the hub's count and the
// hub's file is the box's byte for byte; a scheduled picture linked later as an alarm's "before" is announced again;
// an alarm aborts the chunk in flight.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Subject } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tokenAccess } from '../../hub/http/access.js';
import { createHubApp } from '../../hub/http/app.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { hubServer } from '../../hub/http/server.js';
import { SqliteHubStore } from '../../hub/store/sqlite-store.js';
import { ImageStore, type CameraImage } from '../../node-daemon/camera/image-store.js';
import { createLogger } from '../../node-daemon/core/log.js';
import type { HttpServer } from '../../node-daemon/http/http-server.js';
import { databaseId } from '../../node-daemon/storage/migrations.js';
import { formatEnrolCode, generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { enrolBox } from '../../node-daemon/sync/enrol/enrol.js';
import { loadEnrolment } from '../../node-daemon/sync/enrol/files.js';
import { ImageUploader, type ImageUploaderOptions } from '../../node-daemon/sync/image-upload/uploader.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { makePicture } from '../camera/camera-peers.js';
import { captureLogger, waitFor } from '../storage/storage-helpers.js';
import { bulkTestOptions } from './bulk-rig.js';
import { startBackupLink, type BackupLink } from './backup-link.js';
import { tempBox, type TempBox } from './outbox-fixture.js';

const run = promisify(execFile);
const BOX = 'qingshui-images';
const VIEWER = 'viewer-token-images-box';
const sha = (b: string | Uint8Array): string => createHash('sha256').update(b).digest('hex');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let thumbJpeg: Buffer;
let fullJpeg: Buffer;
let bigJpeg: Buffer;
beforeAll(async () => {
  thumbJpeg = await makePicture('jpeg', '160x90');
  fullJpeg = await makePicture('jpeg', '640x360');
  // Noise makes a JPEG that does not shrink: a picture of several chunks on the paced link.
  bigJpeg = (
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=960x540', '-vf', 'noise=alls=30:allf=t', '-frames:v', '1', '-q:v', '3', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'], {
      encoding: 'buffer',
      maxBuffer: 20 * 1024 * 1024,
    })
  ).stdout;
  expect(bigJpeg.byteLength).toBeGreaterThan(150_000);
}, 60_000);

interface Hub {
  readonly dir: string;
  readonly logs: Record<string, unknown>[];
  url: string;
  port: number;
}

async function startHub(withImages = true): Promise<Hub & { store: SqliteHubStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-images-hub-'));
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const store = SqliteHubStore.open({ path: join(dir, 'hub.db') });
  const { app, limits } = createHubApp({
    store,
    countyKey: SigningKey.generate('county-test'),
    nonces: new MemoryNonceStore(Date.now),
    log,
    access: tokenAccess([{ name: 'viewer', sha256: sha(VIEWER), role: 'viewer' }]),
    ...(withImages ? { images: { dir: join(dir, 'images'), keepDays: 180 } } : {}),
  });
  const server: HttpServer = hubServer({ app, listen: '127.0.0.1:0', log, limits });
  await server.start();
  const url = server.url().replace(/\/$/, '');
  cleanups.push(async () => {
    await server.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, store, logs, url, port: Number(new URL(url).port) };
}

interface HeldImage {
  dbId: string;
  id: number;
  cause: string;
  alarms: { alarmId: number; transitionId: number; role: string }[];
  full: { size: number; received: number; complete: boolean };
}

interface Rig {
  hub: Hub;
  link: BackupLink;
  box: TempBox;
  store: ImageStore;
  logs: ReturnType<typeof captureLogger>;
  uploader(over?: Partial<ImageUploaderOptions>): ImageUploader;
  /** A picture on the box: its files under <data>/cameras and its row. */
  picture(p: { ts: number; alarm?: { alarmId: number; transitionId: number }; full?: Buffer }): CameraImage;
  held(): Promise<HeldImage[]>;
  fullAtHub(id: number): Promise<{ status: number; bytes: Buffer }>;
}

async function rig(opts: { rate?: number; withImages?: boolean } = {}): Promise<Rig> {
  const hub = await startHub(opts.withImages ?? true);
  const link = await startBackupLink({ host: '127.0.0.1', port: hub.port }, opts.rate ?? 4 * 1024 * 1024);
  cleanups.push(() => link.close());
  const box = tempBox();
  cleanups.push(() => box.cleanup());
  const code = generateEnrolCode(BOX);
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: Date.now(), expiresAt: Date.now() + 3_600_000 });
  await enrolBox({ hubUrl: link.url, code: formatEnrolCode(code), dataDir: box.dir });
  const enrolment = loadEnrolment(box.dir);
  if (enrolment === undefined) throw new Error('not enrolled');
  const logs = captureLogger();
  const store = new ImageStore(box.db);
  const dbId = databaseId(box.db);
  mkdirSync(join(box.dir, 'cameras'), { recursive: true });
  let n = 0;
  return {
    hub,
    link,
    box,
    store,
    logs,
    uploader(over = {}) {
      const u = new ImageUploader({
        ...bulkTestOptions(enrolment, box.db, logs),
        db: box.db,
        dbId,
        dataDir: box.dir,
        config: { full: 'all', fullBudgetShare: 0.5 },
        compression: 'br',
        ...over,
      });
      cleanups.push(() => u.stop());
      return u;
    },
    picture(p) {
      n += 1;
      const file = join('cameras', `cam1-${n}.jpg`);
      const thumbFile = join('cameras', `cam1-${n}.thumb.jpg`);
      const full = p.full ?? fullJpeg;
      writeFileSync(join(box.dir, file), full);
      writeFileSync(join(box.dir, thumbFile), thumbJpeg);
      return store.add({
        cameraId: 'cam1',
        siteId: 'dam',
        ts: p.ts,
        cause: p.alarm === undefined ? 'schedule' : 'alarm',
        alarmId: p.alarm?.alarmId ?? null,
        transitionId: p.alarm?.transitionId ?? null,
        file,
        thumbFile,
        bytes: full.byteLength,
        thumbBytes: thumbJpeg.byteLength,
      });
    },
    async held() {
      const res = await fetch(`${hub.url}/api/v1/boxes/${BOX}/images?limit=500`, { headers: { authorization: `Bearer ${VIEWER}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { images: HeldImage[] }).images;
    },
    async fullAtHub(id) {
      const res = await fetch(`${hub.url}/api/v1/boxes/${BOX}/images/${dbId}/${id}/full`, { headers: { authorization: `Bearer ${VIEWER}` } });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    },
  };
}

const T = Date.UTC(2026, 5, 1, 8, 0);

describe('camera pictures to the county hub', () => {
  it('every thumbnail before any full image, an alarm\'s pictures first and newest first; then the full images, byte for byte', async () => {
    const r = await rig();
    const old = r.picture({ ts: T - 3 * 60_000 });
    const alarmOld = r.picture({ ts: T - 2 * 60_000, alarm: { alarmId: 4, transitionId: 11 } });
    const recent = r.picture({ ts: T - 60_000 });
    const alarmNew = r.picture({ ts: T, alarm: { alarmId: 4, transitionId: 12 } });
    const up = r.uploader();
    expect(up.status()).toMatchObject({ state: 'idle', thumbsOwed: 4, fullOwed: 4, fullOwedBytes: 4 * fullJpeg.byteLength });
    await up.start();
    await waitFor(() => up.status().fullOwed === 0, 20_000, 'every full image');
    expect(up.status()).toMatchObject({ state: 'idle', thumbsOwed: 0, fullOwed: 0, sentImages: 4, sentFull: 4 });
    expect(up.status().wireBytes).toBeGreaterThan(4 * fullJpeg.byteLength);

    const announced = r.logs.events('sync.images.announced');
    expect(announced.flatMap((e) => e['ids'] as number[])).toEqual([alarmNew.id, alarmOld.id, recent.id, old.id]);
    const firstChunk = r.logs.lines.findIndex((l) => l.event === 'sync.images.full_chunk');
    const lastAnnounced = r.logs.lines.lastIndexOf(announced[announced.length - 1]!);
    expect(firstChunk).toBeGreaterThan(lastAnnounced);
    expect(r.logs.events('sync.images.full_complete').map((e) => e['id'])).toEqual([alarmNew.id, alarmOld.id, recent.id, old.id]);

    const held = await r.held();
    expect(held.map((h) => h.id).sort()).toEqual([old.id, alarmOld.id, recent.id, alarmNew.id].sort());
    expect(held.find((h) => h.id === alarmNew.id)).toMatchObject({ cause: 'alarm', alarms: [{ alarmId: 4, transitionId: 12, role: 'at' }], full: { complete: true } });
    for (const h of held) {
      const got = await r.fullAtHub(h.id);
      expect(got.status).toBe(200);
      expect(sha(got.bytes)).toBe(sha(fullJpeg));
    }
    // What the hub acknowledged is kept: a new uploader (a restart) sends nothing more.
    await up.stop();
    const before = r.link.toHub;
    const again = r.uploader();
    await again.start();
    await new Promise((res) => setTimeout(res, 500));
    expect(r.link.toHub).toBe(before);
    expect(again.status()).toMatchObject({ state: 'idle', thumbsOwed: 0, fullOwed: 0 });
  }, 60_000);

  it('a small daily budget: the thumbnails go, the full images stop at the share of the budget', async () => {
    const r = await rig();
    for (let i = 0; i < 6; i += 1) r.picture({ ts: T - i * 60_000 });
    const daily = 4 * fullJpeg.byteLength;
    const outbox = new OutboxStore({ db: r.box.db });
    const up = r.uploader({ budget: { dailyBytes: daily }, outbox, config: { full: 'all', fullBudgetShare: 0.5 } });
    await up.start();
    await waitFor(() => up.status().state === 'waiting' && up.status().waitingFor === 'budget_share', 20_000, 'the share spent');
    const s = up.status();
    expect(s.thumbsOwed).toBe(0);
    expect(s.sentImages).toBe(6);
    expect(s.fullOwed).toBeGreaterThan(0);
    expect(s.fullOwed).toBeLessThan(6);
    expect(outbox.budget()?.dayBytes ?? 0).toBeLessThanOrEqual(daily * 0.5);
    const held = await r.held();
    expect(held).toHaveLength(6);
    expect(held.filter((h) => h.full.complete).length).toBe(6 - s.fullOwed);
  }, 30_000);

  it('a link cut mid-image: resumes from the hub\'s count, the hub\'s file is the box\'s', async () => {
    const r = await rig({ rate: 64 * 1024 });
    const big = r.picture({ ts: T, full: bigJpeg });
    const up = r.uploader();
    await up.start();
    const atHub = async (): Promise<number> => (await r.held()).find((h) => h.id === big.id)?.full.received ?? 0;
    let received = 0;
    const end = Date.now() + 20_000;
    while (received === 0 && Date.now() < end) {
      received = await atHub();
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(bigJpeg.byteLength);
    r.link.cut();
    await waitFor(() => up.status().state === 'failed', 15_000, 'the failure seen');
    await new Promise((res) => setTimeout(res, 300));
    r.link.restore();
    await waitFor(() => up.status().fullOwed === 0, 30_000, 'the image complete');
    expect(r.logs.events('sync.images.retry').length).toBeGreaterThanOrEqual(1);
    const retryAt = r.logs.lines.findIndex((l) => l.event === 'sync.images.retry');
    const resumed = r.logs.lines.slice(retryAt).find((l) => l.event === 'sync.images.full_chunk');
    expect(resumed?.['offset'] as number).toBeGreaterThanOrEqual(received);
    // Resumed, not begun again: not much more than the picture went through the link.
    expect(r.link.toHub).toBeLessThan(bigJpeg.byteLength * 1.6);
    const got = await r.fullAtHub(big.id);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(readFileSync(join(r.box.dir, big.file)))).toBe(true);
    console.log(`picture ${bigJpeg.byteLength} bytes; the hub received ${r.link.toHub} through the link`);
  }, 60_000);

  it('a slow link: announcements are sized to it and answered within the request timeout, one batch never resent whole', async () => {
    // 16 KB/s and a 3 s request timeout: 24 thumbnails (~100 KB as announced) in one request would take ~6 s and
    // never be answered; sized to the link, every announcement is.
    const r = await rig({ rate: 16_000 });
    const thumbs = Array.from({ length: 24 }, (_, i) => r.picture({ ts: T + i * 1_000 }));
    const up = r.uploader({ requestTimeoutMs: 3_000, config: { full: 'none', fullBudgetShare: 0.5 } });
    await up.start();
    await waitFor(() => up.status().thumbsOwed === 0, 40_000, 'every thumbnail announced');
    const announced = r.logs.events('sync.images.announced');
    expect(announced.length).toBeGreaterThan(1);
    expect(announced.reduce((n, l) => n + (l['images'] as number), 0)).toBe(thumbs.length);
    expect(r.logs.events('sync.images.retry')).toEqual([]);
    expect(await r.held()).toHaveLength(thumbs.length);
  }, 60_000);

  it('a scheduled picture linked later as an alarm\'s "before" is announced again and the hub lists the link', async () => {
    const r = await rig();
    const p = r.picture({ ts: T });
    const up = r.uploader();
    await up.start();
    await waitFor(() => up.status().fullOwed === 0, 20_000, 'sent');
    expect((await r.held())[0]?.alarms).toEqual([]);
    r.store.link(p.id, 7, 21, 'before');
    expect(up.status().thumbsOwed).toBe(1);
    up.wake();
    await waitFor(() => up.status().thumbsOwed === 0, 10_000, 'announced again');
    expect(r.logs.events('sync.images.announced')).toHaveLength(2);
    const held = await r.held();
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ id: p.id, alarms: [{ alarmId: 7, transitionId: 21, role: 'before' }], full: { complete: true } });
    // The full image is not sent twice.
    expect(r.logs.events('sync.images.full_complete')).toHaveLength(1);
  }, 30_000);

  it('a full image whose file changed after its announcement: the hub refuses it (sha256), the box announces it again and it completes', async () => {
    const r = await rig();
    const p = r.picture({ ts: T, full: bigJpeg });
    const first = r.uploader({ config: { full: 'none', fullBudgetShare: 0.5 } });
    await first.start();
    await waitFor(() => first.status().thumbsOwed === 0, 10_000, 'announced');
    await first.stop();
    // Same size, other bytes (a picture rewritten in place, a card returning other bytes).
    const changed = Buffer.from(bigJpeg);
    for (let i = 1_000; i < 1_064; i++) changed[i] = changed[i]! ^ 0xff;
    writeFileSync(join(r.box.dir, p.file), changed);
    const up = r.uploader();
    await up.start();
    await waitFor(() => up.status().fullOwed === 0 && up.status().thumbsOwed === 0, 20_000, 'the full image in');
    expect(r.logs.events('sync.images.file_rejected')).toMatchObject([{ id: p.id, times: 1 }]);
    expect(r.logs.events('sync.images.announced')).toHaveLength(2);
    expect(r.hub.logs.filter((l) => l.event === 'hub.images.sha256_mismatch')).toHaveLength(1);
    const at = await r.fullAtHub(p.id);
    expect(at.status).toBe(200);
    expect(at.bytes.equals(changed)).toBe(true);
  }, 30_000);

  it('an alarm committed during a chunk aborts it; the image completes afterwards', async () => {
    const r = await rig({ rate: 48 * 1024 });
    const big = r.picture({ ts: T, full: bigJpeg });
    const alarm$ = new Subject<unknown>();
    const up = r.uploader({ alarm$ });
    await up.start();
    await waitFor(() => r.logs.events('sync.images.full_chunk').length >= 1, 20_000, 'a first chunk');
    // The next chunk is sized to the measured rate (several seconds): the alarm comes while it is on the wire.
    await new Promise((res) => setTimeout(res, 400));
    const chunksBefore = r.logs.events('sync.images.full_chunk').length;
    alarm$.next({ alarm: 1 });
    expect(r.logs.events('sync.images.yield')).toHaveLength(1);
    await waitFor(() => up.status().fullOwed === 0, 40_000, 'the image complete');
    expect(r.logs.events('sync.images.full_chunk').length).toBeGreaterThan(chunksBefore);
    const got = await r.fullAtHub(big.id);
    expect(got.bytes.equals(bigJpeg)).toBe(true);
  }, 60_000);

  it('an older hub without the picture routes: unsupported, and no retry storm', async () => {
    const r = await rig({ withImages: false });
    r.picture({ ts: T });
    const up = r.uploader();
    await up.start();
    await waitFor(() => up.status().state === 'unsupported', 10_000, 'unsupported');
    const sent = r.link.toHub;
    await new Promise((res) => setTimeout(res, 800));
    expect(r.link.toHub).toBe(sent);
    expect(r.logs.events('sync.images.unsupported')).toHaveLength(1);
    expect(up.announcementsOwed()).toBe(false);
  }, 30_000);
});
