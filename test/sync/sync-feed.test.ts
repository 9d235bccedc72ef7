import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { createAuth } from '../../node-daemon/auth/auth.js';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { createApp } from '../../node-daemon/http/app.js';
import type { SyncFeedResponse } from '../../node-daemon/http/schemas/sync.js';
import { syncFeedResponseSchema } from '../../node-daemon/http/schemas/sync.js';
import { databaseId } from '../../node-daemon/storage/migrations.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { HealthRecorder } from '../../node-daemon/sync/outbox/health-recorder.js';
import { LANE_LOG_KINDS } from '../../node-daemon/sync/outbox/lanes.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import type { ReadingsPayload } from '../../node-daemon/sync/outbox/records.js';
import { bearerHeaders, TEST_API_TOKEN, testApiTokens } from '../helpers/auth.js';
import { HOUR, tempBox, writeWeek, type TempBox, type Week } from './outbox-fixture.js';

const COUNTY_TOKEN = 'county-hub-pull-token-5b1e';
const FEED = '/api/v1/sync/feed';

let box: TempBox;
let week: Week;
let now: number;
let store: OutboxStore;
let app: ReturnType<typeof createApp>;

const health: HealthSnapshot = {
  status: 'ok',
  ts: 0,
  uptimeS: 1,
  version: 'test',
  buses: [],
  sensors: [],
  disk: { path: '/', freeBytes: 1, totalBytes: 2 },
  storage: { pendingWrites: 0 },
};

function makeApp(withSync = true): ReturnType<typeof createApp> {
  const log = silentLogger();
  const auth = createAuth({
    db: box.db,
    log,
    clock: () => now,
    apiTokens: [...testApiTokens('viewer', 'operator'), { id: 'county', role: 'viewer', sha256: sha256Hex(COUNTY_TOKEN) }],
  });
  return createApp({
    sensors: [],
    health: { snapshot: () => health, sensor: () => undefined },
    readings: new SqliteReadingsReader(box.db),
    log,
    clock: () => now,
    auth,
    ...(withSync ? { sync: { feed: store, boxId: 'qingshui-01', dbId: databaseId(box.db), feedTokens: ['county'] } } : {}),
  });
}

beforeAll(async () => {
  box = tempBox();
  week = await writeWeek(box.db);
  now = week.end + HOUR;
  store = new OutboxStore({ db: box.db, clock: () => now });
  // A health record and a settings change, so every lane has records.
  const recorder = new HealthRecorder({ db: box.db, log: silentLogger(), snapshot: () => ({ ...health, ts: now }), clock: () => now });
  recorder.check();
  box.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'audit', ?)").run(now, JSON.stringify({ section: 'alarms', by: '县长', account: 'admin', before: {}, after: {} }));
  app = makeApp();
});

afterAll(() => box.cleanup());

async function get(path: string, token: string | null = TEST_API_TOKEN): Promise<{ status: number; body: unknown }> {
  const res = await app.request(path, { headers: token === null ? {} : bearerHeaders(token) });
  return { status: res.status, body: await res.json() };
}

function synced(kinds: readonly string[] = ['alarm', 'health', 'audit', 'readings']): number[] {
  return (box.db.prepare(`SELECT seq FROM change_log WHERE kind IN (${kinds.map(() => '?').join(', ')}) ORDER BY seq`).pluck().all(...kinds) as number[]);
}

