// The web UI's backend routes on the real daemon (buildDaemon): a Modbus TCP gauge served by the site simulator,
// a BX LED board simulator on a socat pty, a loudspeaker recorded to a WAV file (espeak-ng/sox), real SQLite.
// Settings changes go through the API and must change what the live rule engine and dispatcher do, survive a
// restart, and leave an audit row.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BxSimulator } from '../../drivers/led/sim/bx-simulator.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { outputsSnapshotSchema } from '../../node-daemon/http/routes/outputs.js';
import { auditListSchema, settingsBodySchema, settingsProblemsSchema } from '../../node-daemon/http/routes/settings.js';
import { sitesBodySchema } from '../../node-daemon/http/routes/sites.js';
import { systemBodySchema } from '../../node-daemon/http/routes/system.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { SiteSimulator } from '../../node-daemon/sim/site-simulator.js';
import { soxDurationS, soxStat } from '../audio/sox-measure.js';
import { tempDir, waitUntil } from '../daemon/daemon-harness.js';
import { bearerHeaders, testApiTokens, TEST_API_TOKEN } from '../helpers/auth.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

const SITE = 'qingshui';
const SENSOR = 'river';

let level = 3.0;
let sim: SiteSimulator;
let ledPty: PtyPair;
let led: BxSimulator;
let data: { dir: string; cleanup(): void };
let daemon: Daemon | undefined;
let url = '';
let speakerFile = '';

function yamlConfig(port: number): unknown {
  return {
    http: { apiTokens: testApiTokens('operator', 'viewer') },
    storage: { flushIntervalMs: 50 },
    buses: [{ id: 'site', type: 'tcp', host: '127.0.0.1', port, timeoutMs: 300, retries: 0 }],
    // Polled fast for the alarm steps; staleness is not what this file tests (the default 3 polls, 300 ms, read
    // `stale` on a loaded CI machine).
    sensors: [{ id: SENSOR, name: '清水河水位', bus: 'site', slave: 1, profile: 'submersible-level', pollIntervalMs: 100, staleAfterMs: 5_000, critical: true }],
    alarms: {
      sites: [{ id: SITE, name: '清水河站', sensors: [SENSOR], prepare: { levelM: 5, hysteresisM: 0.1 }, evacuate: { levelM: 8 } }],
    },
    dispatch: {
      prepare: { relays: [], message: '{site}准备转移', ledText: '{site} 准备转移', repeat: 1, intervalS: 0 },
      evacuate: { relays: [], message: '{site}立即转移', ledText: '{site} 立即转移', repeat: 1, intervalS: 0 },
    },
    outputs: {
      speakers: [{ id: 'spk-1', device: `file:${speakerFile}`, rate: 300 }],
      ledBoards: [{ id: 'led-1', path: ledPty.a, baudRate: 9600, replyTimeoutMs: 500, align: 'center' }],
    },
  };
}

