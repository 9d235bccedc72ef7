// The county hub's read API on a real hub (hub/http/app.ts on its server, real HTTP) over both store back ends:
// box detail, readings at every resolution, alarms across boxes, the OpenAPI document, and the 400s that name their
// parameter. Records arrive as a box sends them: enrolled over HTTP, pushed signed and compressed to the ingest route.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { capConfigSchema } from '../../hub/cap/cap-config.js';
import { seqDigest } from '../../hub/store/checksum.js';
import type { HubStore } from '../../hub/store/types.js';
import { startApiHub, enrol, pushAll, type ApiHub } from './api-rig.js';
import { backends, title, type Fixture } from './backends.js';
import { BoxSim, MIN, T0 } from './box-sim.js';

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const BOX = 'qingshui-01';
const OTHER = 'xiaoshan-01';

interface World {
  hub: ApiHub;
  store: HubStore;
  a: BoxSim;
  b: BoxSim;
  /** The good readings of sensor s1 on box A with their values. */
  readings: { ts: number; value: number | null; quality: string }[];
}

/** Two boxes: A with two days of s1 every 5 min (some bad), a batch that came as aggregates only, alarms; B with a cleared alarm. */
async function world(fx: Fixture): Promise<World> {
  const store = await fx.open();
  const hub = await startApiHub(store, { cap: capConfigSchema.parse({ timeZone: 'Asia/Shanghai' }) });
  const a = new BoxSim();
  for (let day = 0; day < 2; day += 1) {
    for (let part = 0; part < 4; part += 1) {
      a.readings(72, {
        sensorId: 's1',
        start: T0 + day * DAY + part * 6 * HOUR,
        stepMs: 5 * MIN,
        value: (i) => (i % 17 === 5 ? null : Math.round((2 + Math.sin((part * 72 + i) / 30) + day) * 1000) / 1000),
        quality: (i) => (i % 17 === 5 ? 'comm_fail' : 'good'),
      });
    }
  }
  // Day 3: one batch the box sent folded (its raw never came): the hub has only its partial aggregates.
  a.debtBatch(24, { sensorId: 's1', start: T0 + 2 * DAY, stepMs: 5 * MIN });
  const flood = a.newAlarm({ title: '清水河站 准备转移', raisedAt: T0 + 3 * HOUR });
  a.transition(flood, 'raised', 'prepare', T0 + 3 * HOUR);
  a.transition(flood, 'escalated', 'evacuate', T0 + 4 * HOUR);
  const drill = a.newAlarm({ kind: 'manual', key: 'drill:all', drill: true, title: '【演练】全镇 立即转移', raisedAt: T0 + 5 * HOUR });
  a.transition(drill, 'raised', 'evacuate', T0 + 5 * HOUR);
  a.health({ sync: { backlog: { readings: { records: 3 } } } });
  const b = new BoxSim();
  const old = b.newAlarm({ raisedAt: T0 + HOUR, title: '萧山站 准备转移' });
  b.transition(old, 'raised', 'prepare', T0 + HOUR);
  b.transition(old, 'cleared', 'prepare', T0 + 2 * HOUR);
  b.health();
  await pushAll(hub, BOX, await enrol(hub, BOX, '清水镇'), a);
  await pushAll(hub, OTHER, await enrol(hub, OTHER), b);
  const readings = a.log
    .filter((s) => s.record.kind === 'readings' && s.lane !== 'bulk')
    .flatMap((s) => (s.record.kind === 'readings' ? s.record.payload.readings : []))
    .map(([, , ts, value, quality]) => ({ ts, value, quality }));
  return { hub, store, a, b, readings };
}

