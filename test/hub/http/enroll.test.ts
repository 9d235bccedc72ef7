// Issue 12: POST /api/v1/sync/enroll and GET /api/v1/boxes on real HTTP (loopback, SQLite in a temp dir).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureThrottle } from '../../../node-daemon/auth/rate-limit.js';
import { formatEnrolCode, generateEnrolCode } from '../../../node-daemon/sync/enrol/code.js';
import { publicKeyFromRaw, publicKeyToRaw, signRequest, SigningKey, verifyResponse } from '../../../node-daemon/sync/protocol/index.js';
import { startHub, type TestHub } from './hub-fixture.js';

interface EnrolAnswer {
  status: number;
  json: { boxId?: string; countyPublicKey?: string; countyKeyId?: string; hubTime?: number; error?: { code?: string; param?: string; message?: string } };
  headers: Headers;
  bytes: Uint8Array;
}

async function enrol(hub: TestHub, body: unknown, headers: Record<string, string> = {}): Promise<EnrolAnswer> {
  const res = await fetch(`${hub.url}/api/v1/sync/enroll`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, json: JSON.parse(Buffer.from(bytes).toString('utf8')) as EnrolAnswer['json'], headers: res.headers, bytes };
}

async function newCode(hub: TestHub, boxId?: string, ttlMs = 3600_000): Promise<string> {
  const code = generateEnrolCode(boxId);
  const now = Date.now();
  await hub.store.createEnrolmentCode({ code: code.canonical, createdAt: now - 1000, expiresAt: now + ttlMs });
  return formatEnrolCode(code);
}

const raw = (): string => publicKeyToRaw(SigningKey.generate('x').publicKey);

describe('POST /api/v1/sync/enroll', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ enrolThrottle: new FailureThrottle(Date.now, { freeFailures: 1000 }) });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('enrols with a one-time code and answers the county key, signed by it and bound to the (box-signed) request', async () => {
    const code = await newCode(hub, 'xiaoshan-01');
    const key = SigningKey.generate('xiaoshan-01');
    const url = `${hub.url}/api/v1/sync/enroll`;
    const body = JSON.stringify({ code, boxId: 'xiaoshan-01', publicKey: publicKeyToRaw(key.publicKey), name: '萧山一号' });
    const headers = { 'content-type': 'application/json' };
    const signed = signRequest({ method: 'POST', url, headers, body }, { key, now: Date.now });
    const sent = { ...headers, ...signed.headers };
    const res = await fetch(url, { method: 'POST', headers: sent, body });
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(200);
    const json = JSON.parse(Buffer.from(bytes).toString()) as { boxId: string; countyPublicKey: string; countyKeyId: string; hubTime: number };
    expect(json).toEqual({ boxId: 'xiaoshan-01', countyPublicKey: publicKeyToRaw(hub.countyKey.publicKey), countyKeyId: 'county-test', hubTime: expect.any(Number) });
    const v = verifyResponse({ status: 200, headers: res.headers, body: bytes }, { method: 'POST', url, headers: sent }, { keys: new Map([[json.countyKeyId, publicKeyFromRaw(json.countyPublicKey)]]) });
    expect(v.ok).toBe(true);
    const box = await hub.store.getBox('xiaoshan-01');
    expect(box).toMatchObject({ publicKey: publicKeyToRaw(key.publicKey), name: '萧山一号', revokedAt: null });
    expect(hub.logs.find((l) => l.event === 'hub.enrolled')).toMatchObject({ box: 'xiaoshan-01', fingerprint: key.fingerprint });
  });

  it('takes a code typed loosely (lower case, spaces, O for 0)', async () => {
    const code = await newCode(hub);
    const sloppy = code.toLowerCase().replace(/0/g, 'o').replace(/-/g, ' ');
    expect((await enrol(hub, { code: sloppy, boxId: 'loose-1', publicKey: raw() })).status).toBe(200);
  });

  it('refuses a used, an unknown and an expired code: 401, logged without the code', async () => {
    const code = await newCode(hub);
    expect((await enrol(hub, { code, boxId: 'used-1', publicKey: raw() })).status).toBe(200);
    const again = await enrol(hub, { code, boxId: 'used-2', publicKey: raw() });
    expect({ status: again.status, code: again.json.error?.code }).toEqual({ status: 401, code: 'code_used' });
    expect(again.headers.get('signature')).toMatch(/^sig1=:/);

    const unknown = await enrol(hub, { code: formatEnrolCode(generateEnrolCode()), boxId: 'unknown-1', publicKey: raw() });
    expect({ status: unknown.status, code: unknown.json.error?.code }).toEqual({ status: 401, code: 'unknown_code' });
    const garbage = await enrol(hub, { code: 'letmein', boxId: 'unknown-2', publicKey: raw() });
    expect({ status: garbage.status, code: garbage.json.error?.code }).toEqual({ status: 401, code: 'unknown_code' });

    const expired = generateEnrolCode();
    await hub.store.createEnrolmentCode({ code: expired.canonical, createdAt: Date.now() - 7200_000, expiresAt: Date.now() - 3600_000 });
    const late = await enrol(hub, { code: expired.canonical, boxId: 'late-1', publicKey: raw() });
    expect({ status: late.status, code: late.json.error?.code }).toEqual({ status: 401, code: 'code_expired' });

    const refused = hub.logs.filter((l) => l.event === 'hub.refused').map((l) => l.reason);
    expect(refused).toEqual(expect.arrayContaining(['code_used', 'unknown_code', 'code_expired']));
    expect(hub.logText()).not.toContain(code.replace(/-/g, '').slice(-10));
    expect(hub.logText()).not.toContain(expired.secret);
  });

  it('refuses a code made for another box (the binding cannot be edited away)', async () => {
    const code = await newCode(hub, 'bound-1');
    const other = await enrol(hub, { code, boxId: 'bound-2', publicKey: raw() });
    expect({ status: other.status, code: other.json.error?.code }).toEqual({ status: 401, code: 'code_box_mismatch' });
    const edited = await enrol(hub, { code: code.replace('bound-1', 'bound-2'), boxId: 'bound-2', publicKey: raw() });
    expect({ status: edited.status, code: edited.json.error?.code }).toEqual({ status: 401, code: 'unknown_code' });
    expect((await enrol(hub, { code, boxId: 'bound-1', publicKey: raw() })).status).toBe(200);
  });

  it('answers 409 box_exists for a taken id, and the code stays good', async () => {
    const code = await newCode(hub);
    const taken = await enrol(hub, { code, boxId: 'xiaoshan-01', publicKey: raw() });
    expect({ status: taken.status, code: taken.json.error?.code }).toEqual({ status: 409, code: 'box_exists' });
    expect((await enrol(hub, { code, boxId: 'fresh-1', publicKey: raw() })).status).toBe(200);
  });

  it('refuses a malformed request with the field: 400', async () => {
    const code = await newCode(hub);
    const shortKey = await enrol(hub, { code, boxId: 'bad-1', publicKey: 'abc' });
    expect({ status: shortKey.status, code: shortKey.json.error?.code, param: shortKey.json.error?.param }).toEqual({ status: 400, code: 'bad_request', param: 'publicKey' });
    const badId = await enrol(hub, { code, boxId: 'Bad_Id', publicKey: raw() });
    expect({ status: badId.status, param: badId.json.error?.param }).toEqual({ status: 400, param: 'boxId' });
    const extra = await enrol(hub, { code, boxId: 'bad-2', publicKey: raw(), admin: true });
    expect({ status: extra.status, param: extra.json.error?.param }).toEqual({ status: 400, param: 'admin' });
  });
});

