// The hub's side of the camera pictures (docs/sync.md "Camera pictures to the hub"), shared by images-sqlite.test.ts
// and images-pg.test.ts: the real hub app on a loopback HTTP server, a real store (SQLite file or a PostgreSQL
// database), real files under <dataDir>/images, requests signed as a box signs them and answers checked against the
// county key.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { generateEnrolCode } from '../../node-daemon/sync/enrol/code.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { HttpServer } from '../../node-daemon/http/http-server.js';
import { publicKeyToRaw, signRequest, SigningKey, verifyResponse } from '../../node-daemon/sync/protocol/index.js';
import { IMAGE_CHUNK_LIMIT, imageFullPath, IMAGES_SYNC_PATH, type AnnouncedImage, type ImageAlarmLink } from '../../node-daemon/sync/protocol/image-wire.js';
import { tokenAccess } from '../../hub/http/access.js';
import { createHubApp } from '../../hub/http/app.js';
import { MemoryNonceStore } from '../../hub/http/nonce-store.js';
import { hubTransportLimit } from '../../hub/http/server.js';
import { imagesTransportLimit } from '../../hub/images/transport-limit.js';
import type { HubStore } from '../../hub/store/types.js';
import { encode, type Encoding } from './http/hub-fixture.js';

const VIEWER = 'viewer-token-images';
const DAY = 86_400_000;
const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** Opens an empty store for one test and disposes of it afterwards. */
export interface StoreSource {
  open(): Promise<{ readonly store: HubStore; dispose(): Promise<void> }>;
}

type Json = Record<string, unknown> & { error?: { code?: string; param?: string; message?: string } };

interface Reply {
  readonly status: number;
  readonly json: Json;
  readonly signed: boolean;
}

interface Rig {
  readonly url: string;
  readonly dir: string;
  readonly logs: Record<string, unknown>[];
  /** The hub's clock (UTC ms); tests move it. */
  now: number;
  enrol(box: string): Promise<SigningKey>;
  announce(key: SigningKey, body: unknown, encoding?: Encoding): Promise<Reply>;
  put(key: SigningKey, dbId: string, id: number, offset: number, bytes: Uint8Array): Promise<Reply>;
  get(path: string, token?: string | null): Promise<Response>;
  close(): Promise<void>;
}