async function get(w: World, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${w.hub.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.each(BACKENDS.map((b) => [title(b), b] as const))('hub read API on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  let w: World;
  beforeEach(async () => {
    if (skip) return;
    fx = await backend.fixture();
    w = await world(fx);
  }, 60_000);
  afterEach(async () => {
    await w?.hub.close();
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('GET /boxes/:id: marks, latest health, last contact, link, records per kind, exact stats on request', async () => {
    const { status, body } = await get(w, `/api/v1/boxes/${BOX}`);
    expect(status).toBe(200);
    const box = body['box'] as Record<string, unknown>;
    expect(box['id']).toBe(BOX);
    expect(box['name']).toBe('清水镇');
    expect(box['marks']).toEqual(w.a.finalMarks());
    expect(box['dbId']).toBe(`db-${BOX}`);
    expect(typeof box['lastContactAt']).toBe('number');
    expect(box['lastLink']).not.toBeNull();
    expect((box['latestHealth'] as { seq: number }).seq).toBe(w.a.seqsOf('health').at(-1));
    expect(box['backlog']).toEqual({ readings: { records: 3 } });
    const records = body['records'] as Record<string, { count: number; maxSeq: number | null }>;
    expect(records['alarm']).toMatchObject({ count: 3, maxSeq: w.a.seqsOf('alarm').at(-1) });
    expect(records['readings']?.count).toBe(8);
    expect(records['aggregates']?.count).toBe(1);
    expect(body['pull']).toBeNull();
    expect(body['stats']).toBeUndefined();

    const exact = await get(w, `/api/v1/boxes/${BOX}?stats=exact`);
    const stats = exact.body['stats'] as { kinds: Record<string, { digest: string }>; readings: { count: number; digest: string } };
    expect(stats.kinds['readings']?.digest).toBe(seqDigest(w.a.seqsOf('readings')));
    expect(stats.readings.count).toBe(8 * 72);

    expect((await get(w, '/api/v1/boxes/nobody-01')).status).toBe(404);
    const bad = await get(w, '/api/v1/boxes/Bad_Box');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'bad_request', param: 'id' } });
    expect((await get(w, `/api/v1/boxes/${BOX}?stats=all`)).body).toMatchObject({ error: { param: 'stats' } });
  });

  it.skipIf(skip)('readings: raw with ISO 8601 offsets and pages, 15m from the store, 1h and 1d rolled up from it', async () => {
    // Raw, the first day in Beijing time: 2025-10-01T08:00+08:00 is T0.
    const raw = await get(w, `/api/v1/boxes/${BOX}/readings?sensor=s1&from=2025-10-01T08:00:00%2B08:00&to=${T0 + DAY}&limit=10000`);
    expect(raw.status).toBe(200);
    const dayOne = w.readings.filter((r) => r.ts >= T0 && r.ts < T0 + DAY);
    expect(raw.body).toMatchObject({ box: BOX, sensor: 's1', unit: 'm', resolution: 'raw', from: T0, to: T0 + DAY, truncated: false });
    expect(raw.body['readings']).toEqual(dayOne);

    const page = await get(w, `/api/v1/boxes/${BOX}/readings?sensor=s1&from=${T0}&to=${T0 + DAY}&limit=100`);
    expect(page.body).toMatchObject({ truncated: true, nextFrom: dayOne[100]!.ts });
    expect((page.body['readings'] as unknown[]).length).toBe(100);

    const range = `from=${T0}&to=${T0 + 3 * DAY}`;
    const q15 = await get(w, `/api/v1/boxes/${BOX}/readings?sensor=s1&${range}&resolution=15m&limit=10000`);
    const stored = await w.store.readings15m({ boxId: BOX, sensorId: 's1', from: T0, to: T0 + 3 * DAY });
    expect(q15.body['buckets']).toEqual(stored);
    expect(stored.some((b) => b.source === 'aggregates')).toBe(true);

    // 1h: each hour's good readings, from the raw list; the aggregates-only batch of day 3 counts too.
    const h = await get(w, `/api/v1/boxes/${BOX}/readings?sensor=s1&${range}&resolution=1h&limit=10000`);
    const hours = h.body['buckets'] as { bucket: number; min: number; max: number; mean: number; count: number; source: string }[];
    const good = w.readings.filter((r) => r.quality === 'good' && r.value !== null);
    const firstHour = good.filter((r) => r.ts >= T0 && r.ts < T0 + HOUR).map((r) => r.value as number);
    expect(hours[0]).toMatchObject({ bucket: T0, count: firstHour.length, min: Math.min(...firstHour), max: Math.max(...firstHour), source: 'raw' });
    expect(hours[0]!.mean).toBeCloseTo(firstHour.reduce((s, v) => s + v, 0) / firstHour.length, 9);
    expect(hours.reduce((n, b) => n + b.count, 0)).toBe(stored.reduce((n, b) => n + b.count, 0));
    expect(hours.at(-1)!.source).toBe('aggregates');

    // 1d in Asia/Shanghai: days start at 16:00 UTC, so T0 (00:00 UTC) is in the day that began 8 hours before.
    const d = await get(w, `/api/v1/boxes/${BOX}/readings?sensor=s1&${range}&resolution=1d`);
    const days = d.body['buckets'] as { bucket: number; count: number }[];
    expect(d.body['from']).toBe(T0 - 8 * HOUR);
    expect(days.map((b) => b.bucket)).toEqual([T0 - 8 * HOUR, T0 + 16 * HOUR, T0 + 40 * HOUR]);
    expect(days[0]!.count).toBe(good.filter((r) => r.ts < T0 + 16 * HOUR).length);
    expect(days.reduce((n, b) => n + b.count, 0)).toBe(stored.reduce((n, b) => n + b.count, 0));

    // Hourly pages: the cut never splits an hour, and the pages join up.
    const p1 = await get(w, `/api/v1/boxes/${BOX}/readings?sensor=s1&${range}&resolution=1h&limit=5`);
    expect(p1.body).toMatchObject({ truncated: true, nextFrom: T0 + 5 * HOUR });
    expect(p1.body['buckets']).toEqual(hours.slice(0, 5));
  });

  it.skipIf(skip)('readings: 400 naming the parameter, 404 for an unknown box', async () => {
    const base = `/api/v1/boxes/${BOX}/readings`;
    const cases: [string, string][] = [
      ['?from=1&to=2', 'sensor'],
      ['?sensor=s1&resolution=2h', 'resolution'],
      ['?sensor=s1&from=2025-10-01T08:00:00', 'from'],
      ['?sensor=s1&to=yesterday', 'to'],
      ['?sensor=s1&resolution=1d&limit=5000', 'limit'],
      ['?sensor=s1&limit=0', 'limit'],
      ['?sensor=s1&colour=red', 'colour'],
      ['?sensor=s1&sensor=s2', 'sensor'],
      [`?sensor=s1&from=${T0 + DAY}&to=${T0}`, 'from'],
    ];
    for (const [query, param] of cases) {
      const r = await get(w, base + query);
      expect(r.status, query).toBe(400);
      expect(r.body, query).toMatchObject({ error: { code: 'bad_request', param } });
      expect(String((r.body['error'] as { message: string }).message).length, query).toBeGreaterThan(10);
    }
    expect((await get(w, '/api/v1/boxes/nobody-01/readings?sensor=s1')).status).toBe(404);
  });

  it.skipIf(skip)('alarms across boxes: active most urgent first, all with cleared ones, by box and by time, with transitions', async () => {
    const active = await get(w, '/api/v1/alarms');
    expect(active.status).toBe(200);
    const list = active.body['alarms'] as { boxId: string; alarmId: number; level: string; drill: boolean; box: { id: string; name: string | null }; transitions: { type: string }[]; state: string }[];
    expect(list.map((a) => [a.boxId, a.alarmId])).toEqual([
      [BOX, 1],
      [BOX, 2],
    ]);
    expect(list[0]!.box).toEqual({ id: BOX, name: '清水镇' });
    expect(list[0]!.transitions.map((t) => t.type)).toEqual(['raised', 'escalated']);
    expect(list[1]!.drill).toBe(true);

    const all = await get(w, '/api/v1/alarms?state=all');
    const allList = all.body['alarms'] as { boxId: string; state: string; raisedAt: number }[];
    expect(allList.map((a) => a.boxId).sort()).toEqual([BOX, BOX, OTHER]);
    // Newest raise first.
    expect(allList.map((a) => a.raisedAt)).toEqual([...allList.map((a) => a.raisedAt)].sort((x, y) => y - x));
    expect(allList.find((a) => a.boxId === OTHER)?.state).toBe('cleared');

    const other = await get(w, `/api/v1/alarms?state=all&box=${OTHER}`);
    expect((other.body['alarms'] as { boxId: string }[]).map((a) => a.boxId)).toEqual([OTHER]);
    // The cleared alarm was on from T0+1h to T0+2h: in a window after it, not there.
    const later = await get(w, `/api/v1/alarms?state=all&from=${T0 + 2 * HOUR + MIN}&to=${T0 + DAY}`);
    expect((later.body['alarms'] as { boxId: string }[]).every((a) => a.boxId === BOX)).toBe(true);
    const during = await get(w, `/api/v1/alarms?state=all&from=2025-10-01T09:30:00%2B08:00&to=2025-10-01T09:45:00%2B08:00`);
    expect((during.body['alarms'] as { boxId: string }[]).map((a) => a.boxId)).toEqual([OTHER]);
    const one = await get(w, '/api/v1/alarms?state=all&limit=1');
    expect(one.body).toMatchObject({ truncated: true });

    for (const [q, param] of [
      ['?state=open', 'state'],
      ['?box=Not A Box', 'box'],
      ['?limit=5000', 'limit'],
      ['?from=soon', 'from'],
    ] as const) {
      const r = await get(w, `/api/v1/alarms${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body, q).toMatchObject({ error: { code: 'bad_request', param } });
    }
  });

  it.skipIf(skip)('GET /openapi.json documents every route with its access, and components the $refs point at', async () => {
    const { status, body } = await get(w, '/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(body['openapi']).toBe('3.1.0');
    const paths = body['paths'] as Record<string, Record<string, Record<string, unknown>>>;
    for (const p of ['/api/v1/sync/ingest', '/api/v1/sync/enroll', '/api/v1/boxes', '/api/v1/boxes/{id}', '/api/v1/boxes/{id}/readings', '/api/v1/alarms', '/api/v1/cap/feed', '/api/v1/cap/alerts/{box}/{alarmId}', '/api/v1/openapi.json']) {
      expect(paths[p], p).toBeDefined();
    }
    expect(paths['/api/v1/boxes/{id}/readings']?.['get']?.['x-fenghuo-role']).toBe('viewer');
    expect(paths['/api/v1/sync/ingest']?.['post']?.['x-fenghuo-auth']).toBe('box-signature');
    const params = (paths['/api/v1/boxes/{id}/readings']?.['get']?.['parameters'] as { name: string }[]).map((p) => p.name);
    expect(params).toEqual(['id', 'sensor', 'from', 'to', 'resolution', 'limit']);
    const schemas = (body['components'] as { schemas: Record<string, unknown> }).schemas;
    const refs = [...JSON.stringify(paths).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(schemas[r!], r).toBeDefined();
    // What the app registered is what the document lists.
    expect(w.hub.operations).toContain('GET /api/v1/cap/feed');
  });
});

describe('read routes with a read token configured', () => {
  const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!;
  it('answer 401 without the token and 200 with it (the CAP feed too); the OpenAPI document stays public', async () => {
    const fx = await sqlite.fixture();
    const token = 'county-read-token-1234567890';
    const hub = await startApiHub(await fx.open(), { readTokenSha256: createHash('sha256').update(token).digest('hex') });
    try {
      await enrol(hub, BOX);
      for (const path of [`/api/v1/boxes/${BOX}`, `/api/v1/boxes/${BOX}/readings?sensor=s1`, '/api/v1/alarms', '/api/v1/cap/feed', `/api/v1/cap/alerts/${BOX}/1`]) {
        expect((await fetch(`${hub.url}${path}`)).status, path).toBe(401);
        expect((await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status, path).not.toBe(401);
      }
      expect((await fetch(`${hub.url}/api/v1/openapi.json`)).status).toBe(200);
    } finally {
      await hub.close();
      await fx.dispose();
    }
  });
});