describe('enrolment rate limit per address', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ enrolThrottle: new FailureThrottle(Date.now, { freeFailures: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, forgetAfterMs: 60_000 }) });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('makes an address that keeps failing wait (429, Retry-After), even with a good code', async () => {
    for (let i = 0; i < 4; i += 1) {
      const a = await enrol(hub, { code: formatEnrolCode(generateEnrolCode()), boxId: `guess-${i}`, publicKey: raw() });
      expect(a.status).toBe(401);
    }
    const good = await newCode(hub);
    const held = await enrol(hub, { code: good, boxId: 'honest-1', publicKey: raw() });
    expect({ status: held.status, code: held.json.error?.code }).toEqual({ status: 429, code: 'rate_limited' });
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(hub.logs.filter((l) => l.event === 'hub.refused').at(-1)).toMatchObject({ reason: 'rate_limited', status: 429 });
    expect(await hub.store.getBox('honest-1')).toBeUndefined();
  });
});

describe('GET /api/v1/boxes with a read token', () => {
  const token = 'county-page-token-0123456789';
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startHub({ readTokenSha256: createHash('sha256').update(token).digest('hex') });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('answers the bearer of the token only (loopback is not enough then)', async () => {
    expect((await fetch(`${hub.url}/api/v1/boxes`)).status).toBe(401);
    expect((await fetch(`${hub.url}/api/v1/boxes`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${hub.url}/api/v1/boxes`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ boxes: [], refused: { byReason: {}, byBox: {} } });
  });

  it('answers JSON 404 for an unknown route, signed under /api/v1/sync/', async () => {
    const res = await fetch(`${hub.url}/api/v1/sync/nothing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('signature')).toMatch(/^sig1=:/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
