import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { health, readingsSince, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from './daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const BAUD = 19200;

function siteYaml(path: string): string {
  // The breaker stays open far longer than the test looks, so a re-probe never muddles the counters below.
  return [
    'storage: { batchSize: 8, flushIntervalMs: 50 }',
    'buses:',
    `  - { id: rtu-line, type: rtu, path: ${JSON.stringify(path)}, baudRate: ${BAUD}, timeoutMs: 200, retries: 0, reconnectMs: 200, breaker: { failureThreshold: 3, openMs: 30000, maxOpenMs: 60000 } }`,
    'sensors:',
    '  - { id: answering, bus: rtu-line, slave: 1, profile: generic-uint16-cm, pollIntervalMs: 150 }',
    '  - { id: silent, bus: rtu-line, slave: 2, profile: generic-uint16-cm, pollIntervalMs: 150 }',
    '',
  ].join('\n');
}

const sensor = (h: HealthSnapshot, id: string): HealthSnapshot['sensors'][number] | undefined => h.sensors.find((s) => s.id === id);

describe('RTU bus on a pty with one answering and one silent unit', () => {
  let pty: PtyPair | undefined;
  let slave: RunningSlave | undefined;
  let daemon: DaemonProcess | undefined;
  const dir = tempDir('fenghuo-daemon-rtu-');

  beforeAll(async () => {
    await ensureDistBuilt();
    pty = await createPtyPair();
    // Unit 2 is not in the map: pymodbus never answers it, like a dead transmitter on the RS-485 line.
    slave = await startPymodbusSlave({ endpoint: { kind: 'rtu', path: pty.b, baud: BAUD }, map: { units: { '1': { holding: { '0': [1234] } } } } });
  }, 180_000);
  afterAll(async () => {
    await daemon?.sigterm();
    await slave?.stop();
    await pty?.close();
    dir.cleanup();
  });

  it('the silent unit goes comm_fail with its breaker open; the answering one stays good with fresh readings', async () => {
    if (pty === undefined) throw new Error('no pty');
    const config = writeConfig(dir.dir, siteYaml(pty.a));
    const d = await startDaemon({ configFile: config, dataDir: join(dir.dir, 'data') });
    daemon = d;
    let last: HealthSnapshot | undefined;
    const why = (): string => `health ${JSON.stringify(last)}\n${d.diagnostics()}\nslave: ${slave?.stderr().slice(-1_000) ?? ''}`;

    const opened = await waitUntil(
      async () => {
        last = await health(d);
        const silent = sensor(last, 'silent');
        const answering = sensor(last, 'answering');
        return silent?.status === 'comm_fail' && silent.breaker === 'open' && answering?.status === 'good' ? last : undefined;
      },
      10_000,
      () => `silent comm_fail with breaker open, answering good: ${why()}`,
    );
    const openedAt = Date.now();
    expect(sensor(opened, 'answering')?.breaker).toBe('closed');
    expect(sensor(opened, 'answering')?.lastReading).toMatchObject({ value: 12.34, quality: 'good' });
    expect(sensor(opened, 'silent')?.lastReading).toMatchObject({ value: null, quality: 'comm_fail' });
    expect(sensor(opened, 'silent')?.lastGoodTs).toBeUndefined();
    expect(sensor(opened, 'silent')?.lastError?.message, 'says why').toBeTruthy();
    const bus = opened.buses.find((b) => b.id === 'rtu-line');
    expect(bus?.state, 'a silent unit does not take the line down').toBe('open');
    expect(bus?.counters.timeouts ?? 0).toBeGreaterThanOrEqual(3);

    // With the breaker open the answering unit keeps its pace: a run of fresh good readings, all stored.
    const fresh = await waitUntil(
      async () => {
        const good = (await readingsSince(d, 'answering', openedAt)).filter((r) => r.quality === 'good');
        return good.length >= 8 ? good : undefined;
      },
      5_000,
      () => `8 fresh good readings of the answering unit: ${why()}`,
    );
    expect(new Set(fresh.map((r) => r.value))).toEqual(new Set([12.34]));
    for (let i = 1; i < fresh.length; i++) expect(fresh[i]?.ts ?? 0).toBeGreaterThan(fresh[i - 1]?.ts ?? Infinity);

    // The open breaker really skips the dead unit: no new timeouts on the line while the good one is still polled.
    last = await health(d);
    const busNow = last.buses.find((b) => b.id === 'rtu-line');
    expect(busNow?.counters.timeouts, why()).toBe(bus?.counters.timeouts);
    expect(busNow?.counters.responses ?? 0).toBeGreaterThan(bus?.counters.responses ?? Infinity);
    expect(sensor(last, 'silent')).toMatchObject({ status: 'comm_fail', breaker: 'open' });
    expect(sensor(last, 'answering')?.status).toBe('good');
    expect(sensor(last, 'answering')?.lastGoodTs ?? 0).toBeGreaterThan(sensor(opened, 'answering')?.lastGoodTs ?? Infinity);

    // Stopping with a dead unit on the line is clean and quick.
    expect(await d.sigterm(5_000), d.diagnostics()).toBe(0);
    expect(d.lines.at(-1)?.event).toBe('daemon.stopped');
  });
});
