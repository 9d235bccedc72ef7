import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { RuleEngine, type RainTips } from '../../node-daemon/alarms/engine/rule-engine.js';
import { alarmSiteSchema } from '../../node-daemon/alarms/rules/schema.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { configSchema, type Config } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { createLogger, silentLogger } from '../../node-daemon/core/log.js';
import { createApp } from '../../node-daemon/http/app.js';
import { settingsProblemsSchema } from '../../node-daemon/http/routes/settings.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { MIGRATIONS, migrate } from '../../node-daemon/storage/migrations.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { checkWithSection } from '../../node-daemon/settings/effective-config.js';
import { SettingsService } from '../../node-daemon/settings/settings-service.js';
import { SiteRain } from '../../node-daemon/alarms/engine/site-rain.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function database(): { db: Db; dir: string; reopen(): Db } {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-settings-'));
  let db = openDatabase({ dataDir: dir, log: silentLogger() }).db;
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get db() {
      return db;
    },
    dir,
    reopen() {
      db.close();
      db = openDatabase({ dataDir: dir, log: silentLogger() }).db;
      return db;
    },
  };
}

function fileConfig(sensors = ['river', 'dam']): Config {
  return configSchema.parse({
    buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1' }],
    sensors: sensors.map((id, i) => ({ id, bus: 'site', slave: i + 1, profile: 'submersible-level' })),
    alarms: { sites: [{ id: 'qingshui', sensors: ['river'], prepare: { levelM: 5 }, evacuate: { levelM: 8 } }] },
  });
}

function logLines(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { log, lines };
}

describe('checkWithSection', () => {
  it('names every problem by its full key path, schema and cross-checks alike', () => {
    const base = fileConfig();
    const bad = checkWithSection(base, 'alarms', {
      sites: [
        { id: 'qingshui', sensors: ['rivr'], prepare: { levelM: 5 }, evacuate: { levelM: 8 } },
        { id: 'Bad Id', sensors: ['dam'], prepare: { levelM: 5 }, evacuate: { levelM: 'high' } },
      ],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['alarms.sites[1].id', 'alarms.sites[1].evacuate.levelM']));
    // the schema failed, so the reference check on the config as a whole is not run (as for a config file)
    const refs = checkWithSection(base, 'alarms', { sites: [{ id: 'qingshui', sensors: ['rivr', 'dm'], prepare: { levelM: 5 }, evacuate: { levelM: 8 } }] });
    expect(refs.ok).toBe(false);
    if (refs.ok) return;
    expect(refs.problems.map((p) => [p.path, p.severity])).toEqual([
      ['alarms.sites[0].sensors[0]', 'error'],
      ['alarms.sites[0].sensors[1]', 'error'],
    ]);
    expect(refs.problems[1]?.message).toMatch(/did you mean "dam"/);
  });

  it('gives the whole effective config, defaults filled in, and leaves the other sections alone', () => {
    const base = fileConfig();
    const ok = checkWithSection(base, 'alarms', { sites: [{ id: 'qingshui', sensors: ['dam'], prepare: { levelM: 2 }, evacuate: { levelM: 3 } }] });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(ok.config.alarms.sites[0]).toMatchObject({ sensors: ['dam'], prepare: { levelM: 2, hysteresisM: 0.1, debounce: { samples: 2 } } });
    expect(ok.config.sensors).toEqual(base.sensors);
    expect(ok.config.dispatch).toEqual(base.dispatch);
  });
});

