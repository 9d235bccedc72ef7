import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { startPymodbusSlave, type RunningSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { health, readingsSince, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from './daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const NORTH: SlaveMap = { units: { '1': { holding: { '0': [321] } }, '2': { holding: { '0': [322] } } } };
const SOUTH: SlaveMap = { units: { '1': { holding: { '0': [451] } }, '2': { holding: { '0': [452] } } } };
const NORTH_SENSORS = ['north-1', 'north-2'];
const SOUTH_SENSORS = ['south-1', 'south-2'];

function siteYaml(northPort: number, southPort: number): string {
  // Short timeouts and breaker times keep the test quick; the behaviour is the same with the defaults, only slower.
  const bus = (id: string, port: number): string =>
    `  - { id: ${id}, type: tcp, host: 127.0.0.1, port: ${port}, timeoutMs: 300, retries: 0, reconnectMs: 200, breaker: { failureThreshold: 3, openMs: 300, maxOpenMs: 600 } }`;
  const sensor = (id: string, bus: string, slave: number): string =>
    `  - { id: ${id}, bus: ${bus}, slave: ${slave}, profile: generic-uint16-cm, pollIntervalMs: 150 }`;
  return [
    'storage: { batchSize: 8, flushIntervalMs: 50 }',
    'buses:',
    bus('tcp-north', northPort),
    bus('tcp-south', southPort),
    'sensors:',
    sensor('north-1', 'tcp-north', 1),
    sensor('north-2', 'tcp-north', 2),
    sensor('south-1', 'tcp-south', 1),
    sensor('south-2', 'tcp-south', 2),
    '',
  ].join('\n');
}

const sensorsOf = (h: HealthSnapshot, ids: readonly string[]): HealthSnapshot['sensors'] => h.sensors.filter((s) => ids.includes(s.id));
const busOf = (h: HealthSnapshot, id: string): HealthSnapshot['buses'][number] | undefined => h.buses.find((b) => b.id === id);

describe('one TCP slave dies: its sensors fail, the other bus keeps polling, and it recovers by itself', () => {
  let north: RunningSlave | undefined;
  let south: RunningSlave | undefined;
  let daemon: DaemonProcess | undefined;
  const dir = tempDir('fenghuo-daemon-slave-killed-');

  beforeAll(async () => {
    await ensureDistBuilt();
    [north, south] = await Promise.all([
      startPymodbusSlave({ endpoint: { kind: 'tcp' }, map: NORTH }),
      startPymodbusSlave({ endpoint: { kind: 'tcp' }, map: SOUTH }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await daemon?.sigterm();
    await Promise.all([north?.stop(), south?.stop()]);
    dir.cleanup();
  });

  it('kill -9 of the north slave, then its restart on the same port', async () => {
    if (north?.port === undefined || south?.port === undefined) throw new Error('slaves not started');
    const northPort = north.port;
    const config = writeConfig(dir.dir, siteYaml(northPort, south.port));
    const d = await startDaemon({ configFile: config, dataDir: join(dir.dir, 'data') });
    daemon = d;
    const why = (h: HealthSnapshot | undefined): string => `health ${JSON.stringify(h)}\n${d.diagnostics()}`;
    let last: HealthSnapshot | undefined;

    await waitUntil(
      async () => {
        last = await health(d);
        return last.sensors.length === 4 && last.sensors.every((s) => s.status === 'good') && last.status === 'ok';
      },
      10_000,
      () => `every sensor good at first: ${why(last)}`,
    );

    await north?.kill9();
    const killedAt = Date.now();

    const failed = await waitUntil(
      async () => {
        last = await health(d);
        return busOf(last, 'tcp-north')?.state === 'down' && sensorsOf(last, NORTH_SENSORS).every((s) => s.status === 'comm_fail') ? last : undefined;
      },
      10_000,
      () => `north bus down and its sensors comm_fail: ${why(last)}`,
    );
    expect(failed.status).toBe('degraded');
    expect(busOf(failed, 'tcp-south')?.state).toBe('open');
    for (const s of sensorsOf(failed, NORTH_SENSORS)) {
      expect(s.lastReading?.quality, s.id).toBe('comm_fail');
      expect(s.lastReading?.value, s.id).toBeNull();
      expect(s.lastGoodTs ?? Infinity, `${s.id} had no good reading since the kill`).toBeLessThan(killedAt);
    }

    // While north stays dead, south keeps delivering fresh good readings: its timestamps keep advancing.
    const southAtFailure = new Map(sensorsOf(failed, SOUTH_SENSORS).map((s) => [s.id, s.lastGoodTs ?? 0]));
    await waitUntil(
      async () => {
        last = await health(d);
        return sensorsOf(last, SOUTH_SENSORS).every((s) => s.status === 'good' && (s.lastGoodTs ?? 0) > (southAtFailure.get(s.id) ?? Infinity) + 500);
      },
      5_000,
      () => `south sensors fresh and good while north is dead: ${why(last)}`,
    );
    for (const id of SOUTH_SENSORS) {
      // The readings API shows committed readings only: wait for a run of them.
      const readings = await waitUntil(
        async () => {
          const r = await readingsSince(d, id, killedAt);
          return r.length >= 4 ? r : undefined;
        },
        5_000,
        `${id}: 4 readings stored since the kill`,
      );
      const good = readings.filter((r) => r.quality === 'good');
      expect(good, `${id}: every reading since the kill is good`).toEqual(readings);
      expect(new Set(good.map((r) => r.value)), id).toEqual(new Set([id === 'south-1' ? 4.51 : 4.52]));
      for (let i = 1; i < good.length; i++) expect(good[i]?.ts ?? 0, id).toBeGreaterThan(good[i - 1]?.ts ?? Infinity);
    }
    for (const id of NORTH_SENSORS) {
      // Still polled (breaker re-probes) and recorded while its slave is dead; a poll answered just before the kill
      // may carry a later timestamp, so look from a little after it.
      const readings = await waitUntil(
        async () => {
          const r = await readingsSince(d, id, killedAt + 100);
          return r.length >= 2 ? r : undefined;
        },
        5_000,
        `${id}: comm_fail readings recorded while its slave is dead`,
      );
      expect(readings.filter((r) => r.quality !== 'comm_fail' || r.value !== null), id).toEqual([]);
    }

    // The device comes back (same address and port): nobody touches the daemon.
    north = await startPymodbusSlave({ endpoint: { kind: 'tcp', port: northPort }, map: NORTH });
    const restartedAt = Date.now();
    const recovered = await waitUntil(
      async () => {
        last = await health(d);
        return busOf(last, 'tcp-north')?.state === 'open' &&
          sensorsOf(last, NORTH_SENSORS).every((s) => s.status === 'good' && (s.lastGoodTs ?? 0) >= restartedAt)
          ? last
          : undefined;
      },
      10_000,
      () => `north recovered by itself: ${why(last)}`,
    );
    expect(recovered.status).toBe('ok');
    for (const id of NORTH_SENSORS) {
      // /health sees a reading when it is polled, the readings API once it is committed: wait for the commit.
      const good = await waitUntil(
        async () => {
          const g = (await readingsSince(d, id, restartedAt)).filter((r) => r.quality === 'good');
          return g.length > 0 ? g : undefined;
        },
        5_000,
        `${id}: good readings stored after the slave came back`,
      );
      expect(good.every((r) => r.value === (id === 'north-1' ? 3.21 : 3.22)), id).toBe(true);
    }

    // A stop while a slave is dead (its bus reconnecting) is still clean: nothing waits on the dead device.
    await north.kill9();
    await waitUntil(
      async () => {
        last = await health(d);
        return busOf(last, 'tcp-north')?.state !== 'open';
      },
      5_000,
      () => `north bus no longer open after the second kill: ${why(last)}`,
    );
    expect(await d.sigterm(5_000), d.diagnostics()).toBe(0);
    expect(d.lines.at(-1)?.event).toBe('daemon.stopped');
  });
});
