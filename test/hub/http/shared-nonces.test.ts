// Issue 12: a hub of several processes shares its replay memory through the database (hub_nonces): the same signed
// request sent to two hub apps on one database is stored by the first and refused `replayed` by the second.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { signRequest, SigningKey } from '../../../node-daemon/sync/protocol/index.js';
import { INGEST_PATH } from '../../../hub/http/deps.js';
import { nonceStoreFor, TableNonceStore, storeNonceTable } from '../../../hub/http/nonce-store.js';
import { SqliteHubStore } from '../../../hub/store/sqlite-store.js';
import type { HubStore } from '../../../hub/store/types.js';
import { backends, title, type Fixture } from '../backends.js';
import { encode, enrolBoxOverHttp, healthRecord, startHub, type TestHub } from './hub-fixture.js';

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const ORIGIN = 'http://hub.county.test';

describe.each(BACKENDS.map((b) => [title(b), b] as const))('shared nonces on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  const hubs: TestHub[] = [];
  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('the same signed request to two hub processes: the second is refused replayed, stored once', async () => {
    fx = await backend.fixture();
    const countyKey = SigningKey.generate('county-test');
    const stores: HubStore[] = [await fx.open(), await fx.open()];
    for (const store of stores) {
      // Behind one address (a proxy in front), as several hub processes are: the same origin is signed for both.
      hubs.push(await startHub({ store, countyKey, publicOrigin: ORIGIN, nonces: nonceStoreFor(store, Date.now, { shared: true }) }));
    }
    const [h1, h2] = hubs as [TestHub, TestHub];
    const box = await enrolBoxOverHttp(h1, 'xiaoshan-01');
    const body = await encode(JSON.stringify({ box: 'xiaoshan-01', dbId: 'db-1', lanes: [{ lane: 'health', after: 0, records: [healthRecord(1)] }] }), 'br');
    const headers = { 'content-type': 'application/json', 'content-encoding': 'br' };
    const signed = signRequest({ method: 'POST', url: `${ORIGIN}${INGEST_PATH}`, headers, body }, { key: box, now: Date.now });
    const post = async (h: TestHub): Promise<{ status: number; json: { acked?: unknown; error?: { code?: string } } }> => {
      const res = await fetch(`${h.url}${INGEST_PATH}`, { method: 'POST', headers: { ...headers, ...signed.headers }, body });
      return { status: res.status, json: (await res.json()) as { acked?: unknown; error?: { code?: string } } };
    };
    const first = await post(h1);
    expect(first.status).toBe(200);
    const second = await post(h2);
    expect({ status: second.status, code: second.json.error?.code }).toEqual({ status: 401, code: 'replayed' });
    expect(h2.refusals.get('replayed', 'xiaoshan-01')).toBe(1);
    expect((await h2.store.recordStats('xiaoshan-01')).healthSnapshots).toBe(1);
    // And back to the first process: refused there too.
    expect((await post(h1)).json.error?.code).toBe('replayed');
  });

  it.skipIf(skip)('TableNonceStore: window first, then seen, bounds refused as replay_cache_full, expired pairs forgotten', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    let now = 1_765_000_000_000;
    const clock = (): number => now;
    const nonces = new TableNonceStore(storeNonceTable(store), clock, { windowSec: 300, maxEntries: 3, maxEntriesPerKey: 2 });
    const created = now / 1000;
    expect(await nonces.accept({ keyid: 'a', nonce: 'n1', created })).toEqual({ ok: true });
    expect(await nonces.accept({ keyid: 'a', nonce: 'n1', created })).toMatchObject({ ok: false, reason: 'replayed' });
    expect(await nonces.accept({ keyid: 'a', nonce: 'n2', created: created - 1000 })).toMatchObject({ ok: false, reason: 'too_old' });
    expect(await nonces.accept({ keyid: 'a', nonce: 'n2', created })).toEqual({ ok: true });
    expect(await nonces.accept({ keyid: 'a', nonce: 'n3', created })).toMatchObject({ ok: false, reason: 'replay_cache_full' });
    expect(await nonces.accept({ keyid: 'b', nonce: 'n1', created })).toEqual({ ok: true });
    expect(await nonces.accept({ keyid: 'c', nonce: 'n1', created })).toMatchObject({ ok: false, reason: 'replay_cache_full' });
    // Two windows later every pair has expired: deleted, the memory has room again.
    now += 601_000;
    expect(await nonces.accept({ keyid: 'c', nonce: 'n1', created: now / 1000 })).toEqual({ ok: true });
    expect(await nonces.accept({ keyid: 'a', nonce: 'n1', created: now / 1000 })).toEqual({ ok: true });
    expect(await nonces.accept({ keyid: 'a', nonce: 'n1', created: now / 1000 })).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it.skipIf(skip)('two processes racing with one captured pair: exactly one remembers it', async () => {
    fx = await backend.fixture();
    const [p1, p2] = [await fx.open(), await fx.open()];
    const bounds = { maxEntries: 1000, maxEntriesPerKey: 1000 };
    for (let round = 0; round < 10; round += 1) {
      const entry = { keyid: 'a', nonce: `race-${round}`, expiresAt: 10_000 };
      const out = await Promise.all([p1, p2, p1, p2].map((s) => s.rememberNonce(entry, 1, bounds)));
      expect(out.filter((o) => o === 'remembered')).toHaveLength(1);
      expect(out.filter((o) => o === 'seen')).toHaveLength(3);
    }
  });
});

describe('nonceStoreFor', () => {
  it('keeps the memory in the process for SQLite unless asked to share, and shares it for PostgreSQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-nonces-'));
    const store = SqliteHubStore.open({ path: join(dir, 'hub.db') });
    try {
      expect(nonceStoreFor(store, Date.now).constructor.name).toBe('MemoryNonceStore');
      expect(nonceStoreFor(store, Date.now, { shared: true })).toBeInstanceOf(TableNonceStore);
      const pgLike = { ...store, dialect: 'postgres' } as unknown as HubStore;
      expect(nonceStoreFor(pgLike, Date.now)).toBeInstanceOf(TableNonceStore);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
