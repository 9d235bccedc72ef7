import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { StoredReading } from '../../node-daemon/core/types.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import type { Aggregate, ReadingsQuery, ReadingsReader } from '../../node-daemon/storage/types.js';
import { createApp } from '../../node-daemon/http/app.js';
import type { ErrorBody } from '../../node-daemon/http/errors.js';
import type { AggregatesResponse, RawReadingsResponse, SensorSummary } from '../../node-daemon/http/schemas.js';

const NOW = Date.UTC(2024, 5, 10, 8, 0, 0); // 2024-06-10T08:00:00Z = 16:00 in Asia/Shanghai
const MIN = 60_000;
const BUCKET = 15 * MIN;

/** Test double of the storage boundary: the same contract as the SQLite reader, over an array. */
class MemoryReadingsReader implements ReadingsReader {
  readonly queries: ReadingsQuery[] = [];
  constructor(private readonly rows: StoredReading[]) {}

  private inRange(q: ReadingsQuery): StoredReading[] {
    return this.rows.filter((r) => r.sensorId === q.sensorId && r.ts >= q.from && r.ts < q.to).sort((a, b) => a.ts - b.ts || a.id - b.id);
  }

  readings(q: ReadingsQuery): StoredReading[] {
    this.queries.push(q);
    return this.inRange(q).slice(0, q.limit);
  }

  aggregates(q: ReadingsQuery): Aggregate[] {
    this.queries.push(q);
    const buckets = new Map<number, number[]>();
    for (const r of this.inRange(q)) {
      if (r.quality !== 'good' || r.value === null) continue;
      const b = Math.floor(r.ts / BUCKET) * BUCKET;
      buckets.set(b, [...(buckets.get(b) ?? []), r.value]);
    }
    return [...buckets]
      .sort(([a], [b]) => a - b)
      .slice(0, q.limit)
      .map(([bucket, v]) => ({ sensorId: q.sensorId, bucket, min: Math.min(...v), max: Math.max(...v), mean: v.reduce((s, x) => s + x, 0) / v.length, count: v.length }));
  }

  latest(sensorId: string): StoredReading | undefined {
    return this.rows.filter((r) => r.sensorId === sensorId).at(-1);
  }

  latestGood(sensorId: string): StoredReading | undefined {
    return this.rows.filter((r) => r.sensorId === sensorId && r.quality === 'good').at(-1);
  }
}

function siteConfig(): Config {
  return configSchema.parse({
    buses: [{ id: 'rs485-1', type: 'rtu', path: '/dev/ttyUSB0' }],
    sensors: [
      { id: 'dam', name: '水库坝前水位', bus: 'rs485-1', slave: 1, profile: 'submersible-level', pollIntervalMs: 1000, critical: true },
      { id: 'bridge', bus: 'rs485-1', slave: 2, profile: 'submersible-level' },
    ],
  });
}

/** One reading a minute for the two hours before NOW, plus one comm_fail. */
function history(): StoredReading[] {
  const rows: StoredReading[] = [];
  let id = 0;
  for (let ts = NOW - 120 * MIN; ts < NOW; ts += MIN) rows.push({ id: ++id, sensorId: 'dam', ts, value: 2 + (ts - NOW) / (1000 * MIN), quality: 'good' });
  rows.push({ id: ++id, sensorId: 'dam', ts: NOW - 30 * MIN + 1, value: null, quality: 'comm_fail' });
  return rows;
}

