// The site simulator on the wire: modbus-serial's client reads what each simulated device serves over TCP and
// over RTU on a socat pty pair, and the daemon's own decoder turns the registers back into the replayed level.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ModbusRTU from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../node-daemon/core/free-port.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { decodeRegisters } from '../../node-daemon/sensing/decode.js';
import { loadCatalogue } from '../../node-daemon/sensing/profiles.js';
import { SiteSimulator, type SimDevice } from '../../node-daemon/sim/site-simulator.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const Client = ModbusRTU as unknown as new () => InstanceType<typeof ModbusRTU.default>;
type ModbusClient = InstanceType<typeof ModbusRTU.default>;
const catalogue = loadCatalogue();
const root = join(import.meta.dirname, '../..');

function device(unit: number, profile: string, level: () => number | undefined): SimDevice {
  return { unit, profile: catalogue.get(profile)!, level };
}

async function readLevel(client: ModbusClient, unit: number, profileName: string): Promise<number | null> {
  const { profile, plan } = catalogue.get(profileName)!;
  client.setID(unit);
  const res = await client.readHoldingRegisters(plan.address, plan.count);
  return decodeRegisters(profile, res.data, plan).value;
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
