import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startPymodbusSlave, type RunningSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { startClosingTcpGateway, type ClosingTcpGateway } from '../rigs/closing-tcp-gateway.js';
import { startCorruptingPtyProxy, type CorruptingPtyProxy } from '../rigs/corrupting-pty-proxy.js';
import { readingsSince, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess, type RawReading } from './daemon-harness.js';

const BAUD = 19200;
const TIMEOUT_MS = 300;
const RUN_MS = 25_000;

/**
 * Sensors whose blocks all have the same shape on the wire (FC 3, two registers) but other types and values: a
 * reply stored for the wrong sensor shows as a wrong value (reg 100's words as reg 110's int32, or as a float).
 */
interface Point {
  readonly id: string;
  readonly bus: string;
  readonly slave: number;
  readonly address: number;
  readonly type: 'uint32' | 'int32' | 'float32';
  readonly unit: 'cm' | 'm';
  readonly words: [number, number];
  /** What the daemon must store for those words. */
  readonly metres: number;
}

const POINTS: readonly Point[] = [
  { id: 'dam', bus: 'late-line', slave: 1, address: 100, type: 'uint32', unit: 'cm', words: [0, 1234], metres: 12.34 },
  { id: 'spillway', bus: 'late-line', slave: 1, address: 110, type: 'int32', unit: 'cm', words: [0, 2345], metres: 23.45 },
  { id: 'intake', bus: 'late-line', slave: 1, address: 120, type: 'float32', unit: 'm', words: [0x4148, 0xf5c3], metres: 12.56 },
  { id: 'bridge', bus: 'late-line', slave: 2, address: 100, type: 'uint32', unit: 'cm', words: [0, 3456], metres: 34.56 },
  { id: 'seawall', bus: 'noisy-line', slave: 3, address: 100, type: 'uint32', unit: 'cm', words: [0, 4567], metres: 45.67 },
  { id: 'gw-north', bus: 'gateway', slave: 1, address: 100, type: 'uint32', unit: 'cm', words: [0, 1234], metres: 12.34 },
  { id: 'gw-south', bus: 'gateway', slave: 1, address: 110, type: 'int32', unit: 'cm', words: [0, 2345], metres: 23.45 },
];

function mapOf(points: readonly Point[]): SlaveMap {
  const units: SlaveMap['units'] = {};
  for (const p of points) ((units[String(p.slave)] ??= { holding: {} }).holding ??= {})[String(p.address)] = p.words;
  return { units };
}

function sensorYaml(p: Point): string {
  const profile = `{ functionCode: 3, addressBase: 0, value: { address: ${p.address}, type: ${p.type}, unit: ${p.unit} }, range: { min: 0, max: 100 } }`;
  return `  - { id: ${p.id}, bus: ${p.bus}, slave: ${p.slave}, pollIntervalMs: 200, profile: ${profile} }`;
}

