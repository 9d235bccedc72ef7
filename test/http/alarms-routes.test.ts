import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { configSchema } from '../../node-daemon/config/schema.js';
import { EventHub, type AlarmEvent } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import type { AlarmChangeBody, AlarmList } from '../../node-daemon/http/alarm-schemas.js';
import { createApp } from '../../node-daemon/http/app.js';
import type { ErrorBody } from '../../node-daemon/http/errors.js';

const NOW = Date.UTC(2024, 6, 1, 16, 0, 0); // 2024-07-02 00:00:00 in Asia/Shanghai
const MIN = 60_000;

describe('alarm API over SQLite', () => {
  let dir: string;
  let db: Db;
  let now: number;
  let hub: EventHub;
  let events: AlarmEvent[];
  let registry: StatusRegistry;
  let store: AlarmStore;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-alarm-api-'));
    db = openDatabase({ dataDir: dir, log: silentLogger() }).db;
    now = NOW;
    hub = new EventHub();
    events = [];
    hub.alarm$.subscribe((e) => events.push(e));
    const config = configSchema.parse({
      buses: [{ id: 'gw', type: 'tcp', host: '127.0.0.1' }],
      sensors: [{ id: 'river', bus: 'gw', slave: 1, profile: 'submersible-level' }],
    });
    registry = new StatusRegistry({ config, hub, busCounters: new Map(), storageStatus: () => ({ pendingWrites: 0 }), dataDir: dir, clock: () => now, version: '0.0.0-test' });
    store = new AlarmStore(db);
    const alarms = new EmittingAlarmService({ store, hub, clock: () => now });
    app = createApp({
      sensors: config.sensors,
      health: registry,
      readings: new SqliteReadingsReader(db),
      log: silentLogger(),
      clock: () => now,
      alarms,
      shelving: () => ({ defaultDurationMs: 45 * 60_000, maxDurationMs: 120 * 60_000 }),
      cap: { senderCode: '53010201100101', sender: 'fenghuo-qingshui', areaDesc: '清水镇', timeZone: 'Asia/Shanghai' },
    });
  });

  afterEach(async () => {
    await registry.stop();
    hub.complete();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T; type: string | null }> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const res = await app.request(path, init);
    const type = res.headers.get('content-type');
    const parsed = type?.startsWith('application/json') === true ? ((await res.json()) as T) : ((await res.text()) as T);
    return { status: res.status, body: parsed, type };
  }

  function floodAlarm(level: 'prepare' | 'evacuate' = 'evacuate'): number {
    return store.raise(
      { key: 'flood:qingshui', kind: 'flood', level, siteId: 'qingshui', sensorId: 'river', drill: false, title: '清水河站 立即转移', cause: { rule: 'level', value: 3.1, readingTs: now, sensorId: 'river' } },
      now,
    ).alarm.id;
  }

  it('lists the active alarms newest first, all of them on request, with from/to and limit', async () => {
    const a = floodAlarm();
    now += MIN;
    const b = store.raise({ key: 'fault:comm_lost:river', kind: 'fault', level: null, sensorId: 'river', drill: false, title: '通讯中断', cause: {} }, now).alarm.id;
    now += MIN;
    store.clear({ id: b }, {}, now);

    const active = await call<AlarmList>('GET', '/api/v1/alarms');
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ state: 'active', truncated: false });
    expect(active.body.alarms.map((x) => x.id)).toEqual([a]);

    const all = await call<AlarmList>('GET', '/api/v1/alarms?state=all');
    expect(all.body.alarms.map((x) => [x.id, x.state])).toEqual([
      [b, 'cleared'],
      [a, 'active'],
    ]);
    const limited = await call<AlarmList>('GET', '/api/v1/alarms?state=all&limit=1');
    expect(limited.body).toMatchObject({ truncated: true, alarms: [{ id: b }] });
    const iso = await call<AlarmList>('GET', '/api/v1/alarms?state=all&to=2024-07-02T00:00:30%2B08:00');
    expect(iso.body.alarms.map((x) => x.id)).toEqual([a]);
    expect(iso.body.to).toBe(NOW + 30_000);
    const fromMs = await call<AlarmList>('GET', `/api/v1/alarms?state=all&from=${NOW + 1}`);
    expect(fromMs.body.alarms.map((x) => x.id)).toEqual([b]);
  });

  it('answers 400 naming the parameter for bad queries, ids and bodies', async () => {
    const bad = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<ErrorBody['error']> => {
      const r = await call<ErrorBody>(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(400);
      return r.body.error;
    };
    expect(await bad('GET', '/api/v1/alarms?state=open')).toMatchObject({ code: 'bad_request', param: 'state', message: 'state must be active or all' });
    expect((await bad('GET', '/api/v1/alarms?limit=0')).param).toBe('limit');
    expect((await bad('GET', '/api/v1/alarms?from=2024-07-02T00:00:00')).param).toBe('from');
    expect((await bad('GET', `/api/v1/alarms?from=${NOW}&to=${NOW - 1}`)).param).toBe('to');
    expect((await bad('GET', '/api/v1/alarms?colour=red')).message).toMatch(/unknown parameter colour/);
    expect(await bad('GET', '/api/v1/alarms/abc')).toMatchObject({ param: 'id' });
    expect(await bad('GET', '/api/v1/alarms/0/cap')).toMatchObject({ param: 'id' });
    const id = floodAlarm();
    expect(await bad('POST', `/api/v1/alarms/${id}/ack`, '{not json')).toMatchObject({ message: expect.stringMatching(/JSON object/) as string });
    // `by` (on behalf of) is optional, but when sent it must be a name.
    expect(await bad('POST', `/api/v1/alarms/${id}/ack`, { by: 7 })).toMatchObject({ param: 'by', message: expect.stringMatching(/on behalf of/) as string });
    expect(await bad('POST', `/api/v1/alarms/${id}/ack`, { by: '  ' })).toMatchObject({ param: 'by' });
    expect(await bad('POST', `/api/v1/alarms/${id}/ack`, { account: 'admin' })).toMatchObject({ param: 'account' });
    expect(await bad('POST', `/api/v1/alarms/${id}/ack`, { by: '张三', colour: 1 })).toMatchObject({ param: 'colour' });
    expect(await bad('POST', `/api/v1/alarms/${id}/shelve`, { by: '张三', minutes: 1441 })).toMatchObject({ param: 'minutes' });
    expect(await bad('POST', '/api/v1/alarms', { level: 'panic', drill: false, by: '张三' })).toMatchObject({ param: 'level' });
    expect(await bad('POST', '/api/v1/alarms', { level: 'prepare', by: '张三' })).toMatchObject({ param: 'drill' });
    expect(await bad('POST', '/api/v1/alarms/county', { id: 'c-1', level: 'prepare', title: 'x', issuedAt: 'yesterday' })).toMatchObject({ param: 'issuedAt' });
    expect(await bad('POST', '/api/v1/alarms/county', [1])).toMatchObject({ message: 'the body must be a JSON object' });
    expect(events.map((e) => e.transition.type)).toEqual([]);
  });

  it('gets one alarm with its history, acknowledges it once and answers 409 the second time, 404 for unknown ids', async () => {
    const id = floodAlarm();
    const ack = await call<AlarmChangeBody>('POST', `/api/v1/alarms/${id}/ack`, { by: '张三', note: '已通知' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ changed: true, alarm: { id, state: 'acknowledged', acknowledgedBy: '张三', ackNote: '已通知', acknowledgedAt: NOW } });

    const again = await call<ErrorBody>('POST', `/api/v1/alarms/${id}/ack`, { by: '张三' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', param: 'id', message: expect.stringMatching(/only an active alarm can be acknowledged/) as string });

    const one = await call<AlarmChangeBody['alarm']>('GET', `/api/v1/alarms/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.transitions.map((t) => [t.type, t.by ?? null])).toEqual([
      ['raised', null],
      ['acknowledged', '张三'],
    ]);
    expect((await call<ErrorBody>('GET', '/api/v1/alarms/999')).status).toBe(404);
    expect((await call<ErrorBody>('POST', '/api/v1/alarms/999/ack', { by: 'x' })).body.error).toMatchObject({ code: 'not_found', param: 'id' });
    expect(events.map((e) => [e.transition.type, e.alarm.state])).toEqual([['acknowledged', 'acknowledged']]);
    const log = db.prepare("SELECT payload FROM change_log WHERE kind = 'alarm' ORDER BY seq").all() as { payload: string }[];
    expect(log.map((r) => (JSON.parse(r.payload) as { type: string }).type)).toEqual(['raised', 'acknowledged']);
  });

  it('gives an ISO 8601 UTC copy of every time: the alarm\'s …At fields and each transition\'s ts', async () => {
    const id = floodAlarm();
    now = NOW + 5 * MIN;
    await call<AlarmChangeBody>('POST', `/api/v1/alarms/${id}/ack`, { note: '已通知' });
    const one = await call<AlarmChangeBody['alarm']>('GET', `/api/v1/alarms/${id}`);
    expect(one.body).toMatchObject({
      raisedAt: NOW,
      raisedAtIso: '2024-07-01T16:00:00.000Z',
      acknowledgedAt: NOW + 5 * MIN,
      acknowledgedAtIso: '2024-07-01T16:05:00.000Z',
      updatedAtIso: '2024-07-01T16:05:00.000Z',
    });
    expect(one.body.transitions.map((t) => [t.ts, t.iso])).toEqual([
      [NOW, '2024-07-01T16:00:00.000Z'],
      [NOW + 5 * MIN, '2024-07-01T16:05:00.000Z'],
    ]);
    const list = await call<AlarmList>('GET', '/api/v1/alarms');
    expect(list.body.alarms[0]).toMatchObject({ id, raisedAtIso: '2024-07-01T16:00:00.000Z' });
  });

  it('raises manual alarms and drills by site, escalating the open one, and clears them by hand', async () => {
    const first = await call<AlarmChangeBody>('POST', '/api/v1/alarms', { level: 'prepare', siteId: 'qingshui', drill: true, by: '李四', message: '演练：请到村委会集合' });
    expect(first.status).toBe(201);
    expect(first.body.alarm).toMatchObject({ kind: 'manual', key: 'drill:qingshui', drill: true, level: 'prepare', title: '【演练】qingshui 准备转移', siteId: 'qingshui' });
    expect(first.body.alarm.transitions[0]).toMatchObject({ type: 'raised', by: '李四', note: '演练：请到村委会集合' });

    const up = await call<AlarmChangeBody>('POST', '/api/v1/alarms', { level: 'evacuate', siteId: 'qingshui', drill: true, by: '李四', title: '演练 立即转移' });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ changed: true, alarm: { id: first.body.alarm.id, level: 'evacuate', title: '演练 立即转移' } });

    const real = await call<AlarmChangeBody>('POST', '/api/v1/alarms', { level: 'evacuate', drill: false, by: '李四' });
    expect(real.status).toBe(201);
    expect(real.body.alarm).toMatchObject({ key: 'manual:all', title: '全镇 立即转移', drill: false });

    const cleared = await call<AlarmChangeBody>('POST', `/api/v1/alarms/${first.body.alarm.id}/clear`, { by: '李四', note: '演练结束' });
    expect(cleared.body.alarm).toMatchObject({ state: 'cleared', clearedAt: NOW });
    expect((await call<ErrorBody>('POST', `/api/v1/alarms/${first.body.alarm.id}/clear`, { by: '李四' })).status).toBe(409);

    const flood = floodAlarm();
    const refused = await call<ErrorBody>('POST', `/api/v1/alarms/${flood}/clear`, { by: '李四' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/clears when its rule sees the condition end/);
    expect(store.get(flood)?.state).toBe('active');
  });

  it('takes county alarms idempotently on their id, even after they were cleared', async () => {
    const body = { id: 'HX-2024-0701-03', level: 'prepare', title: '县防指 准备转移', message: '清水河上游强降雨', issuedAt: '2024-07-01T23:50:00+08:00' };
    const first = await call<AlarmChangeBody>('POST', '/api/v1/alarms/county', body);
    expect(first.status).toBe(201);
    expect(first.body.alarm).toMatchObject({ key: 'county:HX-2024-0701-03', kind: 'county', drill: false, level: 'prepare' });
    expect(first.body.alarm.transitions[0]?.cause.detail).toBe('county alert HX-2024-0701-03 issued 2024-07-01T15:50:00.000Z');

    const repeat = await call<AlarmChangeBody>('POST', '/api/v1/alarms/county', body);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ changed: false, alarm: { id: first.body.alarm.id } });

    const escalated = await call<AlarmChangeBody>('POST', '/api/v1/alarms/county', { ...body, level: 'evacuate', title: '县防指 立即转移' });
    expect(escalated.body).toMatchObject({ changed: true, alarm: { level: 'evacuate' } });

    store.clear({ key: 'county:HX-2024-0701-03' }, { rule: 'county' }, now);
    const afterClear = await call<AlarmChangeBody>('POST', '/api/v1/alarms/county', body);
    expect(afterClear.status).toBe(200);
    expect(afterClear.body).toMatchObject({ changed: false, alarm: { id: first.body.alarm.id, state: 'cleared' } });
    expect(store.active()).toEqual([]);
    expect(events.map((e) => e.transition.type)).toEqual(['raised', 'escalated']);
  });

  it('shelves fault alarms for the given minutes, refuses to shelve a flood alarm', async () => {
    const faultId = store.raise({ key: 'fault:stuck:river', kind: 'fault', level: null, sensorId: 'river', drill: false, title: '水位计读数卡滞', cause: {} }, now).alarm.id;
    const shelved = await call<AlarmChangeBody>('POST', `/api/v1/alarms/${faultId}/shelve`, { by: '王五', minutes: 90, note: '待更换' });
    expect(shelved.status).toBe(200);
    expect(shelved.body.alarm.shelvedUntil).toBe(NOW + 90 * MIN);
    const un = await call<AlarmChangeBody>('POST', `/api/v1/alarms/${faultId}/unshelve`, { by: '王五' });
    expect(un.body.alarm.shelvedUntil).toBeUndefined();
    expect((await call<ErrorBody>('POST', `/api/v1/alarms/${faultId}/unshelve`, { by: '王五' })).status).toBe(409);

    // Without minutes: alarms.shelving.defaultDurationMs; past maxDurationMs: refused, naming the field.
    const byDefault = await call<AlarmChangeBody>('POST', `/api/v1/alarms/${faultId}/shelve`, { by: '王五' });
    expect(byDefault.body.alarm.shelvedUntil).toBe(NOW + 45 * MIN);
    const tooLong = await call<ErrorBody>('POST', `/api/v1/alarms/${faultId}/shelve`, { by: '王五', minutes: 121 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ param: 'minutes', message: expect.stringContaining('at most 120') as string });

    const floodId = floodAlarm();
    const refused = await call<ErrorBody>('POST', `/api/v1/alarms/${floodId}/shelve`, { by: '王五', minutes: 10 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/only fault and output_fault alarms can be shelved/);
  });

  it('serves an alarm as CAP XML', async () => {
    const id = floodAlarm();
    const cap = await call<string>('GET', `/api/v1/alarms/${id}/cap`);
    expect(cap.status).toBe(200);
    expect(cap.type).toBe('application/xml; charset=utf-8');
    expect(cap.body).toContain('<status>Actual</status>');
    expect(cap.body).toContain(`<identifier>53010201100101_20240702000000_1</identifier>`);
    expect(cap.body).toContain('<sent>2024-07-02T00:00:00+08:00</sent>');
    expect((await call<ErrorBody>('GET', '/api/v1/alarms/42/cap')).status).toBe(404);
  });

  it('keeps its alarms across a restart of the store on the same file', async () => {
    const id = floodAlarm();
    db.close();
    db = openDatabase({ dataDir: dir, log: silentLogger() }).db;
    const restarted = createApp({
      sensors: [],
      health: registry,
      readings: new SqliteReadingsReader(db),
      log: silentLogger(),
      alarms: new EmittingAlarmService({ store: new AlarmStore(db), clock: () => now }),
    });
    const list = (await (await restarted.request('/api/v1/alarms')).json()) as AlarmList;
    expect(list.alarms.map((a) => [a.id, a.state, a.level])).toEqual([[id, 'active', 'evacuate']]);
    expect((await restarted.request(`/api/v1/alarms/${id}/cap`)).status).toBe(404);
  });

  it('documents every alarm route in the OpenAPI document', async () => {
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    const routes = app.routes.filter((r) => r.method !== 'ALL' && r.path.includes('/alarms'));
    expect(routes.length).toBe(9);
    for (const r of routes) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      if (r.method === 'POST') expect(op?.requestBody, `${r.method} ${r.path}`).toBeDefined();
    }
  });
});

it('documents a time field of a body as required', async () => {
  const { openApiDocument } = await import('../../node-daemon/http/routes/openapi.js');
  const doc = openApiDocument('test') as { paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: { required?: string[] } }> } } }> };
  expect(doc.paths['/api/v1/alarms/county']?.post?.requestBody.content['application/json']?.schema.required).toEqual(['id', 'level', 'title', 'issuedAt']);
});