describe('HTTP API', () => {
  let dir: string;
  let now: number;
  let hub: EventHub;
  let registry: StatusRegistry;
  let reader: MemoryReadingsReader;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-api-'));
    now = NOW;
    hub = new EventHub();
    const config = siteConfig();
    registry = new StatusRegistry({
      config,
      hub,
      busCounters: new Map(),
      storageStatus: () => ({ pendingWrites: 0 }),
      dataDir: dir,
      clock: () => now,
      version: '0.0.0-test',
    });
    reader = new MemoryReadingsReader(history());
    app = createApp({ sensors: config.sensors, health: registry, readings: reader, log: silentLogger(), clock: () => now });
  });

  afterEach(async () => {
    await registry.stop();
    hub.complete();
    rmSync(dir, { recursive: true, force: true });
  });

  async function get<T>(path: string): Promise<{ status: number; body: T; type: string | null }> {
    const res = await app.request(path);
    return { status: res.status, body: (await res.json()) as T, type: res.headers.get('content-type') };
  }

  async function badRequest(path: string): Promise<ErrorBody['error']> {
    const { status, body } = await get<ErrorBody>(path);
    expect(status, path).toBe(400);
    expect(body.error.code).toBe('bad_request');
    return body.error;
  }

  describe('GET /api/v1/health', () => {
    it('answers 200 with status ok once buses are open and critical sensors good', async () => {
      hub.busStatus$.next({ busId: 'rs485-1', state: 'open', ts: NOW });
      hub.reading$.next({ sensorId: 'dam', ts: NOW, value: 2.1, quality: 'good' });
      const { status, body } = await get<{ status: string; version: string; sensors: { id: string; status: string }[] }>('/api/v1/health');
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.version).toBe('0.0.0-test');
      expect(body.sensors.find((s) => s.id === 'dam')?.status).toBe('good');
    });

    it('shows a bus down and a stale critical sensor as degraded, still with 200', async () => {
      hub.busStatus$.next({ busId: 'rs485-1', state: 'open', ts: NOW });
      hub.reading$.next({ sensorId: 'dam', ts: NOW, value: 2.1, quality: 'good' });
      hub.busStatus$.next({ busId: 'rs485-1', state: 'down', ts: NOW + 500, error: 'port /dev/ttyUSB0 gone' });
      now = NOW + 3001;
      const res = await app.request('/api/v1/health');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { status: string; buses: { state: string; lastError?: { message: string } }[]; sensors: { id: string; status: string }[] };
      expect(body.status).toBe('degraded');
      expect(body.buses[0]).toMatchObject({ state: 'down', lastError: { message: 'port /dev/ttyUSB0 gone' } });
      expect(body.sensors.find((s) => s.id === 'dam')?.status).toBe('stale');
    });
  });

  describe('GET /api/v1/sensors', () => {
    it('lists every sensor with its config summary and current status', async () => {
      hub.reading$.next({ sensorId: 'dam', ts: NOW - 100, value: 2.1, quality: 'good' });
      const { status, body } = await get<{ sensors: SensorSummary[] }>('/api/v1/sensors');
      expect(status).toBe(200);
      expect(body.sensors).toEqual([
        {
          id: 'dam',
          name: '水库坝前水位',
          bus: 'rs485-1',
          slave: 1,
          profile: 'submersible-level',
          unit: 'm',
          critical: true,
          pollIntervalMs: 1000,
          staleAfterMs: 3000,
          status: 'good',
          lastReading: { ts: NOW - 100, value: 2.1, quality: 'good' },
          lastGoodTs: NOW - 100,
          breaker: 'closed',
        },
        {
          id: 'bridge',
          bus: 'rs485-1',
          slave: 2,
          profile: 'submersible-level',
          unit: 'm',
          critical: false,
          pollIntervalMs: 5000,
          staleAfterMs: 15000,
          status: 'unknown',
          breaker: 'closed',
        },
      ]);
    });
  });

  describe('GET /api/v1/sensors/:id/readings', () => {
    it('defaults to the last 24 hours and a limit of 1000, oldest first with ISO times', async () => {
      const { status, body } = await get<RawReadingsResponse>('/api/v1/sensors/dam/readings');
      expect(status).toBe(200);
      expect(reader.queries.at(-1)).toEqual({ sensorId: 'dam', from: NOW - 24 * 60 * MIN, to: NOW, limit: 1001 });
      expect(body).toMatchObject({ sensorId: 'dam', unit: 'm', resolution: 'raw', from: NOW - 24 * 60 * MIN, to: NOW, truncated: false });
      expect(body.readings).toHaveLength(121);
      expect(body.readings[0]).toEqual({ ts: NOW - 120 * MIN, iso: '2024-06-10T06:00:00.000Z', value: 1.88, quality: 'good' });
      expect(body.readings.find((r) => r.quality === 'comm_fail')).toEqual({ ts: NOW - 30 * MIN + 1, iso: '2024-06-10T07:30:00.001Z', value: null, quality: 'comm_fail' });
    });

    it('accepts from/to as UTC ms and as ISO 8601 with an offset, meaning the same instants', async () => {
      const from = NOW - 10 * MIN;
      const to = NOW - 5 * MIN;
      const byMs = await get<RawReadingsResponse>(`/api/v1/sensors/dam/readings?from=${from}&to=${to}`);
      const byIso = await get<RawReadingsResponse>(
        `/api/v1/sensors/dam/readings?from=${encodeURIComponent('2024-06-10T15:50:00+08:00')}&to=2024-06-10T07:55:00Z`,
      );
      expect(byMs.status).toBe(200);
      expect(byIso.status).toBe(200);
      expect(byMs.body.readings.map((r) => r.ts)).toEqual([0, 1, 2, 3, 4].map((i) => from + i * MIN));
      expect(byIso.body).toEqual(byMs.body);
      // `+` left unencoded (as people type it into curl) arrives as a space and is still understood.
      const typed = await get<RawReadingsResponse>('/api/v1/sensors/dam/readings?from=2024-06-10T15:50:00+08:00&to=2024-06-10T15:55:00.000+08:00');
      expect(typed.body).toEqual(byMs.body);
    });

    it('pages with limit: truncated and nextFrom lead to the rest without loss', async () => {
      const first = await get<RawReadingsResponse>(`/api/v1/sensors/dam/readings?from=${NOW - 10 * MIN}&limit=4`);
      expect(first.body.readings).toHaveLength(4);
      expect(first.body).toMatchObject({ truncated: true, nextFrom: NOW - 6 * MIN });
      const rest = await get<RawReadingsResponse>(`/api/v1/sensors/dam/readings?from=${first.body.nextFrom}&limit=10000`);
      expect(rest.body).toMatchObject({ truncated: false });
      expect(rest.body.nextFrom).toBeUndefined();
      expect([...first.body.readings, ...rest.body.readings].map((r) => r.ts)).toEqual(Array.from({ length: 10 }, (_, i) => NOW - (10 - i) * MIN));
    });

    it('returns 15-minute aggregates with resolution=15m', async () => {
      const { status, body } = await get<AggregatesResponse>(`/api/v1/sensors/dam/readings?resolution=15m&from=${NOW - 30 * MIN}`);
      expect(status).toBe(200);
      expect(body.resolution).toBe('15m');
      expect(body.aggregates.map((a) => [a.iso, a.count])).toEqual([
        ['2024-06-10T07:30:00.000Z', 15],
        ['2024-06-10T07:45:00.000Z', 15],
      ]);
      expect(body.aggregates[0]!.min).toBeCloseTo(1.97);
      expect(body.aggregates[0]!.max).toBeCloseTo(1.984);
    });

    it('answers 404 JSON for an unknown sensor', async () => {
      const { status, body, type } = await get<ErrorBody>('/api/v1/sensors/nope/readings');
      expect(status).toBe(404);
      expect(type).toMatch(/^application\/json/);
      expect(body.error).toMatchObject({ code: 'not_found', param: 'id' });
      expect(body.error.message).toContain('nope');
    });

    it.each([
      ['from=yesterday', 'from'],
      ['from=2024-06-10T08:00:00', 'from'], // no offset: ambiguous
      ['from=2024-02-30T00:00:00Z', 'from'], // no such day
      ['from=-5', 'from'],
      ['from=', 'from'],
      ['to=1e12', 'to'],
      ['to=99999999999999999', 'to'],
      ['limit=0', 'limit'],
      ['limit=10001', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=5&limit=6', 'limit'],
      ['resolution=1h', 'resolution'],
      ['form=1718000000000', 'form'],
      [`from=${NOW}&to=${NOW - 1}`, 'to'],
      [`from=${NOW + 1}`, 'from'],
    ])('answers 400 naming the parameter for %s', async (query, param) => {
      const error = await badRequest(`/api/v1/sensors/dam/readings?${query}`);
      expect(error.param).toBe(param);
      expect(error.message.length).toBeGreaterThan(10);
    });

    it('explains the accepted time formats', async () => {
      const error = await badRequest('/api/v1/sensors/dam/readings?from=2024-06-10%2008:00');
      expect(error.message).toContain('ISO 8601');
      expect(error.message).toContain('UTC milliseconds');
    });
  });

  describe('errors', () => {
    it('answers JSON 404 for unknown routes under /api', async () => {
      for (const path of ['/api/v1/nothing', '/api/v2/health', '/api']) {
        const { status, body, type } = await get<ErrorBody>(path);
        expect(status, path).toBe(404);
        expect(type).toMatch(/^application\/json/);
        expect(body.error.code).toBe('not_found');
      }
      const post = await app.request('/api/v1/health', { method: 'POST' });
      expect(post.status).toBe(404);
      expect(((await post.json()) as ErrorBody).error.code).toBe('not_found');
    });

    it('answers JSON 500 without the stack when a dependency throws, and logs it', async () => {
      const lines: string[] = [];
      const { createLogger } = await import('../../node-daemon/core/log.js');
      const log = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
      const broken = new (class extends MemoryReadingsReader {
        override readings(): StoredReading[] {
          throw new Error('SQLITE_IOERR: disk I/O error at /secret/path');
        }
      })([]);
      const failing = createApp({ sensors: siteConfig().sensors, health: registry, readings: broken, log, clock: () => now });
      const res = await failing.request('/api/v1/sensors/dam/readings');
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: expect.any(String) as string } });
      expect(text).not.toContain('SQLITE_IOERR');
      expect(text).not.toContain('at ');
      expect(lines.some((l) => l.includes('"event":"http.error"') && l.includes('SQLITE_IOERR'))).toBe(true);
    });
  });

  describe('GET /api/v1/openapi.json', () => {
    it('is an OpenAPI 3.1 document listing every route of the app', async () => {
      const { status, body } = await get<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>(
        '/api/v1/openapi.json',
      );
      expect(status).toBe(200);
      expect(body.openapi).toBe('3.1.0');
      // The web UI's static files (outside /api/) are not part of the API document.
      const routes = app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/')).map((r) => [r.method.toLowerCase(), r.path.replace(/:(\w+)/g, '{$1}')] as const);
      expect(routes.length).toBeGreaterThanOrEqual(4);
      for (const [method, path] of routes) expect(body.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      expect(Object.keys(body.paths).sort()).toEqual([...new Set(routes.map(([, p]) => p))].sort());
      for (const name of ['Health', 'SensorList', 'Readings', 'Aggregates', 'Error']) expect(body.components.schemas[name], name).toBeDefined();
    });

    it('documents the readings parameters from the validation schema', async () => {
      const { body } = await get<{ paths: Record<string, { get: { parameters: { name: string; in: string; required: boolean }[] } }> }>('/api/v1/openapi.json');
      const params = body.paths['/api/v1/sensors/{id}/readings']!.get.parameters;
      expect(params.map((p) => [p.name, p.in, p.required])).toEqual([
        ['id', 'path', true],
        ['from', 'query', false],
        ['to', 'query', false],
        ['limit', 'query', false],
        ['resolution', 'query', false],
      ]);
    });
  });
});
