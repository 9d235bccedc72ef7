// The hub's content routes over real HTTP (the hub app on its SQLite store and content directory): publishing needs
// the duty role; the bytes for a box answer only a request signed by an enrolled, unrevoked box the file is for,
// with HTTP Range (206 and Content-Range for bytes=N- and bytes=N-M, 416 past the end, 200 without Range).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnrolment } from '../../node-daemon/sync/enrol/files.js';
import { signRequest, SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { enrolAt, sha256Hex, startContentHub, type ContentHub } from '../sync/content-rig.js';
import { tempDir } from '../storage/storage-helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(): Promise<ContentHub> {
  const h = await startContentHub();
  cleanups.push(() => h.cleanup());
  return h;
}

async function box(h: ContentHub, id: string): Promise<SigningKey> {
  const t = tempDir('fenghuo-content-box-');
  cleanups.push(() => t.cleanup());
  await enrolAt(h, h.url, t.dir, id);
  const e = loadEnrolment(t.dir);
  if (e === undefined) throw new Error('not enrolled');
  return e.boxKey;
}

/** GET the bytes as a box sends it: every field set, then signed with the box key. */
async function getBytes(h: ContentHub, key: SigningKey | undefined, sha: string, range?: string): Promise<Response> {
  const url = new URL(`/api/v1/content/${sha}/bytes`, h.url);
  const headers: Record<string, string> = { host: url.host, ...(range === undefined ? {} : { range }) };
  const signed = key === undefined ? { headers: {} } : signRequest({ method: 'GET', url, headers }, { key, now: Date.now });
  return fetch(url, { headers: { ...headers, ...signed.headers } });
}

describe('hub content routes', () => {
  it('POST /api/v1/content needs the duty role and a valid path; lists and withdraws', async () => {
    const h = await hub();
    const bytes = randomBytes(1000);
    expect((await h.publish(bytes, { path: 'a.bin' }, 'wrong')).status).toBe(401);
    expect((await h.publish(bytes, { path: 'a.bin' }, 'viewer-token')).status).toBe(403);
    const bad = await h.publish(bytes, { path: '../a.bin' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'bad_request', param: 'path' } });
    expect((await h.publish(bytes, { path: 'a.bin', to: 'Not A Box' })).status).toBe(400);
    expect((await h.publish(randomBytes(16 * 1024 * 1024 + 1), { path: 'big.bin' })).status).toBe(413);
    const ok = await h.publish(bytes, { path: 'media/a.bin', title: '汛期通知' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ file: { path: 'media/a.bin', title: '汛期通知', sha256: sha256Hex(bytes), size: 1000, by: 'token:duty' }, replaced: null, orders: [{ id: expect.any(String), seq: expect.any(Number) }] });
    const list = await fetch(`${h.url}/api/v1/content`, { headers: { authorization: 'Bearer viewer-token' } });
    expect(((await list.json()) as { files: { path: string }[] }).files.map((f) => f.path)).toEqual(['media/a.bin']);
    const gone = await fetch(`${h.url}/api/v1/content?path=media/a.bin`, { method: 'DELETE', headers: { authorization: 'Bearer duty-token-for-content-tests' } });
    expect(gone.status).toBe(200);
    expect(await gone.json()).toMatchObject({ withdrawn: { path: 'media/a.bin', withdrawnAt: expect.any(Number) }, orders: [{ seq: expect.any(Number) }] });
    expect((await fetch(`${h.url}/api/v1/content?path=media/a.bin`, { method: 'DELETE', headers: { authorization: 'Bearer duty-token-for-content-tests' } })).status).toBe(404);
    // Each change went out as a content_manifest order through the hub's orders module.
    expect(h.logs.filter((l) => l['event'] === 'hub.order.issued').map((l) => l['kind'])).toEqual(['content_manifest', 'content_manifest']);
  }, 30_000);

  it('serves a box the bytes with Range: 200 whole, 206 for bytes=N- and bytes=N-M, 416 past the end', async () => {
    const h = await hub();
    const key = await box(h, 'box-1');
    const bytes = randomBytes(100_000);
    const sha = sha256Hex(bytes);
    expect((await h.publish(bytes, { path: 'f.bin' })).status).toBe(201);

    const whole = await getBytes(h, key, sha);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const tail = await getBytes(h, key, sha, 'bytes=60000-');
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe('bytes 60000-99999/100000');
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(60000))).toBe(true);

    const mid = await getBytes(h, key, sha, 'bytes=10-19');
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe('bytes 10-19/100000');
    expect(Buffer.from(await mid.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);

    const past = await getBytes(h, key, sha, 'bytes=100000-');
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */100000');
    // Not signed over the body (outside /api/v1/sync/): integrity is the manifest's sha256.
    expect(mid.headers.get('signature')).toBeNull();
  }, 30_000);

  it('refuses an unsigned request, an unknown box, a revoked box, and a box the file is not for', async () => {
    const h = await hub();
    const key = await box(h, 'box-1');
    const other = await box(h, 'box-2');
    const bytes = randomBytes(5000);
    const sha = sha256Hex(bytes);
    expect((await h.publish(bytes, { path: 'only-for-1.bin', to: 'box-1' })).status).toBe(201);

    expect((await getBytes(h, undefined, sha, 'bytes=0-')).status).toBe(401);
    const stranger = SigningKey.generate('box-9');
    expect((await getBytes(h, stranger, sha, 'bytes=0-')).status).toBe(403);
    const notFor = await getBytes(h, other, sha, 'bytes=0-');
    expect(notFor.status).toBe(404);
    expect((await getBytes(h, key, sha, 'bytes=0-')).status).toBe(206);
    expect((await getBytes(h, key, 'f'.repeat(64), 'bytes=0-')).status).toBe(404);

    await h.store.revokeBox('box-1', Date.now());
    const revoked = await getBytes(h, key, sha, 'bytes=0-');
    expect(revoked.status).toBe(403);
    expect(await revoked.json()).toMatchObject({ error: { code: 'revoked' } });
    // A replayed request (same signature, same nonce) is refused.
    const url = new URL(`/api/v1/content/${sha}/bytes`, h.url);
    const headers = { host: url.host };
    const signed = signRequest({ method: 'GET', url, headers }, { key: other, now: Date.now });
    expect((await fetch(url, { headers: { ...headers, ...signed.headers } })).status).toBe(404);
    expect((await fetch(url, { headers: { ...headers, ...signed.headers } })).status).toBe(401);
  }, 30_000);
});
