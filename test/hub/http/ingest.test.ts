// Issue 12: POST /api/v1/sync/ingest on real HTTP (loopback, the hub app on @hono/node-server, SQLite in a temp dir):
// accepted and acked, resent harmlessly, and every kind of refusal answered with its status and code, signed by the
// county key, logged (`hub.refused`) and counted.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDigest, signRequest, SigningKey } from '../../../node-daemon/sync/protocol/index.js';
import { seqDigest } from '../../../hub/store/checksum.js';
import {
  alarmRecord,
  boxRequest,
  encode,
  enrolBoxOverHttp,
  healthRecord,
  readingsRecord,
  send,
  startHub,
  T0,
  type Answer,
  type LogLine,
  type TestHub,
} from './hub-fixture.js';

let hub: TestHub;
let boxA: SigningKey;
let boxB: SigningKey;

beforeAll(async () => {
  hub = await startHub();
  boxA = await enrolBoxOverHttp(hub, 'xiaoshan-01');
  boxB = await enrolBoxOverHttp(hub, 'xiaoshan-02');
});
afterAll(async () => {
  await hub?.close();
});

const batch = {
  box: 'xiaoshan-01',
  dbId: 'db-1',
  batch: 1,
  lanes: [
    { lane: 'alarm', after: 0, records: [alarmRecord(3, 1, 1)] },
    { lane: 'health', after: 0, records: [healthRecord(4)] },
    { lane: 'readings', after: 0, records: [readingsRecord(1, 1, 30), readingsRecord(2, 31, 30)] },
  ],
};

function lastRefusal(): LogLine | undefined {
  return hub.logs.filter((l) => l.event === 'hub.refused').at(-1);
}

/** The answer is a refusal with this status and code, signed, logged with the reason (and key id when known). */
function expectRefused(a: Answer, status: number, code: string, keyid?: string): void {
  expect({ status: a.status, code: a.json.error?.code }).toEqual({ status, code });
  expect(a.signature.ok, `the ${status} answer is signed by the county key`).toBe(true);
  const line = lastRefusal();
  expect(line).toMatchObject({ event: 'hub.refused', reason: code, status, level: 'warn' });
  if (keyid !== undefined) expect(line?.keyid).toBe(keyid);
}

