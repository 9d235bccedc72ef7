// Faults seen through the real daemon's API: a slave killed mid-run takes only its own bus down, its sensors go
// comm_fail and recover by themselves when it returns; a silent unit on a shared RS-485 line trips its breaker
// while its neighbour keeps fresh good readings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../node-daemon/core/free-port.js';
import type { HealthSnapshot, SensorHealth } from '../../node-daemon/sensing/health-types.js';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { createPtyPair } from '../helpers/socat.js';
import { ensureBuilt, startDaemon, writeConfig } from './daemon-process.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => ensureBuilt());

async function health(url: string): Promise<HealthSnapshot> {
  return (await (await fetch(`${url}/api/v1/health`)).json()) as HealthSnapshot;
}

const sensor = (h: HealthSnapshot, id: string): SensorHealth => h.sensors.find((s) => s.id === id)!;

/** Polls the health endpoint until `ok` holds, or fails with the last snapshot. */
async function until(url: string, what: string, ok: (h: HealthSnapshot) => boolean, timeoutMs = 15_000): Promise<HealthSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: HealthSnapshot | undefined;
  while (Date.now() < deadline) {
    last = await health(url);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

async function runDaemon(configLines: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-faults-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const daemon = startDaemon(writeConfig(join(dir, 'site.yaml'), configLines), join(dir, 'data'), `127.0.0.1:${await freePort()}`);
  cleanups.push(async () => {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  });
  return String((await daemon.waitFor('daemon.started')).url);
}

const map = (units: number[]): SlaveMap => ({ units: Object.fromEntries(units.map((u) => [String(u), { holding: { '0': [500 + u] } }])) });

describe('daemon under faults', () => {
  it('a killed TCP slave takes down only its bus; its sensors recover when it returns', async () => {
    const a = await startPymodbusSlave({ map: map([1, 2]), endpoint: { kind: 'tcp' } });
    let b = await startPymodbusSlave({ map: map([1]), endpoint: { kind: 'tcp' } });
    cleanups.push(() => a.stop(), () => b.stop());
    const url = await runDaemon([
      'buses:',
      `  - { id: bus-a, type: tcp, host: 127.0.0.1, port: ${a.port}, timeoutMs: 300, reconnectMs: 200 }`,
      `  - { id: bus-b, type: tcp, host: 127.0.0.1, port: ${b.port}, timeoutMs: 300, reconnectMs: 200 }`,
      'sensors:',
      '  - { id: a1, bus: bus-a, slave: 1, profile: generic-uint16-cm, pollIntervalMs: 200 }',
      '  - { id: a2, bus: bus-a, slave: 2, profile: generic-uint16-cm, pollIntervalMs: 200 }',
      '  - { id: b1, bus: bus-b, slave: 1, profile: generic-uint16-cm, pollIntervalMs: 200, critical: true }',
    ]);
    await until(url, 'all good', (h) => h.sensors.every((s) => s.status === 'good'));

    const bPort = b.port!;
    await b.kill9();
    const down = await until(url, 'bus-b down and b1 comm_fail', (h) => h.buses.find((x) => x.id === 'bus-b')!.state === 'down' && sensor(h, 'b1').status === 'comm_fail');
    expect(down.status).toBe('degraded');
    // Bus A carries on: its sensors keep getting fresh good readings while B is dead.
    const before = sensor(down, 'a1').lastReading!.ts;
    const later = await until(url, 'fresh readings on bus-a', (h) => sensor(h, 'a1').lastReading!.ts > before + 500);
    expect(['a1', 'a2'].map((id) => sensor(later, id).status)).toEqual(['good', 'good']);
    expect(later.buses.find((x) => x.id === 'bus-a')!.state).toBe('open');

    b = await startPymodbusSlave({ map: map([1]), endpoint: { kind: 'tcp', port: bPort } });
    const back = await until(url, 'b1 good again', (h) => sensor(h, 'b1').status === 'good');
    expect(back.status).toBe('ok');
    const res = await fetch(`${url}/api/v1/sensors/b1/readings?limit=10000`);
    const qualities = new Set(((await res.json()) as { readings: { quality: string }[] }).readings.map((r) => r.quality));
    expect([...qualities].sort()).toEqual(['comm_fail', 'good']);
  });

  it('a silent unit on a shared RTU line opens its breaker; its neighbour stays good and fresh', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const slave = await startPymodbusSlave({ map: map([1]), endpoint: { kind: 'rtu', path: pty.b, baud: 9600 } });
    cleanups.push(() => slave.stop());
    const url = await runDaemon([
      'buses:',
      `  - { id: rs485, type: rtu, path: ${pty.a}, baudRate: 9600, timeoutMs: 300, retries: 0, breaker: { failureThreshold: 2, openMs: 2000 } }`,
      'sensors:',
      '  - { id: talker, bus: rs485, slave: 1, profile: generic-uint16-cm, pollIntervalMs: 300, critical: true }',
      '  - { id: silent, bus: rs485, slave: 2, profile: generic-uint16-cm, pollIntervalMs: 300 }',
    ]);
    const h = await until(url, 'breaker open on the silent unit', (x) => sensor(x, 'silent').breaker === 'open' && sensor(x, 'talker').status === 'good');
    expect(sensor(h, 'silent').status).toBe('comm_fail');
    const t0 = sensor(h, 'talker').lastReading!.ts;
    const later = await until(url, 'talker still fresh', (x) => sensor(x, 'talker').lastReading!.ts > t0 + 1000);
    expect(sensor(later, 'talker').status).toBe('good');
    expect(sensor(later, 'talker').lastReading!.value).toBeCloseTo(5.01, 9);
  });
});