async function startRig(store: HubStore, keepDays = 180): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-hub-images-'));
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const countyKey = SigningKey.generate('county-images');
  const rig = { now: Date.now() } as { now: number };
  const clock = (): number => rig.now;
  const { app, limits } = createHubApp({
    store,
    countyKey,
    nonces: new MemoryNonceStore(clock),
    log,
    clock,
    access: tokenAccess([{ name: 'viewer', sha256: sha(VIEWER), role: 'viewer' }]),
    images: { dir: join(dir, 'images'), keepDays },
  });
  // hubServer's limits with the picture routes' (hub/images/transport-limit.ts, to be consulted by hub/http/server.ts).
  const hubLimit = hubTransportLimit(limits);
  const server = new HttpServer({ app, listen: '127.0.0.1:0', log, bodyLimit: (m, t) => imagesTransportLimit(m, t.split(/[?#]/)[0] ?? '') ?? hubLimit(m, t) });
  await server.start();
  const url = server.url().replace(/\/$/, '');

  const send = async (key: SigningKey, method: 'POST' | 'PUT', target: string, headers: Record<string, string>, body: Uint8Array): Promise<Reply> => {
    const signed = signRequest({ method, url: `${url}${target}`, headers, body }, { key, now: clock });
    const all = { ...headers, ...signed.headers };
    const res = await fetch(`${url}${target}`, { method, headers: all, body });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const verified = verifyResponse({ status: res.status, headers: res.headers, body: bytes }, { method, url: `${url}${target}`, headers: all }, { keys: new Map([[countyKey.keyid, countyKey.publicKey]]) });
    return { status: res.status, json: JSON.parse(Buffer.from(bytes).toString('utf8')) as Json, signed: verified.ok };
  };

  return Object.assign(rig, {
    url,
    dir,
    logs,
    async enrol(box: string) {
      const code = generateEnrolCode(box);
      await store.createEnrolmentCode({ code: code.canonical, createdAt: rig.now, expiresAt: rig.now + 3600_000 });
      const key = SigningKey.generate(box);
      const res = await fetch(`${url}/api/v1/sync/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: code.canonical, boxId: box, publicKey: publicKeyToRaw(key.publicKey) }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      return key;
    },
    async announce(key: SigningKey, body: unknown, encoding: Encoding = 'br') {
      const bytes = await encode(JSON.stringify(body), encoding);
      return send(key, 'POST', IMAGES_SYNC_PATH, { 'content-type': 'application/json', ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }) }, bytes);
    },
    put(key: SigningKey, dbId: string, id: number, offset: number, bytes: Uint8Array) {
      return send(key, 'PUT', `${imageFullPath(dbId, id)}?offset=${offset}`, { 'content-type': 'application/octet-stream' }, bytes);
    },
    get(path: string, token: string | null = VIEWER) {
      return fetch(`${url}${path}`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

const jpeg = (n: number): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(n), Buffer.from([0xff, 0xd9])]);

interface Picture {
  readonly meta: AnnouncedImage;
  readonly thumb: Buffer;
  readonly full: Buffer;
}

function picture(id: number, opts: { site?: string; ts?: number; alarms?: ImageAlarmLink[]; fullBytes?: number } = {}): Picture {
  const thumb = jpeg(2000);
  const full = jpeg(opts.fullBytes ?? 50_000);
  return {
    thumb,
    full,
    meta: {
      id,
      cameraId: 'cam-1',
      siteId: opts.site ?? 'site-a',
      ts: opts.ts ?? Date.UTC(2026, 6, 1, 8, 0, id),
      cause: (opts.alarms ?? []).length > 0 ? 'alarm' : 'schedule',
      alarms: opts.alarms ?? [],
      thumb: thumb.toString('base64'),
      full: { size: full.byteLength, sha256: sha(full) },
    },
  };
}

const DB = '6f1c2b9e-5d4a-4c3b-9a8e-1f2d3c4b5a69';
const events = (rig: Rig, event: string): Record<string, unknown>[] => rig.logs.filter((l) => l.event === event);

interface Listed {
  box: string;
  images: { dbId: string; id: number; siteId: string; ts: number; alarms: ImageAlarmLink[]; thumbBytes: number; full: { size: number; received: number; complete: boolean } }[];
}

async function list(rig: Rig, box: string, query = ''): Promise<Listed> {
  const res = await rig.get(`/api/v1/boxes/${box}/images${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Listed;
}

export function imagesSuite(source: StoreSource, skip: () => string | undefined): void {
  const withRig = async (keepDays: number, run: (rig: Rig) => Promise<void>): Promise<void> => {
    const { store, dispose } = await source.open();
    const rig = await startRig(store, keepDays);
    try {
      await run(rig);
    } finally {
      await rig.close();
      await dispose();
    }
  };

  it('announces a batch, resumes a full image at the hub\'s count, refuses what is past its size, drops a sha256 mismatch, serves it byte-identical', async (ctx) => {
    const why = skip();
    if (why !== undefined) return ctx.skip(why);
    await withRig(180, async (rig) => {
      const key = await rig.enrol('qingshui');
      const a = picture(1, { alarms: [{ alarmId: 7, transitionId: 1, role: 'at' }] });
      const b = picture(2, { fullBytes: IMAGE_CHUNK_LIMIT + 10_000 });

      const first = await rig.announce(key, { dbId: DB, images: [a.meta, b.meta] });
      expect(first.status, JSON.stringify(first.json)).toBe(200);
      expect(first.signed).toBe(true);
      expect(first.json.images).toEqual([
        { id: 1, fullReceived: 0, fullComplete: false },
        { id: 2, fullReceived: 0, fullComplete: false },
      ]);
      expect(first.json.hubTime).toBe(rig.now);
      expect(events(rig, 'hub.images.announced')[0]).toMatchObject({ box: 'qingshui', dbId: DB, images: 2, new: 2 });
      expect(readFileSync(join(rig.dir, 'images', 'qingshui', DB, '1.thumb.jpg'))).toEqual(a.thumb);

      // Half of the full image, then the box resends from 0 (it never saw the answer): the hub says what it holds.
      const half = Math.floor(a.full.byteLength / 2);
      const sent = await rig.put(key, DB, 1, 0, a.full.subarray(0, half));
      expect(sent).toMatchObject({ status: 200, signed: true, json: { received: half, complete: false } });
      const again = await rig.put(key, DB, 1, 0, a.full.subarray(0, half));
      expect(again).toMatchObject({ status: 409, signed: true, json: { error: { code: 'offset_mismatch' }, received: half } });

      // Announced again with one more alarm link: the link is added, the progress kept.
      const linked = await rig.announce(key, { dbId: DB, images: [{ ...a.meta, alarms: [...a.meta.alarms, { alarmId: 7, transitionId: 2, role: 'after' }] }] }, 'gzip');
      expect(linked.json.images).toEqual([{ id: 1, fullReceived: half, fullComplete: false }]);
      expect((await list(rig, 'qingshui', '?alarm=7')).images.map((i) => [i.id, i.alarms])).toEqual([
        [
          1,
          [
            { alarmId: 7, transitionId: 1, role: 'at' },
            { alarmId: 7, transitionId: 2, role: 'after' },
          ],
        ],
      ]);

      // Past the announced size: 413, nothing appended.
      const past = await rig.put(key, DB, 1, half, Buffer.concat([a.full.subarray(half), Buffer.from([0])]));
      expect(past).toMatchObject({ status: 413, signed: true, json: { received: half } });
      // Over the chunk limit: 413 before anything is read into the picture.
      const big = await rig.put(key, DB, 2, 0, b.full.subarray(0, IMAGE_CHUNK_LIMIT + 1));
      expect(big.status).toBe(413);
      expect(big.json.error?.code).toBe('payload_too_large');
      expect(big.signed).toBe(true);
      expect((await list(rig, 'qingshui', '?limit=1&before=' + String(b.meta.ts + 1))).images[0]?.full.received).toBe(0);

      // The rest with one bit flipped: the hash fails at the last byte, the hub drops it all.
      const bad = Buffer.from(a.full.subarray(half));
      bad[10] = (bad[10] as number) ^ 0x01;
      const mismatch = await rig.put(key, DB, 1, half, bad);
      expect(mismatch).toMatchObject({ status: 422, signed: true, json: { error: { code: 'sha256_mismatch' }, received: 0 } });
      expect(events(rig, 'hub.images.sha256_mismatch')).toHaveLength(1);
      expect(existsSync(join(rig.dir, 'images', 'qingshui', DB, '1.jpg.part'))).toBe(false);
      expect((await rig.get(`/api/v1/boxes/qingshui/images/${DB}/1/full`)).status).toBe(404);

      // Sent again from 0 in two chunks: complete, verified, served byte-identical.
      expect((await rig.put(key, DB, 1, 0, a.full.subarray(0, half))).json).toMatchObject({ received: half, complete: false });
      expect((await rig.put(key, DB, 1, half, a.full.subarray(half))).json).toMatchObject({ received: a.full.byteLength, complete: true });
      expect(events(rig, 'hub.images.full_verified')).toEqual([expect.objectContaining({ box: 'qingshui', image: 1, bytes: a.full.byteLength })]);
      const full = await rig.get(`/api/v1/boxes/qingshui/images/${DB}/1/full`);
      expect(full.status).toBe(200);
      expect(full.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await full.arrayBuffer())).toEqual(a.full);
      const thumb = await rig.get(`/api/v1/boxes/qingshui/images/${DB}/2/thumb`);
      expect(Buffer.from(await thumb.arrayBuffer())).toEqual(b.thumb);
      // A complete picture: a late chunk is answered with the whole count; announcing it again says complete.
      expect((await rig.put(key, DB, 1, 0, a.full.subarray(0, 10))).json).toMatchObject({ received: a.full.byteLength, complete: true });
      expect((await rig.announce(key, { dbId: DB, images: [a.meta] })).json.images).toEqual([{ id: 1, fullReceived: a.full.byteLength, fullComplete: true }]);

      // Another full image for the same picture (its sha256 differs): it starts over.
      const redone = picture(1);
      const restart = await rig.announce(key, { dbId: DB, images: [{ ...a.meta, full: redone.meta.full }] });
      expect(restart.json.images).toEqual([{ id: 1, fullReceived: 0, fullComplete: false }]);
      expect((await rig.get(`/api/v1/boxes/qingshui/images/${DB}/1/full`)).status).toBe(404);

      // A picture never announced.
      expect(await rig.put(key, DB, 99, 0, a.full.subarray(0, 10))).toMatchObject({ status: 404, signed: true, json: { error: { code: 'no_image' } } });
    });
  }, 60_000);

  it('lists newest first by site and alarm, needs a viewer, refuses unsigned requests and bad batches', async (ctx) => {
    const why = skip();
    if (why !== undefined) return ctx.skip(why);
    await withRig(180, async (rig) => {
      const key = await rig.enrol('hekou');
      const other = await rig.enrol('shangyou');
      const t = Date.UTC(2026, 6, 2, 0, 0, 0);
      const pics = [
        picture(1, { site: 'site-a', ts: t }),
        picture(2, { site: 'site-b', ts: t + 60_000, alarms: [{ alarmId: 3, transitionId: 5, role: 'before' }] }),
        picture(3, { site: 'site-a', ts: t + 120_000, alarms: [{ alarmId: 3, transitionId: 6, role: 'at' }] }),
        picture(4, { site: 'site-a', ts: t + 180_000, alarms: [{ alarmId: 4, transitionId: 9, role: 'at' }] }),
      ];
      expect((await rig.announce(key, { dbId: DB, images: pics.map((p) => p.meta) }, 'identity')).status).toBe(200);
      expect((await rig.announce(other, { dbId: DB, images: [picture(1, { site: 'site-a' }).meta] })).status).toBe(200);

      const all = await list(rig, 'hekou');
      expect(all.box).toBe('hekou');
      expect(all.images.map((i) => i.id)).toEqual([4, 3, 2, 1]);
      expect(all.images[0]).toEqual({
        dbId: DB,
        id: 4,
        cameraId: 'cam-1',
        siteId: 'site-a',
        ts: t + 180_000,
        cause: 'alarm',
        alarms: [{ alarmId: 4, transitionId: 9, role: 'at' }],
        thumbBytes: pics[3]?.thumb.byteLength,
        full: { size: pics[3]?.full.byteLength, received: 0, complete: false },
      });
      expect((await list(rig, 'hekou', '?site=site-a')).images.map((i) => i.id)).toEqual([4, 3, 1]);
      expect((await list(rig, 'hekou', '?alarm=3')).images.map((i) => i.id)).toEqual([3, 2]);
      expect((await list(rig, 'hekou', '?site=site-a&alarm=3')).images.map((i) => i.id)).toEqual([3]);
      expect((await list(rig, 'hekou', `?db=${DB}&alarm=4`)).images.map((i) => i.id)).toEqual([4]);
      expect((await list(rig, 'hekou', '?limit=2')).images.map((i) => i.id)).toEqual([4, 3]);
      expect((await list(rig, 'hekou', `?limit=2&before=${t + 120_000}`)).images.map((i) => i.id)).toEqual([2, 1]);
      expect((await list(rig, 'shangyou')).images.map((i) => i.id)).toEqual([1]);
      expect((await rig.get('/api/v1/boxes/hekou/images?limit=0')).status).toBe(400);
      expect((await rig.get('/api/v1/boxes/hekou/images?colour=red')).status).toBe(400);
      expect((await rig.get('/api/v1/boxes/nobody/images')).status).toBe(404);
      expect((await rig.get(`/api/v1/boxes/hekou/images/${DB}/7/thumb`)).status).toBe(404);

      const doc = (await (await rig.get('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, { 'x-access'?: string }>> };
      for (const p of [IMAGES_SYNC_PATH, '/api/v1/sync/images/{dbId}/{id}/full', '/api/v1/boxes/{id}/images', '/api/v1/boxes/{id}/images/{dbId}/{imageId}/thumb', '/api/v1/boxes/{id}/images/{dbId}/{imageId}/full']) {
        expect(doc.paths[p], p).toBeDefined();
      }

      // County staff only: a viewer token is needed.
      expect((await rig.get('/api/v1/boxes/hekou/images', null)).status).toBe(401);
      expect((await rig.get(`/api/v1/boxes/hekou/images/${DB}/1/thumb`, null)).status).toBe(401);
      expect((await rig.get('/api/v1/boxes/hekou/images', 'not-a-token')).status).toBe(401);

      // Unsigned: refused before anything is kept.
      const unsigned = await fetch(`${rig.url}${IMAGES_SYNC_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dbId: DB, images: [picture(9).meta] }),
      });
      expect(unsigned.status).toBe(401);
      const unsignedPut = await fetch(`${rig.url}${imageFullPath(DB, 1)}?offset=0`, { method: 'PUT', body: new Uint8Array([1, 2, 3]) });
      expect(unsignedPut.status).toBe(401);
      expect((await list(rig, 'hekou')).images).toHaveLength(4);

      // Bad batches: 400 with the zod issue; a thumbnail that is not a JPEG.
      const noImages = await rig.announce(key, { dbId: DB, images: [] });
      expect(noImages).toMatchObject({ status: 400, signed: true, json: { error: { code: 'bad_request', param: 'images' } } });
      const badSha = await rig.announce(key, { dbId: DB, images: [{ ...picture(9).meta, full: { size: 10, sha256: 'xyz' } }] });
      expect(badSha.json.error).toMatchObject({ code: 'bad_request', param: 'images.0.full.sha256' });
      const png = await rig.announce(key, { dbId: DB, images: [{ ...picture(9).meta, thumb: Buffer.from('\x89PNG\r\n\x1a\n....').toString('base64') }] });
      expect(png.json.error).toMatchObject({ code: 'bad_request', param: 'images.0.thumb' });
      const badDb = await rig.announce(key, { dbId: '../../etc', images: [picture(9).meta] });
      expect(badDb.json.error).toMatchObject({ code: 'bad_request', param: 'dbId' });
      expect((await list(rig, 'hekou')).images).toHaveLength(4);
    });
  }, 60_000);

  it('prunes pictures older than images.keepDays (rows and files), at most once an hour, on an announcement', async (ctx) => {
    const why = skip();
    if (why !== undefined) return ctx.skip(why);
    await withRig(30, async (rig) => {
      const key = await rig.enrol('xiayou');
      const old = picture(1, { alarms: [{ alarmId: 1, transitionId: 1, role: 'at' }] });
      expect((await rig.announce(key, { dbId: DB, images: [old.meta] })).status).toBe(200);
      await rig.put(key, DB, 1, 0, old.full);
      const folder = join(rig.dir, 'images', 'xiayou', DB);
      expect(existsSync(join(folder, '1.jpg'))).toBe(true);

      // Ten minutes short of 30 days: kept (and checked). Past 30 days, but within the hour of that check: still kept.
      rig.now += 30 * DAY - 10 * 60_000;
      expect((await rig.announce(key, { dbId: DB, images: [picture(2).meta] })).status).toBe(200);
      rig.now += 30 * 60_000;
      expect((await rig.announce(key, { dbId: DB, images: [picture(3).meta] })).status).toBe(200);
      expect((await list(rig, 'xiayou')).images.map((i) => i.id)).toEqual([3, 2, 1]);
      expect(events(rig, 'hub.images.pruned')).toEqual([]);

      // An hour after the last check: the old picture goes, with its files and its alarm links.
      rig.now += 31 * 60_000;
      expect((await rig.announce(key, { dbId: DB, images: [picture(4).meta] })).status).toBe(200);
      expect((await list(rig, 'xiayou')).images.map((i) => i.id)).toEqual([4, 3, 2]);
      expect((await list(rig, 'xiayou', '?alarm=1')).images).toEqual([]);
      expect(existsSync(join(folder, '1.jpg'))).toBe(false);
      expect(existsSync(join(folder, '1.thumb.jpg'))).toBe(false);
      expect(existsSync(join(folder, '2.thumb.jpg'))).toBe(true);
      expect(events(rig, 'hub.images.pruned')).toEqual([expect.objectContaining({ pictures: 1, keepDays: 30 })]);
      // The box sends a chunk of it late: the hub no longer has it.
      expect((await rig.put(key, DB, 1, 0, old.full.subarray(0, 10))).json.error?.code).toBe('no_image');
    });
  }, 60_000);
}