describe('POST /api/v1/sync/ingest', () => {
  it('stores a signed, brotli-compressed batch and acks every lane, signed and bound to the request', async () => {
    const a = await send(hub, await boxRequest(hub.url, boxA, batch));
    expect(a.status).toBe(200);
    expect(a.json.acked).toEqual({ alarm: 3, health: 4, readings: 2, bulk: 0 });
    expect(typeof a.json.hubTime).toBe('number');
    expect(a.signature.ok).toBe(true);
    const stats = await hub.store.recordStats('xiaoshan-01');
    expect(stats.readings.count).toBe(60);
    expect(stats.kinds.alarm.count).toBe(1);
    const ingest = hub.logs.find((l) => l.event === 'hub.ingest');
    expect(ingest).toMatchObject({ box: 'xiaoshan-01', stored: 4 });
    const box = await hub.store.getBox('xiaoshan-01');
    expect(box?.lastLink).toMatchObject({ dbId: 'db-1', batch: 1, encoding: 'br' });
  });

  it('takes the same batch resent (a new signature): the same marks, nothing stored twice', async () => {
    const before = await hub.store.recordStats('xiaoshan-01');
    const a = await send(hub, await boxRequest(hub.url, boxA, batch, { encoding: 'gzip' }));
    expect(a.status).toBe(200);
    expect(a.json.acked).toEqual({ alarm: 3, health: 4, readings: 2, bulk: 0 });
    const after = await hub.store.recordStats('xiaoshan-01');
    expect(after).toEqual(before);
    expect(after.readings.digest).toBe(seqDigest(Array.from({ length: 60 }, (_, i) => i + 1)));
    expect(hub.logs.filter((l) => l.event === 'hub.ingest').at(-1)).toMatchObject({ stored: 0, duplicates: 4 });
  });

  it('takes an uncompressed body too', async () => {
    const a = await send(hub, await boxRequest(hub.url, boxA, { box: 'xiaoshan-01', batch: 2, lanes: [{ lane: 'health', after: 4, records: [healthRecord(5)] }] }, { encoding: 'identity' }));
    expect(a.status).toBe(200);
    expect(a.json.acked?.health).toBe(5);
  });

  it('answers 409 with the hub\'s marks when a lane is ahead of them', async () => {
    const a = await send(hub, await boxRequest(hub.url, boxA, { box: 'xiaoshan-01', lanes: [{ lane: 'readings', after: 50, records: [readingsRecord(60, 500, 2)] }] }));
    expect(a.status).toBe(409);
    expect(a.json.acked).toEqual({ alarm: 3, health: 5, readings: 2, bulk: 0 });
    expect(a.json.conflicts).toEqual(['readings']);
    expect(a.signature.ok).toBe(true);
  });

  it('takes an alarm record whose rows the box lost (missing: true): 200, the alarm lane moves on', async () => {
    const lost = { seq: 6, kind: 'alarm', ts: T0, payload: { alarmId: 1, transitionId: 2, type: 'cleared', missing: true } };
    const body = { box: 'xiaoshan-01', dbId: 'db-1', lanes: [{ lane: 'alarm', after: 3, records: [lost, alarmRecord(7, 1, 3, 'acknowledged')] }] };
    const a = await send(hub, await boxRequest(hub.url, boxA, body));
    expect(a.status).toBe(200);
    expect(a.json.acked?.alarm).toBe(7);
    const stats = await hub.store.recordStats('xiaoshan-01');
    expect(stats.kinds.alarm).toMatchObject({ count: 3, digest: seqDigest([3, 6, 7]) });
    expect(stats.alarmTransitions).toBe(2);
  });

  it('a box back with a new database (new dbId, seq from 1): stored as a new series, logged; its old dbId then 409 stale_database', async () => {
    const boxZ = await enrolBoxOverHttp(hub, 'xiaoshan-09');
    const fresh = { box: 'xiaoshan-09', dbId: 'b2-one', lanes: [{ lane: 'readings', after: 0, records: [readingsRecord(1, 1, 3)] }] };
    expect((await send(hub, await boxRequest(hub.url, boxZ, fresh))).status).toBe(200);
    const again = { box: 'xiaoshan-09', dbId: 'b2-two', lanes: [{ lane: 'readings', after: 0, records: [readingsRecord(1, 1, 2)] }] };
    const a = await send(hub, await boxRequest(hub.url, boxZ, again));
    expect(a.status).toBe(200);
    expect(a.json.acked?.readings).toBe(1);
    expect(hub.logs.filter((l) => l.event === 'hub.box.new_database').at(-1)).toMatchObject({ box: 'xiaoshan-09', from: 'b2-one', to: 'b2-two' });
    expect((await hub.store.recordStats('xiaoshan-09')).readings.count).toBe(2);
    const stale = await send(hub, await boxRequest(hub.url, boxZ, { ...fresh, lanes: [{ lane: 'readings', after: 1, records: [readingsRecord(2, 4, 1)] }] }));
    expectRefused(stale, 409, 'stale_database', 'xiaoshan-09');
    expect(stale.json.acked).toBeUndefined();
    expect(hub.refusals.get('new_database', 'xiaoshan-09')).toBe(1);
  });

  it('refuses a forged signature (another key under the box\'s id): 401 bad_signature', async () => {
    const forger = SigningKey.generate('xiaoshan-01');
    const a = await send(hub, await boxRequest(hub.url, forger, { box: 'xiaoshan-01', lanes: [{ lane: 'health', after: 5, records: [healthRecord(6)] }] }));
    expectRefused(a, 401, 'bad_signature', 'xiaoshan-01');
    expect(hub.refusals.get('bad_signature', 'xiaoshan-01')).toBe(1);
    expect((await hub.store.laneMarks('xiaoshan-01'))?.health).toBe(5);
  });

  it('refuses a replayed request: 401 replayed, and stores nothing from it', async () => {
    const req = await boxRequest(hub.url, boxA, { box: 'xiaoshan-01', lanes: [{ lane: 'health', after: 5, records: [healthRecord(7)] }] });
    expect((await send(hub, req)).status).toBe(200);
    const again = await send(hub, req);
    expectRefused(again, 401, 'replayed', 'xiaoshan-01');
    expect(hub.refusals.get('replayed', 'xiaoshan-01')).toBe(1);
  });

  it('refuses a body signed by box A that claims to be box B: 403 box_mismatch, nothing stored for B', async () => {
    const a = await send(hub, await boxRequest(hub.url, boxA, { box: 'xiaoshan-02', lanes: [{ lane: 'health', after: 0, records: [healthRecord(1)] }] }));
    expectRefused(a, 403, 'box_mismatch', 'xiaoshan-01');
    expect((await hub.store.recordStats('xiaoshan-02')).healthSnapshots).toBe(0);
    expect(await hub.store.laneMarks('xiaoshan-02')).toEqual({ alarm: 0, health: 0, readings: 0, bulk: 0 });
  });

  it('refuses an unknown key id: 403 unknown_key', async () => {
    const stranger = SigningKey.generate('nobody-here');
    const a = await send(hub, await boxRequest(hub.url, stranger, { box: 'nobody-here', lanes: [] }));
    expectRefused(a, 403, 'unknown_key', 'nobody-here');
  });

  it('refuses an unsigned request: 401 missing_component', async () => {
    const body = await encode(JSON.stringify({ box: 'xiaoshan-01', lanes: [] }), 'br');
    const a = await send(hub, { url: `${hub.url}/api/v1/sync/ingest`, headers: { 'content-type': 'application/json', 'content-encoding': 'br', 'content-digest': contentDigest(body) }, body });
    expect({ status: a.status, code: a.json.error?.code }).toEqual({ status: 401, code: 'missing_component' });
    // Signed all the same (bound to the request's method, authority, path and digest; it had no signature to bind).
    expect(a.headers.get('signature-input')).toContain(`"content-digest";req);created=`);
    expect(a.headers.get('signature-input')).toContain(`keyid="${hub.countyKey.keyid}"`);
    expect(lastRefusal()).toMatchObject({ event: 'hub.refused', reason: 'missing_component', status: 401 });
  });

  it('refuses a request signed with a clock 10 minutes behind: 401 too_old, whose signature tells the hub\'s time', async () => {
    const req = await boxRequest(hub.url, boxB, { box: 'xiaoshan-02', lanes: [] }, { now: () => Date.now() - 600_000 });
    const a = await send(hub, req);
    expectRefused(a, 401, 'too_old', 'xiaoshan-02');
    expect(a.signature.ok && Math.abs(a.signature.created * 1000 - Date.now()) < 5_000).toBe(true);
  });

  it('refuses a tampered compressed body: 400 digest_mismatch; with a digest made to match, 401 bad_signature', async () => {
    const req = await boxRequest(hub.url, boxB, { box: 'xiaoshan-02', lanes: [{ lane: 'health', after: 0, records: [healthRecord(1)] }] }, { encoding: 'gzip' });
    const tampered = new Uint8Array(req.body);
    tampered[tampered.length - 12] = (tampered[tampered.length - 12] ?? 0) ^ 0xff;
    expectRefused(await send(hub, { ...req, body: tampered }), 400, 'digest_mismatch', 'xiaoshan-02');
    const redigested = { ...req, body: tampered, headers: { ...req.headers, 'content-digest': contentDigest(tampered) } };
    expectRefused(await send(hub, redigested), 401, 'bad_signature', 'xiaoshan-02');
    expect((await hub.store.recordStats('xiaoshan-02')).healthSnapshots).toBe(0);
  });

  it.each(['br', 'gzip'] as const)('refuses a %s zip bomb at the decompressed cap: 413 payload_too_large, never inflated whole', async (encoding) => {
    const bomb = new Uint8Array(64 * 1024 * 1024).fill(0x20);
    const req = await boxRequest(hub.url, boxB, bomb, { encoding });
    expect(req.body.byteLength).toBeLessThan(1024 * 1024);
    const a = await send(hub, req);
    expectRefused(a, 413, 'payload_too_large', 'xiaoshan-02');
    expect(lastRefusal()?.detail).toMatch(/inflates past 16777216 bytes/);
  });

  it('refuses a malformed body with the key path: 400 bad_request', async () => {
    const bad = { box: 'xiaoshan-02', lanes: [{ lane: 'readings', after: 0, records: [{ ...readingsRecord(1, 1, 2), seq: -1 }] }] };
    const a = await send(hub, await boxRequest(hub.url, boxB, bad));
    expectRefused(a, 400, 'bad_request', 'xiaoshan-02');
    expect(a.json.error?.param).toBe('lanes.0.records.0.seq');
    const wrongLane = { box: 'xiaoshan-02', lanes: [{ lane: 'alarm', after: 0, records: [healthRecord(1)] }] };
    const b = await send(hub, await boxRequest(hub.url, boxB, wrongLane));
    expect({ status: b.status, param: b.json.error?.param }).toEqual({ status: 400, param: 'lanes.0.records.0.kind' });
    const notJson = await send(hub, await boxRequest(hub.url, boxB, '{"box": '));
    expect({ status: notJson.status, code: notJson.json.error?.code }).toEqual({ status: 400, code: 'bad_request' });
  });

  it('refuses an encoding other than br or gzip: 415', async () => {
    const body = new Uint8Array(Buffer.from(JSON.stringify({ box: 'xiaoshan-02', lanes: [] })));
    const url = `${hub.url}/api/v1/sync/ingest`;
    const headers = { 'content-type': 'application/json', 'content-encoding': 'deflate' };
    const signed = signRequest({ method: 'POST', url, headers, body }, { key: boxB, now: Date.now });
    const a = await send(hub, { url, headers: { ...headers, ...signed.headers }, body });
    expectRefused(a, 415, 'unsupported_encoding', 'xiaoshan-02');
  });

  it('refuses a revoked box: 403 revoked, after checking its signature', async () => {
    const c = await enrolBoxOverHttp(hub, 'xiaoshan-03');
    expect((await send(hub, await boxRequest(hub.url, c, { box: 'xiaoshan-03', lanes: [] }))).status).toBe(200);
    expect(await hub.store.revokeBox('xiaoshan-03', Date.now())).toBe(true);
    const a = await send(hub, await boxRequest(hub.url, c, { box: 'xiaoshan-03', lanes: [{ lane: 'health', after: 0, records: [healthRecord(1)] }] }));
    expectRefused(a, 403, 'revoked', 'xiaoshan-03');
    // A forger naming the revoked box learns only that its signature is bad.
    const forged = await send(hub, await boxRequest(hub.url, SigningKey.generate('xiaoshan-03'), { box: 'xiaoshan-03', lanes: [] }));
    expectRefused(forged, 401, 'bad_signature', 'xiaoshan-03');
  });

  it('counts refusals by reason and box, and GET /api/v1/boxes shows them (loopback)', async () => {
    const res = await fetch(`${hub.url}/api/v1/boxes`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { boxes: Array<{ id: string; revokedAt: number | null }>; refused: { byReason: Record<string, number>; byBox: Record<string, Record<string, number>> } };
    expect(body.boxes.map((b) => b.id)).toEqual(['xiaoshan-01', 'xiaoshan-02', 'xiaoshan-03', 'xiaoshan-09']);
    expect(body.boxes[2]?.revokedAt).not.toBeNull();
    expect(body.boxes[3]).toMatchObject({ dbId: 'b2-two', databaseChanges: 1 });
    expect(body.refused.byReason).toMatchObject({ bad_signature: 3, replayed: 1, box_mismatch: 1, unknown_key: 1, revoked: 1, payload_too_large: 2 });
    expect(body.refused.byBox['xiaoshan-01']).toMatchObject({ bad_signature: 1, replayed: 1, box_mismatch: 1 });
    expect(body.refused.byBox['nobody-here']).toBeUndefined();
  });

  it('never logs a key or a body', () => {
    const text = hub.logText();
    for (const key of [boxA, boxB, hub.countyKey]) expect(text).not.toContain(key.exportPrivateKeyPem().split('\n')[1]);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('一号站');
  });
});

describe('POST /api/v1/sync/ingest body limits', () => {
  let small: TestHub;
  let key: SigningKey;
  beforeAll(async () => {
    small = await startHub({ limits: { maxBodyBytes: 8192, maxDecompressedBytes: 65536 } });
    key = await enrolBoxOverHttp(small, 'box-1');
  });
  afterAll(async () => {
    await small?.close();
  });

  it('answers a body over maxBodyBytes with a signed 413 before verifying anything', async () => {
    const noise = randomBytes(12_000).toString('base64');
    const a = await send(small, await boxRequest(small.url, key, { box: 'box-1', lanes: [], noise }, { encoding: 'identity' }));
    expect({ status: a.status, code: a.json.error?.code }).toEqual({ status: 413, code: 'payload_too_large' });
    expect(a.signature.ok).toBe(true);
    expect(small.logs.filter((l) => l.event === 'hub.refused').at(-1)).toMatchObject({ reason: 'payload_too_large', status: 413 });
  });

  it('cuts off a body over twice the limit in the transport, unread and unsigned (the backstop)', async () => {
    const noise = randomBytes(30_000).toString('base64');
    const req = await boxRequest(small.url, key, { box: 'box-1', lanes: [], noise }, { encoding: 'identity' });
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    expect(res.status).toBe(413);
    expect(res.headers.get('signature')).toBeNull();
    expect(res.headers.get('connection')).toBe('close');
  });
});
