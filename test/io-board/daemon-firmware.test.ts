import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutputsSnapshot } from '../../node-daemon/dispatch/outputs-snapshot.js';
import { getJson, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startPymodbusSlave, type RunningSlave } from '../helpers/pymodbus.js';
import { FIRMWARE_DIR, HARNESS_DIR, PACKAGES, Sim, missingTool, sims, sleep } from './simavr-rig.js';

/**
 * The real daemon (bin/fenghuo.js run, from dist/) with `outputs.ioBoard.firmware: fenghuo`, driving the real
 * fenghuo-io firmware on an emulated ATmega328P (simavr harness, test/rigs/simavr-harness) through its pty; water
 * levels from a pymodbus slave. The harness logs every pin change with simulated timestamps (paced to wall time).
 *
 * Relays: amplifier D7 (role hold by its name), siren D8 (role siren), strobe D9 (active-low, role plain). The
 * default plans switch amplifier+siren+strobe on evacuate, amplifier+strobe on prepare.
 */

const AMP = 7;
const SIREN = 8;
const STROBE = 9;

const missing = missingTool();
if (missing) console.warn(`daemon-firmware tests skipped: ${missing} is missing; install with: ${PACKAGES}`);

const daemons: DaemonProcess[] = [];

interface BoxConfig {
  readonly pty: string;
  readonly modbusPort: number;
  /** Modbus unit of the site's only sensor: 1 = 7.00 m (evacuate), 2 = 5.50 m (prepare). */
  readonly unit: 1 | 2;
  readonly silenceS: number;
  readonly heartbeatMs: number;
  readonly handshakeTimeoutMs?: number;
}

function boxYaml(c: BoxConfig): string {
  return [
    'site: { name: 测试镇, timezone: Asia/Shanghai }',
    'storage: { flushIntervalMs: 50 }',
    `buses: [{ id: site, type: tcp, host: 127.0.0.1, port: ${c.modbusPort}, timeoutMs: 500, retries: 0, reconnectMs: 200 }]`,
    `sensors: [{ id: s1, bus: site, slave: ${c.unit}, profile: generic-uint16-cm, pollIntervalMs: 200 }]`,
    'alarms:',
    '  sites:',
    '    - { id: north, sensors: [s1], prepare: { levelM: 5 }, evacuate: { levelM: 6 } }',
    'outputs:',
    '  ioBoard:',
    `    path: ${c.pty}`,
    '    firmware: fenghuo',
    ...(c.handshakeTimeoutMs === undefined ? [] : [`    handshakeTimeoutMs: ${c.handshakeTimeoutMs}`]),
    `    relays: { amplifier: ${AMP}, siren: ${SIREN}, strobe: ${STROBE} }`,
    '    relayOptions: { strobe: { activeLow: true } }',
    `    failsafe: { silenceS: ${c.silenceS}, heartbeatMs: ${c.heartbeatMs}, evacuateOnMs: 200, evacuateOffMs: 200, boundS: 3 }`,
    '',
  ].join('\n');
}

async function outputs(d: DaemonProcess): Promise<OutputsSnapshot> {
  return getJson<OutputsSnapshot>(`${d.url}/api/v1/outputs`);
}

