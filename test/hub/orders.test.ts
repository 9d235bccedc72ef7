// The hub's downstream orders on both back ends: the store (issue, a box's orders after its cursor, targets, expiry,
// unique ids, delivery per box), and the long-poll of a real `fenghuo hub` process answering as soon as an order is
// issued by ANOTHER process on the same database (`fenghuo hub order …`, the CLI, which writes the store directly).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { issueOrder, OrderRequestError } from '../../hub/orders/issue-order.js';
import { deliveries } from '../../hub/orders/deliveries.js';
import { HubOrderStore, OrderIdTaken } from '../../hub/orders/order-store.js';
import { loadOrCreateCountyKey } from '../../hub/county-key.js';
import { tokenAccess } from '../../hub/http/access.js';
import { createHubApp } from '../../hub/http/app.js';
import { nonceStoreFor } from '../../hub/http/nonce-store.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { HubStore } from '../../hub/store/types.js';
import { publicKeyToRaw, SigningKey, verifyOrder } from '../../node-daemon/sync/protocol/index.js';
import { ORDERS_PATH, parseOrdersAnswer } from '../../node-daemon/sync/protocol/orders-wire.js';
import { NodeHttpTransport, signedRequest } from '../../node-daemon/sync/push/transport.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { backends, title, type Fixture } from './backends.js';
import { fenghuo, freePort, startHubProcess, type RunningHub } from './http/cli-runner.js';

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

async function enrolBox(store: HubStore, boxId: string, at = Date.now()): Promise<SigningKey> {
  const key = SigningKey.generate(boxId);
  const code = `code-${boxId}-${Math.random().toString(36).slice(2)}`;
  await store.createEnrolmentCode({ code, createdAt: at, expiresAt: at + 3_600_000 });
  const r = await store.enrol({ code, boxId, publicKey: publicKeyToRaw(key.publicKey), at });
  if (!r.ok) throw new Error(`enrol ${boxId}: ${r.reason}`);
  return key;
}