describe('SettingsService on SQLite', () => {
  it('stores a change with its audit row, and a new service on the same database starts with it', async () => {
    const d = database();
    const first = new SettingsService({ db: d.db, fileConfig: fileConfig(), log: silentLogger(), clock: () => 1_000 });
    const applied: string[] = [];
    first.onApply((section, next, previous) => {
      applied.push(`${section}:${previous.alarms.sites[0]?.prepare.levelM}->${next.alarms.sites[0]?.prepare.levelM}`);
    });
    const sites = [{ id: 'qingshui', sensors: ['river'], prepare: { levelM: 4 }, evacuate: { levelM: 8 } }];
    const res = await first.update('alarms', { sites }, '李工');
    expect(res).toMatchObject({ ok: true, section: 'alarms', auditId: 1 });
    expect(applied).toEqual(['alarms:5->4']);
    expect(first.effective().alarms.sites[0]?.prepare.levelM).toBe(4);

    const second = new SettingsService({ db: d.reopen(), fileConfig: fileConfig(), log: silentLogger() });
    expect(second.effective().alarms.sites[0]?.prepare.levelM).toBe(4);
    expect(second.overrides()).toEqual({ alarms: { updatedAt: 1_000, by: '李工' }, dispatch: null });
    expect(second.audit({ limit: 10 })).toEqual([
      { id: 1, ts: 1_000, by: '李工', section: 'alarms', before: fileConfig().alarms, after: first.effective().alarms },
    ]);
  });

  it('a stored override the config file no longer supports is logged and left out: the box starts on the file', async () => {
    const d = database();
    const first = new SettingsService({ db: d.db, fileConfig: fileConfig(), log: silentLogger() });
    expect((await first.update('alarms', { sites: [{ id: 'qingshui', sensors: ['dam'], prepare: { levelM: 4 }, evacuate: { levelM: 8 } }] }, 'a')).ok).toBe(true);
    // the file drops the dam sensor
    const { log, lines } = logLines();
    const second = new SettingsService({ db: d.reopen(), fileConfig: fileConfig(['river']), log });
    expect(second.effective().alarms).toEqual(fileConfig(['river']).alarms);
    expect(second.overrides().alarms).toBeNull();
    const line = lines.find((l) => l.event === 'settings.override_invalid');
    expect(line).toMatchObject({ level: 'error', section: 'alarms', by: 'a' });
    expect(line?.problems).toEqual([expect.stringMatching(/^alarms\.sites\[0\]\.sensors\[0\]: "dam" is not a known sensor/)]);
  });

  it('refuses a bad change without storing it; runs changes one at a time; pages the audit log', async () => {
    const d = database();
    let now = 0;
    const s = new SettingsService({ db: d.db, fileConfig: fileConfig(), log: silentLogger(), clock: () => ++now });
    const bad = await s.update('dispatch', { prepare: { message: '{x}', ledText: 'a' } }, 'a');
    expect(bad).toEqual({ ok: false, problems: [expect.objectContaining({ path: 'dispatch.prepare.message', severity: 'error' })] });
    expect(s.audit({ limit: 10 })).toEqual([]);
    const plan = (text: string) => ({ prepare: { message: text, ledText: text }, evacuate: { message: text, ledText: text } });
    const results = await Promise.all(['一', '二', '三'].map((t) => s.update('dispatch', plan(t), t)));
    expect(results.map((r) => r.ok && r.auditId)).toEqual([1, 2, 3]);
    expect(s.effective().dispatch.prepare.message).toBe('三');
    const page1 = s.audit({ limit: 2 });
    expect(page1.map((e) => [e.id, e.by])).toEqual([
      [3, '三'],
      [2, '二'],
    ]);
    // each change's "before" is the one before it
    expect((page1[0]!.before as Config['dispatch']).prepare.message).toBe('二');
    expect(s.audit({ limit: 2, beforeId: 2 }).map((e) => e.id)).toEqual([1]);
    expect(s.audit({ limit: 5, section: 'alarms' })).toEqual([]);
  });

  it('records the signed-in account of a change beside `by` in the audit log; a change without one has none', async () => {
    const d = database();
    let now = 0;
    const s = new SettingsService({ db: d.db, fileConfig: fileConfig(), log: silentLogger(), clock: () => ++now });
    const sites = [{ id: 'qingshui', sensors: ['river'], prepare: { levelM: 4 }, evacuate: { levelM: 8 } }];
    expect((await s.update('alarms', { sites }, 'Wang.Admin', 'Wang.Admin')).ok).toBe(true);
    expect((await s.update('alarms', { sites }, 'token:ops', 'token:ops')).ok).toBe(true);
    expect((await s.update('alarms', { sites }, '王工')).ok).toBe(true);
    expect(s.audit({ limit: 10 }).map((e) => [e.id, e.by, e.account ?? null])).toEqual([
      [3, '王工', null],
      [2, 'token:ops', 'token:ops'],
      [1, 'Wang.Admin', 'Wang.Admin'],
    ]);
    expect(s.audit({ limit: 1 })[0]).not.toHaveProperty('account');
    expect(d.db.prepare('SELECT account FROM settings_audit ORDER BY id').pluck().all()).toEqual(['Wang.Admin', 'token:ops', null]);
  });

  it('migration 6: audit rows written before it keep no account', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-settings-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const old = new Database(join(dir, 'fenghuo.db'));
    migrate(old, silentLogger(), MIGRATIONS.filter((m) => m.version <= 5));
    old.prepare(`INSERT INTO settings_audit (ts, "by", section, before_json, after_json) VALUES (1, '李工', 'alarms', '{}', '{}')`).run();
    old.close();
    const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
    cleanups.push(() => db.close());
    expect(db.prepare('SELECT account FROM settings_audit').pluck().all()).toEqual([null]);
    const s = new SettingsService({ db, fileConfig: fileConfig(), log: silentLogger() });
    expect(s.audit({ limit: 10 })).toEqual([{ id: 1, ts: 1, by: '李工', section: 'alarms', before: {}, after: {} }]);
  });

  it('an applier that fails makes the update reject; the change is stored and applies at the next start', async () => {
    const d = database();
    const s = new SettingsService({ db: d.db, fileConfig: fileConfig(), log: silentLogger() });
    s.onApply(() => {
      throw new Error('engine would not start');
    });
    await expect(s.update('alarms', { sites: [] }, 'a')).rejects.toThrow(/would not start/);
    const again = new SettingsService({ db: d.reopen(), fileConfig: fileConfig(), log: silentLogger() });
    expect(again.effective().alarms.sites).toEqual([]);
  });
});

