// The site simulator on the wire: modbus-serial's client reads what each simulated device serves over TCP and
// over RTU on a socat pty pair, and the daemon's own decoder turns the registers back into the replayed level.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../node-daemon/core/free-port.js';
import { createLogger, silentLogger, type Logger } from '../../node-daemon/core/log.js';
import { decodeRegisters } from '../../node-daemon/sensing/decode.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { DEMO_DEVICES, demoSite, demoSeriesText } from '../../node-daemon/sim/demo-site.js';
import { Replay } from '../../node-daemon/sim/replay.js';
import { parseCsv } from '../../node-daemon/sim/series.js';
import { simMain } from '../../node-daemon/sim/sim-cli.js';
import { SiteSimulator, type SimDevice } from '../../node-daemon/sim/site-simulator.js';
import { resolveStart } from '../../node-daemon/sim/start-spec.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const Client = ModbusRTU as unknown as new () => InstanceType<typeof ModbusRTU.default>;
type ModbusClient = InstanceType<typeof ModbusRTU.default>;
const catalogue = loadCatalogue();
const root = join(import.meta.dirname, '../..');

function device(unit: number, profile: string, level: (now: number) => number | undefined): SimDevice {
  return { unit, profile: catalogue.get(profile)!, level };
}

async function readLevel(client: ModbusClient, unit: number, profileName: string): Promise<number | null> {
  const { profile, plan } = catalogue.get(profileName)!;
  client.setID(unit);
  const res = await client.readHoldingRegisters(plan.address, plan.count);
  return decodeRegisters(profile, res.data, plan).value;
}

const FT = 0.3048;
const sharedFlood = join(root, '../shared/data/flood');