describe('the daemon stores no wrong value behind line faults, checked value by value against the slaves', () => {
  let late: CorruptingPtyProxy | undefined;
  let noisy: CorruptingPtyProxy | undefined;
  let gateway: ClosingTcpGateway | undefined;
  const slaves: RunningSlave[] = [];
  let daemon: DaemonProcess | undefined;
  const dir = tempDir('fenghuo-daemon-wire-');

  beforeAll(async () => {
    await ensureDistBuilt();
    late = await startCorruptingPtyProxy({ seed: 1 });
    noisy = await startCorruptingPtyProxy({ seed: 2 });
    const on = (bus: string): Point[] => POINTS.filter((p) => p.bus === bus);
    slaves.push(await startPymodbusSlave({ map: mapOf(on('late-line')), endpoint: { kind: 'rtu', path: late.slavePath, baud: BAUD } }));
    slaves.push(await startPymodbusSlave({ map: mapOf(on('noisy-line')), endpoint: { kind: 'rtu', path: noisy.slavePath, baud: BAUD } }));
    const tcp = await startPymodbusSlave({ map: mapOf(on('gateway')), endpoint: { kind: 'tcp' } });
    slaves.push(tcp);
    gateway = await startClosingTcpGateway({ target: { host: '127.0.0.1', port: tcp.port ?? 0 } });
  }, 180_000);

  afterAll(async () => {
    await daemon?.sigterm();
    await gateway?.close();
    for (const s of slaves) await s.stop();
    await late?.close();
    await noisy?.close();
    dir.cleanup();
  });

  it('late replies (0-2x the timeout past it), flipped bits, dropped bytes, junk, and a gateway that hangs up after every reply', async () => {
    if (!late || !noisy || !gateway) throw new Error('rig not started');
    const rtu = (id: string, path: string): string =>
      `  - { id: ${id}, type: rtu, path: ${JSON.stringify(path)}, baudRate: ${BAUD}, timeoutMs: ${TIMEOUT_MS}, retries: 1, retryBackoffMs: 20, reconnectMs: 200 }`;
    const yaml = [
      'storage: { batchSize: 8, flushIntervalMs: 50 }',
      'buses:',
      rtu('late-line', late.masterPath),
      rtu('noisy-line', noisy.masterPath),
      `  - { id: gateway, type: tcp, host: ${gateway.host}, port: ${gateway.port}, timeoutMs: 1000, reconnectMs: 5000 }`,
      'sensors:',
      ...POINTS.map(sensorYaml),
      '',
    ].join('\n');
    const d = await startDaemon({ configFile: writeConfig(dir.dir, yaml), dataDir: join(dir.dir, 'data') });
    daemon = d;
    const from = Date.now();
    late.setRandomFaults({ seed: 20261206, probability: { delay: 0.15, flipBit: 0.1, dropBytes: 0.05, junk: 0.1 }, delayMs: [TIMEOUT_MS, 3 * TIMEOUT_MS] });
    noisy.setRandomFaults({ seed: 50, probability: { flipBit: 0.5 } });
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    late.setRandomFaults(undefined);
    noisy.setRandomFaults(undefined);

    const readings = new Map<string, RawReading[]>();
    for (const p of POINTS) {
      // Readings are committed in batches: wait for the last ones polled in the window to be stored.
      readings.set(p.id, await waitUntil(async () => {
        const rs = (await readingsSince(d, p.id, from)).filter((r) => r.ts <= from + RUN_MS);
        return rs.length > 0 ? rs : undefined;
      }, 5_000, `readings of ${p.id}`));
    }
    const summary = POINTS.map((p) => {
      const rs = readings.get(p.id) ?? [];
      const good = rs.filter((r) => r.quality === 'good');
      return `${p.id}: ${good.length}/${rs.length} good`;
    }).join(', ');
    const why = `${summary}\n${d.diagnostics().slice(-2_000)}`;

    for (const p of POINTS) {
      const good = (readings.get(p.id) ?? []).filter((r) => r.quality === 'good');
      const wrong = good.filter((r) => r.value === null || Math.abs(r.value - p.metres) > 1e-5);
      expect(wrong.map((r) => r.value), `${p.id} stored wrong values; ${why}`).toEqual([]);
    }
    // The rigs did what they say, often enough to matter.
    expect(late.replies().filter((f) => f.delayMs >= TIMEOUT_MS).length, why).toBeGreaterThanOrEqual(20);
    expect(noisy.replies().filter((f) => f.faults.some((x) => x.kind === 'flipBit')).length, why).toBeGreaterThanOrEqual(20);
    expect(gateway.closedByGateway(), why).toBeGreaterThanOrEqual(50);

    for (const p of POINTS) {
      const good = (readings.get(p.id) ?? []).filter((r) => r.quality === 'good');
      expect(good.length, `${p.id} has good readings; ${why}`).toBeGreaterThanOrEqual(10);
    }
    // One flipped bit in half the replies still leaves at least half the polls good.
    const seawall = readings.get('seawall') ?? [];
    expect(seawall.filter((r) => r.quality === 'good').length / seawall.length, why).toBeGreaterThanOrEqual(0.5);
    // Both sensors behind the hanging-up gateway keep their pace.
    for (const id of ['gw-north', 'gw-south']) {
      const rs = readings.get(id) ?? [];
      expect(rs.filter((r) => r.quality === 'good').length / rs.length, `${id}; ${why}`).toBeGreaterThanOrEqual(0.9);
    }
  }, 120_000);
});