describe.each(BACKENDS.map((b) => [title(b), b] as const))('hub orders on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('issues signed orders with increasing seqs; a box gets those for it and for every box, unexpired, after its cursor', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    await enrolBox(store, 'town-a');
    await enrolBox(store, 'town-b');
    await enrolBox(store, 'town-c');
    const county = SigningKey.generate('county-test');
    const orders = new HubOrderStore(store.sql);
    let now = 1_765_000_000_000;
    const deps = { orders, countyKey: county, clock: () => now };

    const all = await issueOrder(deps, { kind: 'county_alarm', body: { level: 'evacuate', title: '县防指：立即转移' }, by: '值班员' });
    now += 1000;
    const forA = await issueOrder(deps, { kind: 'notice', body: { title: '通知', text: '只给 A' }, to: ['town-a'], by: '值班员' });
    now += 1000;
    const forB = await issueOrder(deps, { kind: 'notice', body: { title: '通知', text: '只给 B' }, to: ['town-b', 'town-c'], by: '值班员' });
    now += 1000;
    const shortLived = await issueOrder(deps, { kind: 'notice', body: { title: '短', text: '一分钟' }, by: '值班员', ttl: 60_000 });
    expect([all.seq, forA.seq, forB.seq, shortLived.seq]).toEqual([...[all.seq, forA.seq, forB.seq, shortLived.seq]].sort((x, y) => x - y));
    expect(new Set([all.seq, forA.seq, forB.seq, shortLived.seq]).size).toBe(4);
    expect(all.order.kind === 'county_alarm' && all.order.body.alertId).toMatch(/^county-/);

    // The same id twice is refused; a malformed request names its field and stores nothing.
    await expect(issueOrder(deps, { kind: 'notice', body: { title: 'x', text: 'y' }, by: 'a', id: forA.id })).rejects.toBeInstanceOf(OrderIdTaken);
    await expect(issueOrder(deps, { kind: 'county_alarm', body: { level: 'flood', title: 't' }, by: 'a' })).rejects.toThrow(OrderRequestError);
    await expect(issueOrder(deps, { kind: 'notice', body: { title: 'x', text: 'y' }, by: 'a', to: ['Not A Box'] })).rejects.toThrow(/not a box id/);
    expect(await orders.top()).toBe(shortLived.seq);

    const a = await orders.forBox('town-a', 0, now, 100);
    expect(a.orders.map((o) => o.seq)).toEqual([all.seq, forA.seq, shortLived.seq]);
    expect(a.top).toBe(shortLived.seq);
    const b = await orders.forBox('town-b', all.seq, now, 100);
    expect(b.orders.map((o) => o.seq)).toEqual([forB.seq, shortLived.seq]);
    // Paging: a full page says so.
    expect(await orders.forBox('town-a', 0, now, 2)).toMatchObject({ full: true, orders: [{ seq: all.seq }, { seq: forA.seq }] });
    // Expired by the hub's clock: not served.
    const later = await orders.forBox('town-a', forA.seq, now + 120_000, 100);
    expect(later.orders).toEqual([]);
    expect(later.top).toBe(shortLived.seq);

    // Every order served verifies at the box it is for, with the county key, and at no other box.
    for (const s of a.orders) {
      const check = verifyOrder(s, { countyKey: county.publicKey, countyKeyId: county.keyid, boxId: 'town-a', now, seen: () => false });
      expect(check.ok).toBe(true);
    }
    const stolen = a.orders.find((o) => o.seq === forA.seq)!;
    expect(verifyOrder(stolen, { countyKey: county.publicKey, countyKeyId: county.keyid, boxId: 'town-b', now, seen: () => false })).toMatchObject({ ok: false, reason: 'not_addressed' });

    // Delivery: a box that asked after=S has received every order up to S.
    await orders.noteCursor('town-a', forA.seq, now);
    await orders.noteCursor('town-b', 0, now);
    const listed = await orders.list({ limit: 10 });
    expect(listed.map((o) => o.seq)).toEqual([shortLived.seq, forB.seq, forA.seq, all.seq]);
    const [boxes, cursors] = await Promise.all([orders.boxes(), orders.cursors()]);
    const first = listed.find((o) => o.seq === all.seq)!;
    expect(deliveries(first, boxes, cursors)).toMatchObject({ addressed: 3, received: 1, boxes: [{ box: 'town-a', received: true }, { box: 'town-b', received: false }, { box: 'town-c', received: false, lastAskedAt: null }] });
    expect(deliveries(listed.find((o) => o.seq === forB.seq)!, boxes, cursors)).toMatchObject({ addressed: 2, received: 0 });
    expect((await orders.get(forA.id))?.to).toEqual(['town-a']);
  });

  it.skipIf(skip)('POST /api/v1/orders issues as the caller (duty; settings needs admin), GET /api/v1/orders lists them with their delivery', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    await enrolBox(store, 'town-a');
    const token = (name: string, role: 'viewer' | 'duty' | 'admin') => ({ name, role, sha256: createHash('sha256').update(`tok-${name}`).digest('hex') });
    const { app } = createHubApp({
      store,
      countyKey: SigningKey.generate('county-api'),
      nonces: nonceStoreFor(store, Date.now),
      log: silentLogger(),
      access: tokenAccess([token('watch', 'viewer'), token('duty', 'duty'), token('boss', 'admin')]),
    });
    const call = (who: string, method: string, body?: unknown) =>
      app.request('/api/v1/orders', { method, headers: { authorization: `Bearer tok-${who}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const notice = { kind: 'notice', body: { title: '通知', text: '今晚巡堤' }, to: ['town-a'], ttlMinutes: 60 };
    expect((await call('watch', 'POST', notice)).status).toBe(403);
    const created = await call('duty', 'POST', notice);
    expect(created.status).toBe(201);
    const issued = (await created.json()) as { id: string; seq: number; order: { by: string; expiresAt: number; issuedAt: number } };
    expect(issued.order.by).toBe('token:duty');
    expect(issued.order.expiresAt - issued.order.issuedAt).toBe(3_600_000);
    expect((await call('duty', 'POST', { ...notice, id: issued.id })).status).toBe(409);
    const bad = await call('duty', 'POST', { kind: 'county_alarm', body: { level: 'evacuate' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('body.title');
    const settings = { kind: 'settings', body: { section: 'alarms', value: { sites: [] } } };
    expect((await call('duty', 'POST', settings)).status).toBe(403);
    expect((await call('boss', 'POST', settings)).status).toBe(201);
    const listed = (await (await call('watch', 'GET')).json()) as { orders: { id: string; by: string; delivery: { addressed: number; received: number } }[] };
    expect(listed.orders.map((o) => o.by)).toEqual(['token:boss', 'token:duty']);
    expect(listed.orders[1]).toMatchObject({ id: issued.id, delivery: { addressed: 1, received: 0 } });
  });

  it.skipIf(skip)('a long-poll at one hub process answers within a second of an order issued by another process (the CLI) on the same database', async () => {
    await ensureDistBuilt();
    fx = await backend.fixture();
    const store = await fx.open();
    const boxKey = await enrolBox(store, 'town-lp');
    const revokedKey = await enrolBox(store, 'town-gone');
    await store.revokeBox('town-gone', Date.now());
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-orders-lp-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const pg = fx.pgConfig;
    const storeYaml =
      pg === undefined ? [`  sqlite: ${fx.sqlitePath!}`] : [`  postgres: postgres://${String(pg.user)}@${String(pg.host)}:${String(pg.port)}/${String(pg.database)}`];
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, [`listen: 127.0.0.1:${port}`, `dataDir: ${join(dir, 'hub-data')}`, 'store:', ...storeYaml, ''].join('\n'));
    const hub: RunningHub = await startHubProcess(dir, config);
    cleanups.push(() => hub.stop());
    const { key: county } = loadOrCreateCountyKey(join(dir, 'hub-data', 'county.key'));
    const transport = new NodeHttpTransport();
    cleanups.push(() => transport.close());
    const poll = (key: SigningKey, after: number, waitS: number) =>
      signedRequest({
        transport,
        hub: `http://127.0.0.1:${port}`,
        method: 'GET',
        path: ORDERS_PATH,
        query: { after, waitS },
        key,
        countyKeyId: county.keyid,
        countyKey: county.publicKey,
        clock: Date.now,
        offsetMs: 0,
        userAgent: 'orders-test',
        timeoutMs: 40_000,
      });

    // Nothing waiting: the hub holds the poll for waitS and answers an empty page, signed.
    const t0 = performance.now();
    const empty = await poll(boxKey, 0, 1);
    expect(performance.now() - t0).toBeGreaterThan(900);
    expect(empty.verified?.ok).toBe(true);
    expect(empty.result.ok && empty.result.status).toBe(200);
    expect(parseOrdersAnswer(empty.result.ok ? empty.result.body : new Uint8Array())).toMatchObject({ orders: [], next: 0 });

    // A poll waits; the CLI (another process) issues a notice for this box; the poll answers with it at once.
    const waiting = poll(boxKey, 0, 25);
    await new Promise((r) => setTimeout(r, 500));
    const issued = await fenghuo(dir, 'hub', 'order', 'notice', '--config', config, '--title', '堤防巡查', '--text', '今晚加强巡查', '--to', 'town-lp', '--by', '值班员');
    expect(issued.stderr).toContain('notice');
    expect(issued.code).toBe(0);
    const issuedAt = performance.now();
    const answered = await waiting;
    const lagMs = performance.now() - issuedAt;
    expect(lagMs).toBeLessThan(1_000);
    expect(answered.verified?.ok).toBe(true);
    const answer = parseOrdersAnswer(answered.result.ok ? answered.result.body : new Uint8Array())!;
    expect(answer.orders).toHaveLength(1);
    expect(answer.next).toBe(answer.orders[0]!.seq);
    const check = verifyOrder(answer.orders[0]!, { countyKey: county.publicKey, countyKeyId: county.keyid, boxId: 'town-lp', now: Date.now(), seen: () => false });
    expect(check).toMatchObject({ ok: true, order: { id: issued.stdout.trim(), kind: 'notice', by: '值班员', body: { title: '堤防巡查' } } });
    // The hub noted what the box has asked for: its cursor is the `after` of its last poll.
    await poll(boxKey, answer.next, 0);
    expect(await new HubOrderStore(store.sql).cursors()).toContainEqual(expect.objectContaining({ boxId: 'town-lp', after: answer.next }));

    // A revoked box is refused (403 revoked, signed), an unknown one too.
    const refused = await poll(revokedKey, 0, 0);
    expect(refused.result.ok && refused.result.status).toBe(403);
    expect(refused.verified?.ok).toBe(true);
    expect(JSON.parse(Buffer.from(refused.result.ok ? refused.result.body : new Uint8Array()).toString())).toMatchObject({ error: { code: 'revoked' } });
    const stranger = await poll(SigningKey.generate('town-nobody'), 0, 0);
    expect(stranger.result.ok && stranger.result.status).toBe(403);
    console.info(`[hub orders on ${backend.name}] long-poll answered ${Math.round(lagMs)} ms after the CLI process issued the order`);
  }, 90_000);
});
