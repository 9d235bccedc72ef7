// Issue #12's orders acceptance, with real processes: a `fenghuo hub` (SQLite), a box enrolled with `fenghuo enroll`
// and running `fenghuo run` with the built-in demo site (its loudspeaker writes to a WAV file through ffmpeg at the
// programme's own pace; its LED board is the BX byte-level simulator on a pty, logging `demo.led` for what it shows).
// Orders are issued with `fenghuo hub order …`. Forged, replayed and expired orders are put straight into the hub's
// orders table, as a compromised hub or a hub with a wrong clock would serve them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCountyKey } from '../../hub/county-key.js';
import { freePort } from '../../node-daemon/core/free-port.js';
import { healthSchema } from '../../node-daemon/http/schemas.js';
import { signOrder, SigningKey, type Order } from '../../node-daemon/sync/protocol/index.js';
import { setupFirstAdmin, type ApiSession } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { fenghuo, launcher, startHubProcess, type RunningHub } from '../hub/http/cli-runner.js';

type LogLine = { event?: string; time?: string; [k: string]: unknown };

/** pino writes ISO times. */
const timeOf = (l: LogLine): number => Date.parse(String(l.time ?? ''));

const BOX = 'town-01';
const HEARD_WITHIN_MS = 5_000;

/**
 * A WAV file being written (16-bit PCM): its RMS (0..1), how many seconds it holds, and where the sound begins (the
 * first 50 ms window whose RMS is over 0.05), from the `data` chunk on.
 */
function wavOnset(bytes: Buffer): { rms: number; seconds: number; onsetS?: number } {
  const at = bytes.indexOf('data', 12, 'ascii');
  if (at < 0 || bytes.length < 44) return { rms: 0, seconds: 0 };
  const rate = bytes.readUInt32LE(24);
  const channels = bytes.readUInt16LE(22);
  const pcm = bytes.subarray(at + 8, bytes.length - ((bytes.length - at - 8) % 2));
  const samples = pcm.length / 2;
  if (samples === 0 || rate === 0 || channels === 0) return { rms: 0, seconds: 0 };
  const window = Math.max(1, Math.round((rate * channels) / 20));
  let sum = 0;
  let win = 0;
  let onsetS: number | undefined;
  for (let i = 0; i < samples; i++) {
    const v = pcm.readInt16LE(i * 2) / 32768;
    sum += v * v;
    win += v * v;
    if ((i + 1) % window === 0) {
      if (onsetS === undefined && Math.sqrt(win / window) > 0.05) onsetS = (i + 1 - window) / channels / rate;
      win = 0;
    }
  }
  return { rms: Math.sqrt(sum / samples), seconds: samples / channels / rate, ...(onsetS === undefined ? {} : { onsetS }) };
}

