// Fault rig (issue #14 item 4): the RS-485 adapter is unplugged and plugged back in. The daemon polls a pymodbus RTU
// slave through a socat pty pair reached by a fixed symlink (as /dev/serial/by-id/... is). Unplugging stops socat,
// so the device path disappears; a few seconds later the pair is made again under the same path and the slave
// restarts on it. Twice. The daemon must report the bus down (health: bus down, sensor comm_fail, status degraded),
// keep running without spamming its log, and resume good readings on the same path by itself; every reading it
// logged as stored is in the file, good before and after, comm_fail (never an invented value) in between.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { QUALITY_CODE } from '../../node-daemon/storage/quality-codes.js';
import { health, readingsSince, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { checkKept, sleep } from './fault-rig.js';

const BAUD = 19200;
const WORD = 321; // 3.21 m
const POLL_MS = 150;
const UNPLUGGED_MS = 4_000;
/**
 * Log lines about the fault the daemon may write per second while the adapter is out (it polls ~7 times a second;
 * `readings.stored`, one per commit as always, is not about the fault and not counted).
 */
const MAX_LINES_PER_S = 2;

function siteYaml(path: string): string {
  return [
    'storage: { batchSize: 8, flushIntervalMs: 100 }',
    'buses:',
    `  - { id: rs485, type: rtu, path: ${JSON.stringify(path)}, baudRate: ${BAUD}, timeoutMs: 200, retries: 0, reconnectMs: 300, breaker: { failureThreshold: 3, openMs: 500, maxOpenMs: 1000 } }`,
    'sensors:',
    `  - { id: river, bus: rs485, slave: 1, profile: generic-uint16-cm, pollIntervalMs: ${POLL_MS}, critical: true }`,
    '',
  ].join('\n');
}

const bus = (h: HealthSnapshot): HealthSnapshot['buses'][number] | undefined => h.buses.find((b) => b.id === 'rs485');
const river = (h: HealthSnapshot): HealthSnapshot['sensors'][number] | undefined => h.sensors.find((s) => s.id === 'river');

describe('serial adapter unplugged and replugged under the same path', () => {
  let pty: PtyPair | undefined;
  let slave: RunningSlave | undefined;
  let daemon: DaemonProcess | undefined;
  const dir = tempDir('fenghuo-rig-replug-');
  const startSlave = async (path: string): Promise<RunningSlave> =>
    startPymodbusSlave({ endpoint: { kind: 'rtu', path, baud: BAUD }, map: { units: { '1': { holding: { '0': [WORD] } } } } });

  beforeAll(async () => {
    await ensureDistBuilt();
    pty = await createPtyPair();
    slave = await startSlave(pty.b);
  }, 180_000);
  afterAll(async () => {
    if (daemon !== undefined && !daemon.exited()) await daemon.sigterm();
    await slave?.stop();
    await pty?.close();
    dir.cleanup();
  });

  it('reports the bus down, keeps running quietly, and resumes on the same path by itself (twice)', async () => {
    if (pty === undefined) throw new Error('no pty');
    const p = pty;
    const dataDir = join(dir.dir, 'data');
    const d = await startDaemon({ configFile: writeConfig(dir.dir, siteYaml(p.a)), dataDir });
    daemon = d;
    const pid = d.pid;
    let last: HealthSnapshot | undefined;
    const why = (): string => `health ${JSON.stringify(last)}\n${d.diagnostics()}\nslave: ${slave?.stderr().slice(-500) ?? ''}`;

    const startedAt = Date.now();
    await waitUntil(
      async () => {
        const good = (await readingsSince(d, 'river', startedAt - 60_000)).filter((r) => r.quality === 'good');
        return good.length >= 5;
      },
      10_000,
      () => `5 good readings stored before the first unplug: ${why()}`,
    );

    const outages: { unpluggedAt: number; downAt: number; pluggedAt: number; backAt: number; lines: number }[] = [];
    for (let cycle = 0; cycle < 2; cycle++) {
      // Unplug: the slave loses its line, socat ends, both device paths vanish.
      await slave?.kill9();
      await p.kill();
      const unpluggedAt = Date.now();
      const linesBefore = d.lines.length;
      const down = await waitUntil(
        async () => {
          last = await health(d);
          return bus(last)?.state === 'down' && river(last)?.status === 'comm_fail' ? last : undefined;
        },
        5_000,
        () => `cycle ${cycle}: bus down and the sensor comm_fail after the unplug: ${why()}`,
      );
      const downAt = Date.now();
      expect(down.status, 'a critical sensor in comm_fail and a bus down degrade the box').toBe('degraded');
      expect(river(down)?.lastReading).toMatchObject({ quality: 'comm_fail', value: null });
      expect(bus(down)?.lastError, 'the bus says why it is down').toBeTruthy();
      await sleep(Math.max(0, UNPLUGGED_MS - (Date.now() - unpluggedAt)));
      expect(d.exited(), `cycle ${cycle}: the daemon died while the adapter was out: ${why()}`).toBe(false);
      const outageS = (Date.now() - unpluggedAt) / 1000;
      const faultLines = d.lines.slice(linesBefore).filter((l) => l.event !== 'readings.stored');
      const lines = faultLines.length;
      expect(lines, `cycle ${cycle}: ${lines} log lines in ${outageS.toFixed(1)} s unplugged: ${JSON.stringify(faultLines.slice(0, 12))}`).toBeLessThanOrEqual(
        Math.ceil(MAX_LINES_PER_S * outageS),
      );

      // Plug back in: the same path, a new pty behind it; the slave comes back on it.
      await p.recreate();
      slave = await startSlave(p.b);
      const pluggedAt = Date.now();
      const back = await waitUntil(
        async () => {
          last = await health(d);
          const s = river(last);
          return bus(last)?.state === 'open' && s?.status === 'good' && (s.lastGoodTs ?? 0) >= pluggedAt ? last : undefined;
        },
        10_000,
        () => `cycle ${cycle}: bus open and good readings again after the replug: ${why()}`,
      );
      const backAt = Date.now();
      expect(back.status).toBe('ok');
      expect(river(back)?.lastReading).toMatchObject({ quality: 'good', value: WORD / 100 });
      const good = await waitUntil(
        async () => {
          const g = (await readingsSince(d, 'river', pluggedAt)).filter((r) => r.quality === 'good');
          return g.length >= 3 ? g : undefined;
        },
        5_000,
        () => `cycle ${cycle}: good readings stored after the replug: ${why()}`,
      );
      expect(new Set(good.map((r) => r.value))).toEqual(new Set([WORD / 100]));
      // Nothing good was invented while the adapter was out.
      const during = (await readingsSince(d, 'river', downAt)).filter((r) => r.ts < pluggedAt);
      expect(during.length, 'the sensor kept being recorded (as comm_fail) while unplugged').toBeGreaterThan(0);
      expect(during.filter((r) => r.quality !== 'comm_fail' || r.value !== null)).toEqual([]);
      outages.push({ unpluggedAt, downAt, pluggedAt, backAt, lines });
    }

    expect(d.pid, 'the same process throughout: no restart').toBe(pid);
    expect(d.events('daemon.started')).toHaveLength(1);
    expect(await d.sigterm(5_000), d.diagnostics()).toBe(0);
    expect(d.lines.at(-1)?.event).toBe('daemon.stopped');

    const stored = d.stored();
    const plausible = (r: { value: number | null; quality: number }): boolean =>
      (r.quality === QUALITY_CODE.good && r.value === WORD / 100) || (r.quality === QUALITY_CODE.comm_fail && r.value === null);
    const { problems, report } = checkKept(dataDir, stored, [], plausible);
    expect(problems.slice(0, 10)).toEqual([]);
    const reopened = d.events('bus.reopening').length;
    console.log(
      `[serial replug] ${outages.length} unplugs of ${UNPLUGGED_MS} ms: ` +
        outages
          .map((o, i) => `#${i + 1} down after ${o.downAt - o.unpluggedAt} ms, good again ${o.backAt - o.pluggedAt} ms after the replug, ${o.lines} log lines while out`)
          .join('; ') +
        `; bus.reopening ${reopened}; kept ${report.readings} readings in ${report.batches} batches, integrity_check ${report.integrity}`,
    );
  }, 90_000);
});