describe.skipIf(missing !== undefined)('the daemon with the fenghuo-io firmware (simavr)', () => {
  let slave: RunningSlave | undefined;
  const dir = tempDir('fenghuo-daemon-firmware-');

  beforeAll(async () => {
    execFileSync('make', ['-s', '-C', FIRMWARE_DIR], { stdio: 'pipe', timeout: 120_000 });
    execFileSync('make', ['-s', '-C', HARNESS_DIR], { stdio: 'pipe', timeout: 120_000 });
    await ensureDistBuilt();
    slave = await startPymodbusSlave({ endpoint: { kind: 'tcp' }, map: { units: { '1': { holding: { '0': [700] } }, '2': { holding: { '0': [550] } } } } });
  }, 240_000);

  afterEach(async () => {
    for (const d of daemons.splice(0)) if (!d.exited()) await d.kill9();
    for (const s of sims.splice(0)) await s.stop();
  });

  afterAll(async () => {
    await slave?.stop();
    dir.cleanup();
  });

  it('evacuate: sirens on (active-low strobe inverted); a restart does not blip; kill -9: the board sounds the pattern, then stops after the bound', async () => {
    const sim = await Sim.start();
    const modbusPort = slave!.port!;
    const data = join(dir.dir, 'evacuate');
    // first daemon: a 5 s silence, room for the restart below
    const d1 = await startDaemon({ configFile: writeConfig(dir.dir, boxYaml({ pty: sim.pty, modbusPort, unit: 1, silenceS: 5, heartbeatMs: 500 })), dataDir: data });
    daemons.push(d1);
    const why = (d: DaemonProcess) => () => `${d.diagnostics()}\n${JSON.stringify(d.lines.filter((l) => String(l.event).startsWith('io_board')).slice(-10))}`;
    await waitUntil(() => sim.state(AMP) === 'high' && sim.state(SIREN) === 'high' && sim.state(STROBE) === 'low', 15_000, why(d1));
    // the strobe is active-low: on = LOW on the pin, and it never went through LOW before it was wanted on
    const snap = await waitUntil(
      async () => {
        const o = await outputs(d1);
        return o.ioBoard?.firmware?.failsafe?.evacuateArmed === true && o.relays.every((r) => r.on && r.confirmed) ? o : undefined;
      },
      5_000,
      'outputs: evacuate latch armed, relays confirmed',
    );
    expect(snap.ioBoard?.firmware).toMatchObject({ configured: 'fenghuo', reported: 'fenghuo-io', extensions: true, failsafe: { state: 'host', armed: true } });
    // configured: high-Z → pull-up → HIGH (inactive), never LOW; then LOW once wanted on
    expect(sim.pinLog(STROBE).map((e) => e.state)).toEqual(['pullup', 'high', 'low']);

    // restart while the alarm is still active: no pin changes at all
    const beforeRestart = await sim.now();
    await d1.kill9();
    const d2 = await startDaemon({ configFile: writeConfig(dir.dir, boxYaml({ pty: sim.pty, modbusPort, unit: 1, silenceS: 2, heartbeatMs: 250 })), dataDir: data });
    daemons.push(d2);
    await waitUntil(() => d2.events('io_board.connected').length > 0, 10_000, why(d2));
    expect(d2.events('io_board.connected')[0]).toMatchObject({ extensions: true, relaysWritten: [] });
    await waitUntil(
      async () => {
        const o = await outputs(d2);
        return o.relays.every((r) => r.on && r.confirmed) && o.ioBoard?.firmware?.failsafe?.evacuateArmed === true;
      },
      5_000,
      why(d2),
    );
    await sleep(500);
    for (const pin of [AMP, SIREN, STROBE]) expect(sim.pinLog(pin, beforeRestart), `pin ${pin} changed during the restart`).toEqual([]);

    // kill -9 during evacuate: after the 2 s silence the board sounds 200/200 ms on the siren for 3 s, then quiet
    await sleep(300);
    const beforeKill = await sim.now();
    await d2.kill9();
    const killedAt = await sim.now();
    await sim.until(killedAt + 6_500);

    const strobe = sim.pinLog(STROBE, killedAt);
    expect(strobe.map((e) => e.state)).toEqual(['high']); // plain: safe when the board takes over (active-low: HIGH)
    const start = strobe[0]!.t;
    expect(start - beforeKill).toBeGreaterThan(1_700);
    expect(start - killedAt).toBeLessThan(2_100);
    const siren = sim.pinLog(SIREN, killedAt);
    expect(siren.length).toBeGreaterThanOrEqual(13);
    for (let i = 1; i < siren.length - 1; i++) expect(Math.abs(siren[i]!.t - siren[i - 1]!.t - 200)).toBeLessThan(15);
    const end = siren.at(-1)!;
    expect(end.state).toBe('low');
    expect(end.t - start).toBeGreaterThan(2_900);
    expect(end.t - start).toBeLessThan(3_100);
    // hold: the amplifier stays on during the run, off after it
    expect(sim.pinLog(AMP, killedAt).map((e) => e.state)).toEqual(['low']);
    expect(Math.abs(sim.pinLog(AMP, killedAt)[0]!.t - end.t)).toBeLessThan(5);
    expect(sim.events.filter((e) => e.ev === 'pin' && e.t / 1_000 > end.t + 1)).toEqual([]);
  });

  it('a slow-booting board connects within handshakeTimeoutMs at the first attempt; quiet kill -9: relays safe after the silence', async () => {
    const sim = await Sim.start({ bootDelayMs: 3_500 }); // bootloader + blink: nothing answers for 3.5 s
    const modbusPort = slave!.port!;
    const d = await startDaemon({
      configFile: writeConfig(dir.dir, boxYaml({ pty: sim.pty, modbusPort, unit: 2, silenceS: 2, heartbeatMs: 250, handshakeTimeoutMs: 8_000 })),
      dataDir: join(dir.dir, 'prepare'),
    });
    daemons.push(d);
    await waitUntil(() => sim.state(AMP) === 'high' && sim.state(STROBE) === 'low', 20_000, () => d.diagnostics());
    expect(d.events('io_board.connect_failed')).toEqual([]);
    expect(d.events('io_board.connected')).toHaveLength(1);
    expect(sim.state(SIREN)).toBe('low'); // prepare: no siren
    const o = await outputs(d);
    expect(o.ioBoard?.firmware?.failsafe).toMatchObject({ state: 'host', evacuateArmed: false });

    await sleep(300);
    const beforeKill = await sim.now();
    await d.kill9();
    const killedAt = await sim.now();
    await sim.until(killedAt + 3_000);
    const amp = sim.pinLog(AMP, killedAt);
    const strobe = sim.pinLog(STROBE, killedAt);
    expect(amp.map((e) => e.state)).toEqual(['low']);
    expect(strobe.map((e) => e.state)).toEqual(['high']);
    expect(amp[0]!.t - beforeKill).toBeGreaterThan(1_700);
    expect(amp[0]!.t - killedAt).toBeLessThan(2_100);
    expect(sim.pinLog(SIREN, killedAt)).toEqual([]);
  });
});