describe('county orders end to end: fenghuo hub → an enrolled demo box', () => {
  let dir: string;
  let hubConfig: string;
  let hub: RunningHub;
  let box: ChildProcess | undefined;
  let api: ApiSession;
  let skipReason: string | undefined;
  const logs: LogLine[] = [];
  const stderr: string[] = [];

  const events = (event: string, since = 0): LogLine[] => logs.filter((l) => l.event === event && (since === 0 || timeOf(l) >= since));
  const waitFor = async <T>(what: string, ms: number, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const got = await probe();
      if (got !== undefined && got !== false) return got;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const ordersHealth = async (): Promise<Record<string, unknown>> => {
    const body = (await (await api.fetch('/api/v1/health')).json()) as Record<string, unknown>;
    expect(healthSchema.safeParse(body).success).toBe(true);
    return ((body['sync'] as Record<string, unknown> | undefined)?.['orders'] ?? {}) as Record<string, unknown>;
  };
  const county = (): SigningKey => loadOrCreateCountyKey(join(dir, 'hub-data', 'county.key')).key;
  /** Puts a row into the hub's orders table behind the hub's back. */
  const inject = (row: { orderId: string; order: string; keyid: string; signature: string; kind: string; expiresAt: number }): void => {
    const db = new Database(join(dir, 'hub-data', 'hub.db'));
    db.pragma('busy_timeout = 10000');
    try {
      db.prepare(
        `INSERT INTO hub_orders (order_id, kind, target, order_text, keyid, signature, issued_at, expires_at, issued_by, created_at)
         VALUES (?, ?, '*', ?, ?, ?, ?, ?, 'test', ?)`,
      ).run(row.orderId, row.kind, row.order, row.keyid, row.signature, Date.now(), row.expiresAt, Date.now());
    } finally {
      db.close();
    }
  };
  const speakerFiles = (): string[] => readdirSync(join(dir, 'data', 'demo')).filter((f) => /^\.audio\.wav\..*\.part\.wav$/.test(f) || f === 'audio.wav');

  beforeAll(async () => {
    await ensureDistBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-orders-e2e-'));
    const hubPort = await freePort();
    hubConfig = join(dir, 'hub.yaml');
    writeFileSync(hubConfig, [`listen: 127.0.0.1:${hubPort}`, `dataDir: ${join(dir, 'hub-data')}`, ''].join('\n'));
    hub = await startHubProcess(dir, hubConfig);
    const code = await fenghuo(dir, 'hub', 'enrol-code', '--config', hubConfig, '--box', BOX);
    expect(code.code).toBe(0);
    const enrolled = await fenghuo(dir, 'enroll', '--hub', `http://127.0.0.1:${hubPort}`, '--code', code.stdout.trim(), '--data', join(dir, 'data'));
    expect(enrolled.code, enrolled.stderr).toBe(0);

    const port = await freePort();
    // Demo speed 10: the replayed flood reaches its first threshold after about 38 minutes, long after this test.
    const child = spawn(process.execPath, [launcher, 'run', '--data', join(dir, 'data'), '--listen', `127.0.0.1:${port}`], {
      env: { ...process.env, FENGHUO_DEMO_SPEED_UP: '10', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    box = child;
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the box did not start within 30 s: ${stderr.join('\n')}`)), 30_000);
      child.once('exit', (c) => reject(new Error(`the box exited with ${c}: ${stderr.join('\n')}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          return;
        }
        logs.push(parsed);
        if (parsed.event === 'daemon.started') {
          clearTimeout(timer);
          resolve(String(parsed['url']));
        }
      });
    });
    const off = events('demo.outputs_off')[0];
    if (off !== undefined) {
      skipReason = `the demo's simulated outputs are off on this machine (${String(off['err'])}): nothing to hear or see`;
      console.warn(`[orders e2e] SKIPPED the loudspeaker and LED checks: ${skipReason}`);
    }
    api = await setupFirstAdmin(url);
    await waitFor('the orders long-poll up', 20_000, async () => (await ordersHealth())['state'] === 'up');
  }, 90_000);

  afterAll(async () => {
    if (box !== undefined && box.exitCode === null) {
      const exited = new Promise((r) => box!.once('exit', r));
      box.kill('SIGTERM');
      await exited;
    }
    await hub?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('a notice appears in GET /api/v1/notices and on the LED board', async () => {
    const since = Date.now();
    const issued = await fenghuo(dir, 'hub', 'order', 'notice', '--config', hubConfig, '--title', '防汛通知', '--text', '今晚八点召开防汛会议', '--led', '--to', BOX);
    expect(issued.code, issued.stderr).toBe(0);
    const listed = await waitFor('the notice listed', 10_000, async () => {
      const body = (await (await api.fetch('/api/v1/notices')).json()) as { state: string; notices: { id: string; title: string; text: string; led: boolean }[] };
      return body.notices.find((n) => n.id === issued.stdout.trim());
    });
    expect(listed).toMatchObject({ title: '防汛通知', text: '今晚八点召开防汛会议', led: true });
    if (skipReason === undefined) {
      await waitFor('the notice on the LED board', 5_000, () => events('demo.led', since - 1_000).find((l) => String(l['text']).includes('防汛会议')));
    }
  }, 20_000);

  let alertId = '';
  let evacuationRow: { order: string; keyid: string; signature: string } | undefined;

  it('a county evacuation order is heard on the simulated loudspeaker and seen on the LED simulator within 5 s of issue', async () => {
    const before = new Set(skipReason === undefined ? speakerFiles() : []);
    const issued = await fenghuo(dir, 'hub', 'order', 'alarm', '--config', hubConfig, '--level', 'evacuate', '--title', '县防指：全镇立即转移', '--message', '请沿河群众立即转移', '--by', '县防指值班员');
    expect(issued.code, issued.stderr).toBe(0);
    const issuedAt = Date.now();
    [alertId] = issued.stdout.trim().split('\t') as [string, string];
    const db = new Database(join(dir, 'hub-data', 'hub.db'), { readonly: true });
    evacuationRow = db.prepare<[], { order: string; keyid: string; signature: string }>("SELECT order_text AS 'order', keyid, signature FROM hub_orders WHERE kind = 'county_alarm' ORDER BY seq DESC LIMIT 1").get();
    db.close();

    if (skipReason !== undefined) console.warn(`[orders e2e] not checking the loudspeaker and LED board: ${skipReason}`);
    else await heardAndSeen(issuedAt, before);

    // The box's alarm is the county-alarm path's: key county:<alertId>, by the order's issuer, account county.
    const alarm = await waitFor('the county alarm on the box', 10_000, async () => {
      const list = (await (await api.fetch('/api/v1/alarms')).json()) as { alarms: { id: number; key: string; kind: string; level: string }[] };
      return list.alarms.find((a) => a.key === `county:${alertId}`);
    });
    expect(alarm).toMatchObject({ kind: 'county', level: 'evacuate' });
    const full = (await (await api.fetch(`/api/v1/alarms/${alarm.id}`)).json()) as { transitions: { type: string; by?: string; account?: string }[] };
    expect(full.transitions[0]).toMatchObject({ type: 'raised', by: '县防指值班员', account: 'county' });
    expect(events('sync.order').find((l) => l['kind'] === 'county_alarm')).toMatchObject({ outcome: 'applied', by: '县防指值班员' });
  }, 40_000);

  async function heardAndSeen(issuedAt: number, before: ReadonlySet<string>): Promise<void> {
    // SEEN: the BX simulator decoded a text frame with the evacuation text.
    const seen = await waitFor('the LED board to show the county evacuation', HEARD_WITHIN_MS + 2_000, () =>
      events('demo.led', issuedAt - 1_000).find((l) => String(l['text']).includes('立即转移')),
    );
    expect(timeOf(seen) - issuedAt).toBeLessThan(HEARD_WITHIN_MS);

    // HEARD: sound in the loudspeaker's output. The file sink writes at the programme's own pace (ffmpeg -re), but in
    // 256 KiB blocks: a block seen at time T holding S seconds of audio began to play at T − S. The moment the
    // loudspeaker first sounded is that, plus where in the block the sound starts.
    const heard = await waitFor('the loudspeaker to sound', 20_000, () => {
      const observedAt = Date.now();
      for (const f of speakerFiles()) {
        if (before.has(f)) continue;
        let bytes: Buffer;
        try {
          bytes = readFileSync(join(dir, 'data', 'demo', f));
        } catch {
          continue; // a part file committed and removed meanwhile
        }
        const w = wavOnset(bytes);
        if (w.onsetS !== undefined && w.rms > 0.02) return { onsetAt: observedAt - (w.seconds - w.onsetS) * 1000, observedAt, seconds: w.seconds };
      }
      return undefined;
    });
    const heardAt = Math.round(heard.onsetAt);
    expect(heardAt - issuedAt).toBeLessThan(HEARD_WITHIN_MS);
    const at = (e: string): number | string => {
      const l = events(e, issuedAt - 2_000).find((x) => e !== 'sync.order' || x['kind'] === 'county_alarm');
      return l === undefined ? 'none' : timeOf(l) - issuedAt;
    };
    console.info(
      `[orders e2e] ms after issue: order applied ${at('sync.order')}, speaker playing ${at('station.speaker_playing')}, amplifier relay ${at('demo.relays')}, ` +
        `LED shows it ${timeOf(seen) - issuedAt}, sound begins ${heardAt - issuedAt} (seen in the sink's file at ${heard.observedAt - issuedAt}, ${heard.seconds.toFixed(2)} s of audio)`,
    );
    expect(events('station.speaker_playing', issuedAt - 1_000).some((l) => String(l['key']).includes(alertId))).toBe(true);
  }

  it('the county clears it', async () => {
    if (alertId === '') return void console.warn('[orders e2e] skipped: no county alarm was raised');
    const cleared = await fenghuo(dir, 'hub', 'order', 'clear', alertId, '--config', hubConfig, '--note', '水位回落');
    expect(cleared.code, cleared.stderr).toBe(0);
    await waitFor('the county alarm cleared', 10_000, async () => {
      const all = (await (await api.fetch('/api/v1/alarms?state=all')).json()) as { alarms: { key: string; state: string }[] };
      return all.alarms.find((a) => a.key === `county:${alertId}`)?.state === 'cleared';
    });
  }, 20_000);

  it('forged, replayed and expired orders are refused, logged and counted, and nothing sounds for them', async () => {
    const countyKey = county();
    const now = Date.now();
    const alarmOrder = (id: string, issuedAt: number, expiresAt: number): Order => ({
      v: 1,
      id,
      kind: 'county_alarm',
      issuedAt,
      expiresAt,
      to: '*',
      by: 'mallory',
      body: { alertId: `alert-${id}`, level: 'evacuate', title: '伪造：立即转移' },
    });
    // Forged: another key, claiming to be the county's.
    const forger = SigningKey.generate(countyKey.keyid);
    const forged = signOrder(alarmOrder('forged-1', now, now + 3_600_000), forger);
    // Expired: the county's own signature, but its time is over (a hub whose clock is behind would still serve it).
    const expired = signOrder(alarmOrder('expired-1', now - 7_200_000, now - 3_600_000), countyKey);
    const playingBefore = events('station.speaker_playing').length;
    const since = Date.now();
    inject({ orderId: 'forged-1', kind: 'county_alarm', expiresAt: now + 3_600_000, ...forged });
    // Replayed: the evacuation order again, byte for byte, under a new seq.
    expect(evacuationRow).toBeDefined();
    inject({ orderId: 'replayed-copy', kind: 'county_alarm', expiresAt: now + 3_600_000, ...evacuationRow! });
    inject({ orderId: 'expired-1', kind: 'county_alarm', expiresAt: now + 3_600_000, ...expired });

    const refused = await waitFor('three refusals', 10_000, () => {
      const r = events('sync.order_refused', since);
      return r.length >= 3 ? r : undefined;
    });
    expect(refused.map((r) => r['reason']).sort()).toEqual(['bad_signature', 'expired', 'replayed']);
    const health = await ordersHealth();
    expect(health['refusals']).toMatchObject({ bad_signature: 1, replayed: 1, expired: 1 });
    expect(health['lastOrder']).toMatchObject({ result: 'refused:expired' });
    // Nothing was raised and nothing sounds for them.
    await new Promise((r) => setTimeout(r, 1_500));
    const all = (await (await api.fetch('/api/v1/alarms?state=all')).json()) as { alarms: { key: string; state: string }[] };
    expect(all.alarms.filter((a) => a.key.startsWith('county:alert-'))).toEqual([]);
    expect(all.alarms.filter((a) => a.key.startsWith('county:') && a.state !== 'cleared')).toEqual([]);
    expect(events('station.speaker_playing').length).toBe(playingBefore);
  }, 30_000);

  it('a settings order changes the box\'s settings, audited by county; one that does not validate is refused whole', async () => {
    const current = (await (await api.fetch('/api/v1/settings')).json()) as { alarms: { sites: { id: string; prepare: { levelM: number } }[] } };
    const alarms = structuredClone(current.alarms);
    alarms.sites[0]!.prepare.levelM = 6.5;
    const file = join(dir, 'alarms.json');
    writeFileSync(file, JSON.stringify(alarms));
    const issued = await fenghuo(dir, 'hub', 'order', 'settings', '--config', hubConfig, '--section', 'alarms', '--file', file, '--by', '县防指');
    expect(issued.code, issued.stderr).toBe(0);
    await waitFor('the new threshold in effect', 10_000, async () => {
      const s = (await (await api.fetch('/api/v1/settings')).json()) as typeof current & { overrides: { alarms: { by: string } | null } };
      return s.alarms.sites[0]!.prepare.levelM === 6.5 && s.overrides.alarms?.by === 'county';
    });
    const audit = (await (await api.fetch('/api/v1/audit?section=alarms')).json()) as { entries: { by: string; account?: string; after: typeof alarms }[] };
    expect(audit.entries[0]).toMatchObject({ by: 'county', account: 'county:县防指' });
    expect(audit.entries[0]!.after.sites[0]!.prepare.levelM).toBe(6.5);

    // A prepare level above evacuate breaks the section's own schema: the hub refuses to sign it, naming the key.
    const malformed = structuredClone(alarms) as { sites: { prepare: { levelM: number } }[] };
    malformed.sites[0]!.prepare.levelM = 99;
    writeFileSync(file, JSON.stringify(malformed));
    const refusedAtHub = await fenghuo(dir, 'hub', 'order', 'settings', '--config', hubConfig, '--section', 'alarms', '--file', file);
    expect(refusedAtHub.code).toBe(2);
    expect(refusedAtHub.stderr).toMatch(/body\.value\.sites\.0\.evacuate\.levelM/);

    // A site naming a sensor this box does not have is well-formed, so the hub signs it; the box, which knows its own
    // sensors, refuses it with the problems and applies nothing.
    const foreign = structuredClone(alarms) as unknown as { sites: { sensors: string[] }[] };
    foreign.sites[0]!.sensors = ['no-such-sensor'];
    writeFileSync(file, JSON.stringify(foreign));
    const since = Date.now();
    expect((await fenghuo(dir, 'hub', 'order', 'settings', '--config', hubConfig, '--section', 'alarms', '--file', file)).code).toBe(0);
    const outcome = await waitFor('the refused settings order', 10_000, () => events('sync.order', since).find((l) => l['kind'] === 'settings'));
    expect(outcome['outcome']).toBe('refused');
    expect(String(outcome['detail'])).toMatch(/no-such-sensor/);
    const after = (await (await api.fetch('/api/v1/settings')).json()) as typeof current;
    expect(after.alarms.sites[0]!.prepare.levelM).toBe(6.5);
  }, 30_000);

  it('a revoked box is refused by the orders route', async () => {
    const revoked = await fenghuo(dir, 'hub', 'revoke', BOX, '--config', hubConfig);
    expect(revoked.code, revoked.stderr).toBe(0);
    // The long-poll in flight ends within its wait; the next one is refused.
    await waitFor('the hub to refuse the box\'s orders poll', 40_000, () =>
      hub.lines.find((l) => l['event'] === 'hub.refused' && l['reason'] === 'revoked' && l['path'] === '/api/v1/sync/orders'),
    );
    const health = await waitFor('the orders link down', 10_000, async () => {
      const h = await ordersHealth();
      return h['state'] === 'down' ? h : undefined;
    });
    expect(String((health['lastError'] as { message: string }).message)).toMatch(/403 revoked/);
  }, 60_000);
});