describe('GET /api/v1/sync/feed', () => {
  it('pages through every record with no gap and no repeat, while the box keeps writing', async () => {
    const seen: number[] = [];
    let after = 0;
    let pages = 0;
    const alarms = new AlarmStore(box.db);
    for (;;) {
      const { status, body } = await get(`${FEED}?after=${after}&limit=10`);
      expect(status).toBe(200);
      const page = syncFeedResponseSchema.parse(body);
      expect(page.box).toBe('qingshui-01');
      expect(page.dbId).toBe(databaseId(box.db));
      expect(page.records.length).toBeLessThanOrEqual(10);
      seen.push(...page.records.map((r) => r.seq));
      expect(page.next).toBe(page.records.at(-1)?.seq ?? after);
      after = page.next;
      pages += 1;
      // New records appear between pages: an alarm, later a health record.
      if (pages === 2) alarms.raise({ key: 'manual', kind: 'manual', level: 'prepare', drill: true, title: '演练', cause: {}, account: 'admin' }, now);
      if (pages === 3) box.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'health', '{\"status\":\"degraded\"}')").run(now);
      if (!page.more) break;
    }
    expect(pages).toBeGreaterThan(10);
    expect(seen).toEqual(synced());
    expect(new Set(seen).size).toBe(seen.length);
    // Asking again after the end: nothing, and `next` stays.
    const end = syncFeedResponseSchema.parse((await get(`${FEED}?after=${after}`)).body);
    expect(end).toMatchObject({ records: [], next: after, more: false });
  });

  it('gives readings raw and the same records the lanes give', async () => {
    const page = syncFeedResponseSchema.parse((await get(`${FEED}?after=0&limit=5000`)).body);
    expect(page.records.some((r) => r.kind === 'aggregates')).toBe(false);
    const readings = page.records.filter((r) => r.kind === 'readings');
    const lane = store.readLane('readings', { after: 0, limit: 5000, aggregates: false }).map((r) => r.record);
    expect(JSON.stringify(readings)).toBe(JSON.stringify(lane));
    expect(readings.flatMap((r) => (r.payload as ReadingsPayload).readings)).toHaveLength(week.readings);
    expect(page.records.filter((r) => r.kind === 'audit')).toHaveLength(1);
  });

  it('gives one lane when asked', async () => {
    for (const lane of ['alarm', 'health', 'readings'] as const) {
      const page = syncFeedResponseSchema.parse((await get(`${FEED}?after=0&limit=5000&lane=${lane}`)).body);
      expect(page.records.map((r) => r.seq), lane).toEqual(synced(LANE_LOG_KINDS[lane]));
    }
  });

  it('cuts a page of large records short and says there is more', () => {
    const first = store.feed({ after: 0, limit: 100, lane: 'readings', maxBytes: 10_000 });
    expect(first.records.length).toBeGreaterThan(0);
    expect(first.records.length).toBeLessThan(10);
    expect(first.more).toBe(true);
    const second = store.feed({ after: first.next, limit: 100, lane: 'readings', maxBytes: 10_000 });
    expect(second.records[0]!.seq).toBe(synced(['readings'])[first.records.length]);
    // One record always goes, however small the page.
    expect(store.feed({ after: 0, limit: 5, lane: 'readings', maxBytes: 1 }).records).toHaveLength(1);
  });

  it('needs a token with the sync scope, or the admin role', async () => {
    expect(await get(`${FEED}?after=0`, null)).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(await get(`${FEED}?after=0`, 'not-a-token')).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(await get(`${FEED}?after=0`, `${TEST_API_TOKEN}-viewer`)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await get(`${FEED}?after=0`, `${TEST_API_TOKEN}-operator`)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await get(`${FEED}?after=0&limit=1`, COUNTY_TOKEN)).status).toBe(200);
    expect((await get(`${FEED}?after=0&limit=1`, TEST_API_TOKEN)).status).toBe(200);
  });

  it('answers 400 naming the parameter at fault', async () => {
    for (const [query, param] of [
      ['', 'after'],
      ['after=-1', 'after'],
      ['after=abc', 'after'],
      ['after=1.5', 'after'],
      ['after=0&limit=0', 'limit'],
      ['after=0&limit=5001', 'limit'],
      ['after=0&lane=bulk', 'lane'],
      ['after=0&lane=aggregates', 'lane'],
      ['after=0&after=1', 'after'],
      ['after=0&since=1', 'since'],
    ] as const) {
      const { status, body } = await get(`${FEED}?${query}`);
      expect(status, query).toBe(400);
      expect((body as { error: { code: string; param?: string } }).error, query).toMatchObject({ code: 'bad_request', param });
    }
  });

  it('gives 500 records unless asked for another number, at most 5000', async () => {
    const put = box.db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'health', '{\"status\":\"ok\"}')");
    box.db.transaction(() => {
      for (let i = 0; i < 5_500; i++) put.run(now);
    })();
    expect(((await get(`${FEED}?after=0`)).body as SyncFeedResponse)).toMatchObject({ more: true });
    expect(((await get(`${FEED}?after=0`)).body as SyncFeedResponse).records).toHaveLength(500);
    expect(((await get(`${FEED}?after=0&limit=5000`)).body as SyncFeedResponse).records).toHaveLength(5_000);
  });

  it('is in the OpenAPI document when served, and absent (404) otherwise', async () => {
    const doc = (await get('/api/v1/openapi.json')).body as { paths: Record<string, { get?: { parameters: { name: string; required: boolean }[]; 'x-fenghuo-role'?: string } }>; components: { schemas: Record<string, unknown> } };
    const op = doc.paths[FEED]?.get;
    expect(op?.parameters.map((p) => [p.name, p.required])).toEqual([
      ['after', true],
      ['limit', false],
      ['lane', false],
    ]);
    expect(op?.['x-fenghuo-role']).toBe('viewer');
    expect(doc.components.schemas['SyncFeed']).toBeDefined();
    expect(doc.components.schemas['SyncRecord']).toBeDefined();

    const without = makeApp(false);
    const res = await without.request(`${FEED}?after=0`, { headers: bearerHeaders() });
    expect(res.status).toBe(404);
    const bare = (await (await without.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(bare.paths[FEED]).toBeUndefined();
  });
});