async function startDaemon(): Promise<void> {
  const parsed = parseConfigText(JSON.stringify(yamlConfig(sim.port!)));
  if (!parsed.ok) throw new Error(`config rejected: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  daemon = buildDaemon({ config: parsed.config, dataDir: data.dir, listen: '127.0.0.1:0', log: silentLogger(), clock: systemClock });
  await daemon.start();
  url = daemon.url();
}

async function api(path: string, init: { method?: string; json?: unknown; token?: string } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { ...bearerHeaders(init.token), ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  return { status: res.status, body: await res.json() };
}

const floodAlarm = async (): Promise<{ level: string; state: string } | undefined> => {
  const { body } = await api('/alarms?state=active');
  return (body as { alarms: { key: string; level: string; state: string }[] }).alarms.find((a) => a.key === `flood:${SITE}`);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const audioSeconds = (): number => (existsSync(speakerFile) ? soxDurationS(speakerFile) : 0);

beforeAll(async () => {
  data = tempDir('fenghuo-ui-backend-');
  speakerFile = join(data.dir, 'speaker.wav');
  const profile = loadCatalogue().get('submersible-level')!;
  sim = new SiteSimulator({ devices: [{ unit: 1, profile, level: () => level }], tcp: { host: '127.0.0.1', port: 0 }, log: silentLogger() });
  await sim.start();
  ledPty = await createPtyPair();
  led = await BxSimulator.open({ path: ledPty.b, baudRate: 9600 });
  await startDaemon();
  // the gauge is heard
  await waitUntil(async () => ((await api('/sites')).body as { sites: { sensors: { lastReading: unknown }[] }[] }).sites[0]?.sensors[0]?.lastReading, 10_000, 'a first reading');
});

afterAll(async () => {
  await daemon?.stop();
  await led?.close();
  await ledPty?.close();
  await sim?.stop();
  data?.cleanup();
});

describe('GET /api/v1/sites', () => {
  it('lists the site with its sensor\'s last reading, thresholds, level, trend and no rainfall', async () => {
    level = 3.0;
    await sleep(300);
    const { status, body } = await api('/sites', { token: `${TEST_API_TOKEN}-viewer` });
    expect(status).toBe(200);
    const parsed = sitesBodySchema.parse(body);
    expect(parsed.sites).toHaveLength(1);
    const site = parsed.sites[0]!;
    expect(site).toMatchObject({ id: SITE, name: '清水河站', thresholds: { prepareM: 5, evacuateM: 8 }, level: null, alarm: null, rainfall: null });
    expect(site.sensors[0]).toMatchObject({ id: SENSOR, name: '清水河水位', status: 'good', lastReading: { value: 3, quality: 'good' } });
    expect(site.sensors[0]!.lastReading!.ageMs).toBeLessThan(2_000);
    // less than 5 minutes of readings: no trend yet
    expect(site.trend).toBeNull();
  });

  it('needs a session or token', async () => {
    expect((await fetch(`${url}/api/v1/sites`)).status).toBe(401);
  });
});

describe('GET /api/v1/system', () => {
  it('reports memory, uptime, disk, clock source, version and time zone', async () => {
    const { status, body } = await api('/system', { token: `${TEST_API_TOKEN}-viewer` });
    expect(status).toBe(200);
    const sys = systemBodySchema.parse(body);
    expect(sys.timeZone).toBe('Asia/Shanghai');
    expect(sys.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(sys.memory.rssBytes).toBeGreaterThan(10_000_000);
    expect(sys.memory.systemTotalBytes).toBeGreaterThan(sys.memory.systemFreeBytes);
    expect(sys.uptime.processS).toBeGreaterThanOrEqual(0);
    expect(sys.uptime.systemS).toBeGreaterThan(0);
    expect(sys.disk.path).toBe(data.dir);
    expect(sys.disk.totalBytes).toBeGreaterThan(0);
    expect(['timedatectl', 'timesyncd', 'unknown']).toContain(sys.clock.source);
    if (sys.clock.source === 'unknown') expect(sys.clock.synchronized).toBeNull();
    else expect(typeof sys.clock.synchronized).toBe('boolean');
  });
});

describe('broadcast', () => {
  it('POST /broadcast/led shows the text on the BX board; an alarm takes the board back', async () => {
    await waitUntil(() => led.history().some((e) => e.kind === 'clear'), 5_000, 'the LED board blanked at start');
    const res = await api('/broadcast/led', { method: 'POST', json: { text: '水库放水 请远离河道', minutes: 5 }, token: `${TEST_API_TOKEN}-operator` });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ boards: ['led-1'], shownNow: true });
    await waitUntil(() => led.textOf(0) === '水库放水 请远离河道', 5_000, 'the operator text on the LED simulator');
    // outputs.ledBoards[].align reaches the board's TextAlignment byte
    expect(led.display().get(0)).toMatchObject({ align: 'center', verticalAlign: 'top' });

    const bad = await api('/broadcast/led', { method: 'POST', json: { text: 'x', boards: ['led-9'] } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'bad_request', param: 'boards[0]' } });
    const empty = await api('/broadcast/led', { method: 'POST', json: { text: '  ' } });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: { param: 'text' } });
    const long = await api('/broadcast/led', { method: 'POST', json: { text: 'x', minutes: 0 } });
    expect(long.body).toMatchObject({ error: { param: 'minutes' } });
    // viewers may not broadcast
    expect((await api('/broadcast/led', { method: 'POST', json: { text: 'x' }, token: `${TEST_API_TOKEN}-viewer` })).status).toBe(403);

    // a manual evacuate takes the board; clearing it brings back the all-clear... manual alarms have none, so the operator text
    const raised = await api('/alarms', { method: 'POST', json: { level: 'evacuate', by: '值班员', drill: true, siteId: SITE } });
    expect(raised.status).toBe(201);
    await waitUntil(() => led.textOf(0) === '【演练】清水河站 立即转移', 5_000, () => `the alarm text on the LED (shows ${led.textOf(0)})`);
    const id = (raised.body as { alarm: { id: number } }).alarm.id;
    expect((await api(`/alarms/${id}/clear`, { method: 'POST', json: { by: '值班员' } })).status).toBe(200);
    await waitUntil(() => led.textOf(0) === '水库放水 请远离河道', 5_000, 'the operator text back after the alarm');
  });

  it('POST /broadcast/speak is spoken on the file sink; unknown speakers are refused by name', async () => {
    const bad = await api('/broadcast/speak', { method: 'POST', json: { text: '测试', speakers: ['spk-1', 'spk-9'] } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'bad_request', param: 'speakers[1]' } });
    expect(((await api('/broadcast/speak', { method: 'POST', json: {} })).body as { error: { param: string } }).error.param).toBe('text');
    expect(((await api('/broadcast/speak', { method: 'POST', json: { text: 'x', volume: 3 } })).body as { error: { param: string } }).error.param).toBe('volume');

    // the drill above may still be writing its (cancelled) programme: wait until the speaker is idle
    await waitUntil(async () => ((await api('/outputs')).body as { speakers: { state: string }[] }).speakers[0]?.state === 'idle', 10_000, 'the speaker idle');
    const before = audioSeconds();
    const res = await api('/broadcast/speak', { method: 'POST', json: { text: '请注意，今晚有大雨。' } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ key: expect.stringMatching(/^announce:/), speakers: ['spk-1'] });
    await waitUntil(() => audioSeconds() > before + 0.5, 20_000, 'the announcement in the WAV file');
    expect(soxStat(speakerFile).rms).toBeGreaterThan(0.01);
  });

  it('an alarm pre-empts an announcement (playout class county); the announcement plays again after it', async () => {
    const speaker = async (): Promise<{ state: string; alarmKey: string | null }> => ((await api('/outputs')).body as { speakers: { state: string; alarmKey: string | null }[] }).speakers[0]!;
    await waitUntil(async () => (await speaker()).state === 'idle', 10_000, 'the speaker idle');
    const res = await api('/broadcast/speak', { method: 'POST', json: { text: '请注意，今晚有大雨，请沿河群众注意安全。'.repeat(6) } });
    const key = (res.body as { key: string }).key;
    await waitUntil(async () => (await speaker()).alarmKey === key, 10_000, 'the announcement playing');
    const raised = await api('/alarms', { method: 'POST', json: { level: 'evacuate', by: '值班员', drill: true, siteId: SITE } });
    await waitUntil(async () => (await speaker()).alarmKey === `drill:${SITE}`, 5_000, 'the drill pre-empting the announcement');
    const id = (raised.body as { alarm: { id: number } }).alarm.id;
    await api(`/alarms/${id}/clear`, { method: 'POST', json: { by: '值班员' } });
    await waitUntil(async () => (await speaker()).alarmKey === key, 10_000, 'the announcement again after the drill');
  });
});

describe('settings', () => {
  it('GET /settings shows the file\'s sections, none overridden', async () => {
    const { status, body } = await api('/settings');
    expect(status).toBe(200);
    const s = settingsBodySchema.parse(body);
    expect(s.alarms.sites[0]?.prepare.levelM).toBe(5);
    expect(s.dispatch.prepare.ledText).toBe('{site} 准备转移');
    expect(s.overrides).toEqual({ alarms: null, dispatch: null });
    // admin only
    expect((await api('/settings', { token: `${TEST_API_TOKEN}-operator` })).status).toBe(403);
  });

  it('PUT /settings/alarms naming an unknown sensor is refused at alarms.sites[0].sensors[0], with every problem listed', async () => {
    const current = settingsBodySchema.parse((await api('/settings')).body).alarms;
    const site = current.sites[0]!;
    const res = await api('/settings/alarms', {
      method: 'PUT',
      json: { ...current, sites: [{ ...site, sensors: ['rivr'], evacuate: { ...site.evacuate, levelM: 1 }, debounceX: 1 }] },
    });
    expect(res.status).toBe(400);
    const body = settingsProblemsSchema.parse(res.body);
    const paths = body.problems.map((p) => p.path);
    expect(paths).toContain('alarms.sites[0].debounceX');
    expect(paths).toContain('alarms.sites[0].evacuate.levelM');
    expect(body.error.code).toBe('bad_request');

    // the schema passes, the cross-check fails: the unknown sensor alone, with a did-you-mean
    const only = await api('/settings/alarms', { method: 'PUT', json: { ...current, sites: [{ ...site, sensors: ['rivr'] }] } });
    expect(only.status).toBe(400);
    const onlyBody = settingsProblemsSchema.parse(only.body);
    expect(onlyBody.error.param).toBe('alarms.sites[0].sensors[0]');
    expect(onlyBody.problems).toEqual([expect.objectContaining({ path: 'alarms.sites[0].sensors[0]', value: '"rivr"', message: expect.stringMatching(/did you mean "river"/) })]);

    const notObject = await api('/settings/alarms', { method: 'PUT', json: [1] });
    expect(notObject.status).toBe(400);
    // nothing was stored or audited
    expect(auditListSchema.parse((await api('/audit')).body).entries).toEqual([]);
    expect(settingsBodySchema.parse((await api('/settings')).body).overrides.alarms).toBeNull();
  });

  it('a good PUT /settings/alarms changes the thresholds the live rule engine uses, and leaves an audit row', async () => {
    // between the new (3.5 m) and the old (5 m) prepare level: nothing under the old rules
    level = 4.0;
    await sleep(1_000);
    expect(await floodAlarm()).toBeUndefined();

    const current = settingsBodySchema.parse((await api('/settings')).body).alarms;
    const site = current.sites[0]!;
    const res = await api('/settings/alarms', { method: 'PUT', json: { ...current, sites: [{ ...site, prepare: { ...site.prepare, levelM: 3.5 } }] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ section: 'alarms', value: { sites: [{ id: SITE, prepare: { levelM: 3.5 } }] }, auditId: expect.any(Number) });

    // the same reading now raises 准备转移
    const alarm = await waitUntil(floodAlarm, 5_000, 'the prepare alarm under the new threshold');
    expect(alarm).toMatchObject({ level: 'prepare', state: 'active' });
    await waitUntil(() => led.textOf(0) === '清水河站 准备转移', 5_000, 'the prepare text on the LED');

    const sites = sitesBodySchema.parse((await api('/sites')).body);
    expect(sites.sites[0]).toMatchObject({ thresholds: { prepareM: 3.5, evacuateM: 8 }, level: 'prepare', alarm: { state: 'active', level: 'prepare' } });

    const audit = auditListSchema.parse((await api('/audit')).body);
    expect(audit.truncated).toBe(false);
    expect(audit.entries).toHaveLength(1);
    const entry = audit.entries[0]!;
    expect(entry).toMatchObject({ by: 'token:test', section: 'alarms' });
    expect(entry.ts).toBeGreaterThan(Date.now() - 60_000);
    expect((entry.before as typeof current).sites[0]!.prepare.levelM).toBe(5);
    expect((entry.after as typeof current).sites[0]!.prepare.levelM).toBe(3.5);
    const s = settingsBodySchema.parse((await api('/settings')).body);
    expect(s.overrides.alarms).toMatchObject({ by: 'token:test' });
    expect(s.overrides.dispatch).toBeNull();
  });

  it('PUT /settings/dispatch lists every problem; a good one re-plans the live dispatcher (the LED shows the new text)', async () => {
    const current = settingsBodySchema.parse((await api('/settings')).body).dispatch;
    const bad = await api('/settings/dispatch', {
      method: 'PUT',
      json: { ...current, prepare: { ...current.prepare, ledText: '{site} {nope}' }, evacuate: { ...current.evacuate, repeat: 0 } },
    });
    expect(bad.status).toBe(400);
    const problems = settingsProblemsSchema.parse(bad.body).problems.map((p) => p.path).sort();
    expect(problems).toEqual(['dispatch.evacuate.repeat']);
    // the placeholder check runs on a config the schema accepted: alone it is reported too
    const placeholder = await api('/settings/dispatch', { method: 'PUT', json: { ...current, prepare: { ...current.prepare, ledText: '{site} {nope}' } } });
    expect(settingsProblemsSchema.parse(placeholder.body).problems.map((p) => p.path)).toEqual(['dispatch.prepare.ledText']);

    const good = await api('/settings/dispatch?by=ignored-for-tokens', { method: 'PUT', json: { ...current, prepare: { ...current.prepare, ledText: '{site} 请准备转移' } } });
    expect(good.status).toBe(200);
    await waitUntil(() => led.textOf(0) === '清水河站 请准备转移', 5_000, () => `the new prepare text on the LED (shows ${led.textOf(0)})`);
    const audit = auditListSchema.parse((await api('/audit?limit=1')).body);
    expect(audit.truncated).toBe(true);
    expect(audit.entries[0]).toMatchObject({ section: 'dispatch', by: 'token:test' });
    expect(auditListSchema.parse((await api('/audit?section=alarms')).body).entries.map((e) => e.section)).toEqual(['alarms']);
    expect((await api('/audit?limit=0')).body).toMatchObject({ error: { param: 'limit' } });
  });

  it('overrides survive a restart and win over the file: the alarm stays under the stored 3.5 m threshold', async () => {
    await daemon!.stop();
    daemon = undefined;
    await startDaemon(); // the same file: prepare 5 m
    const s = settingsBodySchema.parse((await api('/settings')).body);
    expect(s.alarms.sites[0]?.prepare.levelM).toBe(3.5);
    expect(s.dispatch.prepare.ledText).toBe('{site} 请准备转移');
    expect(s.overrides.alarms).toMatchObject({ by: 'token:test' });
    // 4 m is below the file's 5 m − 0.1 m hysteresis: under the file's rules the alarm would clear
    await sleep(1_500);
    expect(await floodAlarm()).toMatchObject({ level: 'prepare' });
    expect(sitesBodySchema.parse((await api('/sites')).body).sites[0]?.thresholds.prepareM).toBe(3.5);
    // and the rules still follow readings: the water falls, the alarm clears
    level = 2.0;
    await waitUntil(async () => (await floodAlarm()) === undefined, 5_000, 'the alarm cleared at 2 m');
    expect(auditListSchema.parse((await api('/audit')).body).entries).toHaveLength(2);
  });

  it('GET /outputs tells operators and viewers whether acknowledging silences each level, live after PUT /settings/dispatch', async () => {
    const viewer = `${TEST_API_TOKEN}-viewer`;
    expect(outputsSnapshotSchema.parse((await api('/outputs', { token: viewer })).body).silenceOnAck).toEqual({ prepare: true, evacuate: true });
    const current = settingsBodySchema.parse((await api('/settings')).body).dispatch;
    const put = await api('/settings/dispatch', { method: 'PUT', json: { ...current, evacuate: { ...current.evacuate, silenceOnAck: false } } });
    expect(put.status).toBe(200);
    expect(outputsSnapshotSchema.parse((await api('/outputs', { token: `${TEST_API_TOKEN}-operator` })).body).silenceOnAck).toEqual({ prepare: true, evacuate: false });
    expect(outputsSnapshotSchema.parse((await api('/outputs', { token: viewer })).body).silenceOnAck).toEqual({ prepare: true, evacuate: false });
  });
});

describe('OpenAPI', () => {
  it('documents the new paths', async () => {
    const doc = (await api('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/sites', 'get'],
      ['/broadcast/speak', 'post'],
      ['/broadcast/led', 'post'],
      ['/system', 'get'],
      ['/settings', 'get'],
      ['/settings/alarms', 'put'],
      ['/settings/dispatch', 'put'],
      ['/audit', 'get'],
    ] as const) {
      expect(doc.paths[`/api/v1${path}`]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});