describe('settings routes (createApp, no auth layer)', () => {
  it('PUT answers 400 naming the key, records `by` from the query, GET /audit validates its parameters', async () => {
    const d = database();
    const config = fileConfig();
    const hub = new EventHub();
    const health = new StatusRegistry({ config, hub, busCounters: new Map(), storageStatus: () => ({ pendingWrites: 0 }), dataDir: d.dir });
    cleanups.push(() => void health.stop());
    const settings = new SettingsService({ db: d.db, fileConfig: config, log: silentLogger() });
    const app = createApp({ sensors: config.sensors, health, readings: new SqliteReadingsReader(d.db), log: silentLogger(), settings });
    const put = (path: string, body: string) => app.request(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });

    const bad = await put('/api/v1/settings/alarms', JSON.stringify({ sites: [{ id: 'qingshui', sensors: ['nope'], prepare: { levelM: 5 }, evacuate: { levelM: 8 } }] }));
    expect(bad.status).toBe(400);
    const body = settingsProblemsSchema.parse(await bad.json());
    expect(body.error).toMatchObject({ code: 'bad_request', param: 'alarms.sites[0].sensors[0]' });
    expect(body.error.message).toMatch(/^1 problem; the first: alarms\.sites\[0\]\.sensors\[0\]: "nope" is not a known sensor/);
    expect((await put('/api/v1/settings/alarms', '{not json')).status).toBe(400);
    expect((await put('/api/v1/settings/dispatch', JSON.stringify({}) + ' '.repeat(300_000))).status).toBe(400);
    expect((await put('/api/v1/settings/alarms?who=x', '{}')).status).toBe(400);
    expect(await (await put('/api/v1/settings/nope', '{}')).json()).toMatchObject({ error: { code: 'not_found' } });

    const ok = await put('/api/v1/settings/alarms?by=%E7%8E%8B%E5%B7%A5', JSON.stringify({}));
    expect(ok.status).toBe(200);
    expect(settings.audit({ limit: 1 })[0]?.by).toBe('王工');
    expect((await put('/api/v1/settings/dispatch', JSON.stringify({}))).status).toBe(200);
    expect(settings.audit({ limit: 1 })[0]).toMatchObject({ by: 'unknown', section: 'dispatch' });
    // Without the auth layer nobody is signed in: no account is recorded, and none is made up from `by`.
    expect(settings.audit({ limit: 2 }).map((e) => e.account ?? null)).toEqual([null, null]);

    const audit = await app.request('/api/v1/audit?limit=1&before=2');
    expect(await audit.json()).toMatchObject({ entries: [{ id: 1, by: '王工' }], truncated: false });
    for (const [q, param] of [
      ['limit=1001', 'limit'],
      ['before=x', 'before'],
      ['limit=1&limit=2', 'limit'],
      ['sort=asc', 'sort'],
    ]) {
      const res = await app.request(`/api/v1/audit?${q}`);
      expect(res.status, q).toBe(400);
      expect(await res.json(), q).toMatchObject({ error: { param } });
    }
  });
});

describe('SiteRain', () => {
  it('reads the 1/3/6 h totals the live rule engine counted from its persisted state', async () => {
    const d = database();
    const hub = new EventHub();
    const tips$ = new Subject<RainTips>();
    let now = Date.UTC(2024, 6, 1, 12, 0);
    const site = alarmSiteSchema.parse({
      id: 'qingshui',
      sensors: ['river'],
      prepare: { levelM: 5 },
      evacuate: { levelM: 8 },
      rainfall: { gauge: { id: 'rain', input: 'tips', mmPerTip: 0.5 }, h1: { prepareMm: 30 } },
    });
    const plain = alarmSiteSchema.parse({ id: 'baishi', sensors: ['dam'], prepare: { levelM: 5 }, evacuate: { levelM: 8 } });
    const engine = new RuleEngine({
      sites: [site, plain],
      db: d.db,
      alarms: new EmittingAlarmService({ store: new AlarmStore(d.db), hub, clock: () => now }),
      hub,
      clock: () => now,
      log: silentLogger(),
      rainTips$: tips$,
      scheduler: { every: () => () => undefined },
    });
    const rain = new SiteRain(d.db);
    await engine.start();
    expect(rain.totals(site, now)).toEqual({ h1: 0, h3: 0, h6: 0 });
    const HOUR = 3_600_000;
    tips$.next({ gaugeId: 'rain', ts: now - 5 * HOUR, tips: 20 }); // 10 mm, 5 h ago
    tips$.next({ gaugeId: 'rain', ts: now - 2 * HOUR, tips: 8 }); // 4 mm, 2 h ago
    tips$.next({ gaugeId: 'rain', ts: now - 10 * 60_000, tips: 3 }); // 1.5 mm, 10 min ago
    expect(rain.totals(site, now)).toEqual({ h1: 1.5, h3: 5.5, h6: 15.5 });
    await engine.stop();
    now += 2 * HOUR;
    expect(rain.totals(site, now)).toEqual({ h1: 0, h3: 1.5, h6: 5.5 });
    expect(rain.totals(plain, now)).toBeUndefined();
    hub.complete();
  });
});