/** A logger whose JSON lines are kept, to check which events the simulator reported. */
function recordingLogger(): { log: Logger; events: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { log, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function tcpClient(port: number, timeoutMs = 400): Promise<ModbusClient> {
  const client = new Client();
  await client.connectTCP('127.0.0.1', { port });
  cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
  client.setTimeout(timeoutMs);
  return client;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('site simulator over TCP', () => {
  it('serves each catalogue profile, exception 2 off the map, and silence for unknown or silenced units', async () => {
    let level: number | undefined = 4.321;
    const profiles = ['submersible-level', 'radar-level-float32', 'sl651-level', 'generic-uint16-cm'];
    const site = new SiteSimulator({
      devices: profiles.map((p, i) => device(i + 1, p, () => level)),
      tcp: { host: '127.0.0.1', port: 0 },
      log: silentLogger(),
    });
    await site.start();
    cleanups.push(() => site.stop());
    const client = new Client();
    await client.connectTCP('127.0.0.1', { port: site.port! });
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setTimeout(400);

    for (const [i, p] of profiles.entries()) expect(await readLevel(client, i + 1, p)).toBeCloseTo(4.321, 2);
    client.setID(1);
    await expect(client.readHoldingRegisters(100, 2)).rejects.toMatchObject({ modbusCode: 2 });
    client.setID(9);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/);

    site.setSilent(3, true);
    await expect(readLevel(client, 3, 'sl651-level')).rejects.toThrow(/Timed out/);
    site.setSilent(3, false);
    level = undefined; // a gap in the series
    await expect(readLevel(client, 2, 'radar-level-float32')).rejects.toThrow(/Timed out/);
    level = 1.5;
    expect(await readLevel(client, 2, 'radar-level-float32')).toBeCloseTo(1.5, 6);
  });
});

describe('site simulator replaying real floods over TCP (virtual clock)', () => {
  it.skipIf(!existsSync(sharedFlood))('the Blanco River dropout: 40.21 ft, then no reply for 41 hours, then 8.84 ft', async () => {
    const { points } = parseCsv(readFileSync(join(sharedFlood, 'usgs_memorial_day_2015.csv'), 'utf8'), '08171000');
    const seriesStart = resolveStart('peak-3h', points);
    const replay = new Replay(points, { speedUp: 600, seriesStart, wallStart: 0 });
    let now = 0;
    const at = (iso: string): number => (Date.parse(iso) - seriesStart) / 600;
    const { log, events } = recordingLogger();
    const site = new SiteSimulator({
      devices: [device(4, 'submersible-level', (t) => replay.levelAt(t))],
      tcp: { host: '127.0.0.1', port: 0 },
      log,
      clock: () => now,
    });
    await site.start();
    cleanups.push(() => site.stop());
    const client = await tcpClient(site.port!);

    now = at('2015-05-24T01:00:00-05:00');
    expect(await readLevel(client, 4, 'submersible-level')).toBeCloseTo(40.21 * FT, 2);
    now = at('2015-05-24T12:00:00-05:00');
    await expect(readLevel(client, 4, 'submersible-level')).rejects.toThrow(/Timed out/);
    now = at('2015-05-25T18:00:00-05:00');
    expect(await readLevel(client, 4, 'submersible-level')).toBeCloseTo(8.84 * FT, 2);

    const simEvents = events().filter((e) => String(e.event).startsWith('sim.device.'));
    expect(simEvents).toMatchObject([
      { event: 'sim.device.silent', unit: 4, cause: 'gap in the series' },
      { event: 'sim.device.answering', unit: 4 },
    ]);
  });

  it('the demo site: at the Mason crest (34.21 ft) every unit serves its own gauge through its own profile', async () => {
    let now = 1_000_000;
    const demo = demoSite({ log: silentLogger(), clock: () => now });
    await demo.simulator.start();
    cleanups.push(() => demo.simulator.stop());
    const client = await tcpClient(demo.simulator.port!);
    const crest = Date.parse('2018-10-16T05:35:00-05:00');
    now = demo.wallTimeOf(crest);
    expect(demo.riseAt).toBe(demo.wallTimeOf(Date.parse('2018-10-15T22:00:00-05:00')));
    const text = demoSeriesText();
    for (const d of DEMO_DEVICES) {
      const expected = parseCsv(text, d.station).points.find((p) => p.t === crest)!.m;
      expect(await readLevel(client, d.unit, d.profile)).toBeCloseTo(expected, 2);
    }
    expect(await readLevel(client, 1, 'submersible-level')).toBeCloseTo(34.21 * FT, 2);
  });
});

describe('site simulator faults', () => {
  it('refuses writes and coils with exception 1, serves exception 4 for a level its profile cannot encode, and keeps running', async () => {
    let level = 2.5;
    const { log, events } = recordingLogger();
    const site = new SiteSimulator({ devices: [device(1, 'submersible-level', () => level)], tcp: { host: '127.0.0.1', port: 0 }, log });
    await site.start();
    cleanups.push(() => site.stop());
    const client = await tcpClient(site.port!);
    client.setID(1);
    await expect(client.writeRegister(0, 5)).rejects.toMatchObject({ modbusCode: 1 });
    await expect(client.writeRegisters(0, [5, 6])).rejects.toMatchObject({ modbusCode: 1 });
    await expect(client.readCoils(0, 1)).rejects.toMatchObject({ modbusCode: 1 });
    level = 1e9; // far beyond any 16-bit register
    await expect(readLevel(client, 1, 'submersible-level')).rejects.toMatchObject({ modbusCode: 4 });
    level = 3.25;
    expect(await readLevel(client, 1, 'submersible-level')).toBeCloseTo(3.25, 2);
    expect(events().map((e) => e.event)).toEqual(expect.arrayContaining(['sim.device.failing', 'sim.device.answering']));
    site.setSilent(1, true);
    await expect(client.writeRegister(0, 5)).rejects.toThrow(/Timed out/);
  });

  it('rejects duplicate unit ids and ids outside 1-247', () => {
    const d = device(1, 'submersible-level', () => 1);
    expect(() => new SiteSimulator({ devices: [d, d], log: silentLogger() })).toThrow(/share a unit id/);
    expect(() => new SiteSimulator({ devices: [{ ...d, unit: 0 }], log: silentLogger() })).toThrow(/1-247/);
  });

  it('fails start() on a port already taken, and can start again after stop()', async () => {
    const first = new SiteSimulator({ devices: [device(1, 'submersible-level', () => 1)], tcp: { host: '127.0.0.1', port: 0 }, log: silentLogger() });
    await first.start();
    cleanups.push(() => first.stop());
    const clash = new SiteSimulator({ devices: [device(1, 'submersible-level', () => 1)], tcp: { host: '127.0.0.1', port: first.port! }, log: silentLogger() });
    await expect(clash.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.stop();
    await first.start();
    const client = await tcpClient(first.port!);
    expect(await readLevel(client, 1, 'submersible-level')).toBeCloseTo(1, 2);
  });
});

describe('fenghuo sim command line (in process)', () => {
  it('exits 2 on bad flags before serving anything', async () => {
    const write = process.stderr.write.bind(process.stderr);
    let stderr = '';
    process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
    try {
      expect(await simMain(['--bogus'])).toBe(2);
      expect(await simMain([])).toBe(2);
      expect(await simMain(['--demo', '--station', '08150700'])).toBe(2);
      expect(await simMain(['--demo', '--start', 'peak-8x'])).toBe(2);
      expect(await simMain(['--demo', '--speed', '-3'])).toBe(2);
      expect(await simMain(['--demo', '--tcp', 'nowhere'])).toBe(2);
      expect(await simMain(['--series', join(tmpdir(), 'fenghuo-no-such-file.rdb')])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(stderr).toMatch(/unknown option '--bogus'/i);
    expect(stderr).toMatch(/--station only go with --series/);
    expect(stderr).toMatch(/"8x" is not a duration/);
    expect(stderr).toMatch(/usage: fenghuo sim/);
  });
});

describe('site simulator over RTU', () => {
  it('answers on a socat pty pair, and keeps other units silent on the shared line', async () => {
    const pty: PtyPair = await createPtyPair();
    cleanups.push(() => pty.close());
    const site = new SiteSimulator({ devices: [device(7, 'sl651-level', () => 12.345)], rtu: { path: pty.b, baudRate: 19200 }, log: silentLogger() });
    await site.start();
    cleanups.push(() => site.stop());
    const client = new Client();
    await client.connectRTUBuffered(pty.a, { baudRate: 19200 });
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setTimeout(500);
    expect(await readLevel(client, 7, 'sl651-level')).toBe(12.345);
    client.setID(8);
    await expect(client.readHoldingRegisters(2, 2)).rejects.toThrow(/Timed out/);
  });
});

describe('fenghuo sim (the real CLI)', () => {
  it('replays an RDB file over TCP until SIGTERM, then exits 0', async () => {
    await ensureDistBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'fenghuo-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gauge.rdb');
    const rows = Array.from({ length: 8 }, (_, i) => `USGS\t42\t2015-03-08 0${i}:00\t${i < 2 ? 'EST' : 'EDT'}\t${(10 + i).toFixed(2)}\tP`);
    writeFileSync(file, ['# test', 'agency_cd\tsite_no\tdatetime\ttz_cd\t02_00065\t02_00065_cd', '5s\t15s\t20d\t6s\t14n\t10s', ...rows].join('\n'));
    const port = await freePort();
    const child = spawn(process.execPath, [join(root, 'bin/fenghuo.js'), 'sim', '--tcp', `127.0.0.1:${port}`, '--series', file, '--profile', 'sl651-level', '--unit', '3', '--speed', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sim did not start')), 15_000);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.includes('"event":"sim.started"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const client = new Client();
    await client.connectTCP('127.0.0.1', { port });
    client.setTimeout(500);
    // At speed 1 the first point (10.00 ft) is what the gauge shows.
    expect(await readLevel(client, 3, 'sl651-level')).toBeCloseTo(10 * 0.3048, 3);
    await new Promise<void>((r) => client.close(() => r()));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
