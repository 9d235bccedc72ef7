// `npm start` with no config: the embedded demo site replays the Llano River 2018 flood over real Modbus TCP and the
// rise shows up at GET /api/v1/sensors/:id/readings.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../node-daemon/core/free-port.js';
import { soxStat } from '../audio/sox-measure.js';
import { setupFirstAdmin, type ApiSession } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/fenghuo.js');


interface ReadingsBody {
  readings: { ts: number; value: number | null; quality: string }[];
}

describe('embedded demo (fenghuo run without --config)', () => {
  let child: ChildProcess;
  let dir: string;
  let url: string;
  /** The demo has no config file and so no API token: the test signs in as the web UI does, through first-run setup. */
  let api: ApiSession;
  const stderr: string[] = [];
  const logs: { event?: string; [k: string]: unknown }[] = [];

  beforeAll(async () => {
    await ensureDistBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-demo-'));
    const port = await freePort();
    child = spawn(process.execPath, [bin, 'run', '--data', join(dir, 'data'), '--listen', `127.0.0.1:${port}`], {
      env: { ...process.env, FENGHUO_DEMO_SPEED_UP: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('demo did not start within 20 s')), 20_000);
      child.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${stderr.join('\n')}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          logs.push(JSON.parse(line) as { event?: string });
        } catch {
          // not a log line
        }
        const m = /"event":"daemon.started","url":"([^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    api = await setupFirstAdmin(url);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints where to look', async () => {
    const wanted = `${url}/api/v1/sensors/mason/readings`;
    const deadline = Date.now() + 5_000;
    while (!stderr.join('\n').includes(wanted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(stderr.join('\n')).toContain(wanted);
  });

  it('shows the flood rising at every sensor, all readings good', async () => {
    const deadline = Date.now() + 45_000;
    let rises: Record<string, number> = {};
    for (;;) {
      rises = {};
      for (const id of ['mason', 'junction', 'llano']) {
        const res = await api.fetch(`/api/v1/sensors/${id}/readings?limit=10000`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as ReadingsBody;
        expect(body.readings.every((r) => r.quality === 'good')).toBe(true);
        const values = body.readings.map((r) => r.value ?? NaN);
        rises[id] = Math.max(...values) - values[0]!;
      }
      // Mason rose ~8.9 m, Junction ~5.8 m, Llano ~6.9 m in the real flood; a few metres each proves the replay.
      if (Object.values(rises).every((r) => r > 3)) break;
      if (Date.now() > deadline) throw new Error(`flood did not rise in time: ${JSON.stringify(rises)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(rises.mason).toBeGreaterThan(3);
  });

  it('raises 准备转移 then 立即转移 as the flood rises, clears both as it recedes, on all three simulated outputs', async () => {
    interface AlarmBody { id: number; key: string; state: string; transitions?: { type: string; level: string | null; cause: { rule?: string } }[] }
    let flood: AlarmBody | undefined;
    const deadline = Date.now() + 150_000;
    while (flood?.state !== 'cleared') {
      if (Date.now() > deadline) throw new Error(`the demo flood alarm did not clear in time: ${JSON.stringify(flood)}`);
      await new Promise((r) => setTimeout(r, 1_000));
      const list = (await (await api.fetch('/api/v1/alarms?state=all')).json()) as { alarms: AlarmBody[] };
      flood = list.alarms.find((a) => a.key === 'flood:mason');
    }
    const full = (await (await api.fetch(`/api/v1/alarms/${flood.id}`)).json()) as Required<AlarmBody>;
    expect(full.transitions.map((t) => `${t.type}:${t.level ?? '-'}`)).toEqual(['raised:prepare', 'escalated:evacuate', 'deescalated:prepare', 'cleared:prepare']);
    expect(full.transitions[0]!.cause.rule).toBe('level.prepare');

    // The simulated I/O board saw the siren relay close and everything open again; the LED board showed each level.
    const relays = (): string[] => logs.filter((l) => l.event === 'demo.relays').map((l) => (l.on as string[]).join('+'));
    expect(relays()).toContain('amplifier+siren+strobe');
    // The all-clear is spoken with the amplifier on; then every relay is off.
    const quiet = Date.now() + 30_000;
    while (relays().at(-1) !== '' && Date.now() < quiet) await new Promise((r) => setTimeout(r, 200));
    expect(relays().at(-1)).toBe('');
    const led = logs.filter((l) => l.event === 'demo.led').map((l) => String(l.text));
    expect(led.some((t) => t.includes('梅森站 准备转移'))).toBe(true);
    expect(led.some((t) => t.includes('梅森站 立即转移'))).toBe(true);
    expect(led.some((t) => t.includes('警报解除'))).toBe(true);
    // The loudspeaker's programmes (siren tone + spoken Mandarin) went to the audio file, and it is not silence.
    const audio = soxStat(join(dir, 'data', 'demo', 'audio.wav'));
    expect(audio.lengthS).toBeGreaterThan(10);
    expect(audio.rms).toBeGreaterThan(0.05);
    const outputs = (await (await api.fetch('/api/v1/outputs')).json()) as { relays: { name: string; on: boolean; confirmed: boolean }[] };
    expect(outputs.relays).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'siren', on: false, confirmed: true })]));
  }, 170_000);

  it('takes a drill through the alarm API and keeps it on record', async () => {
    const res = await api.fetch('/api/v1/alarms', { method: 'POST', json: { level: 'prepare', drill: true, by: '值班员', title: '汛前演练' } });
    expect(res.status).toBe(201);
    const active = (await (await api.fetch('/api/v1/alarms?state=active')).json()) as { alarms: { drill: boolean; level: string; kind: string }[] };
    expect(active.alarms).toContainEqual(expect.objectContaining({ drill: true, level: 'prepare', kind: 'manual' }));
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
