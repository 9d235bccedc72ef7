import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPymodbusSlave, type RunningSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { notifyPeerMissing, startNotifyPeer, type NotifyPeer } from './notify-peer.js';

// Unit 1 answers; unit 9 is silent, so the first poll cycle lasts at least its 1.5 s timeout.
const SLAVE: SlaveMap = { units: { '1': { holding: { '0': [321] } } } };
const WATCHDOG_MS = 2_000;

function siteYaml(port: number): string {
  return [
    'storage: { batchSize: 8, flushIntervalMs: 50 }',
    'buses:',
    `  - { id: river, type: tcp, host: 127.0.0.1, port: ${port}, timeoutMs: 1500, retries: 0, reconnectMs: 200 }`,
    'sensors:',
    '  - { id: dam, bus: river, slave: 1, profile: generic-uint16-cm, pollIntervalMs: 500 }',
    '  - { id: silent, bus: river, slave: 9, profile: generic-uint16-cm, pollIntervalMs: 500 }',
    '',
  ].join('\n');
}

const missing = notifyPeerMissing();

/**
 * The daemon under a stand-in for systemd's notify socket (test/systemd/notify_peer.py: a real unix datagram
 * socket that closes the BARRIER=1 pipe as PID 1 does); PID 1 here is not systemd, so the unit itself cannot run.
 */
describe.skipIf(missing !== undefined)(`sd_notify from the daemon${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const dir = tempDir('fenghuo-sd-notify-');
  let slave: RunningSlave | undefined;
  let peer: NotifyPeer | undefined;
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    await ensureDistBuilt();
    slave = await startPymodbusSlave({ endpoint: { kind: 'tcp' }, map: SLAVE });
    peer = await startNotifyPeer(join(dir.dir, 'notify.sock'));
  }, 180_000);
  afterAll(async () => {
    if (daemon !== undefined && !daemon.exited()) await daemon.sigterm();
    await Promise.all([slave?.stop(), peer?.stop()]);
    dir.cleanup();
  });

  it('READY=1 after the first poll cycle; WATCHDOG=1 every WATCHDOG_USEC/2; none while stopped; pings go on with a dead bus; STOPPING=1', async () => {
    const p = peer!;
    process.env.NOTIFY_SOCKET = p.socket;
    process.env.WATCHDOG_USEC = String(WATCHDOG_MS * 1000);
    let d: DaemonProcess;
    try {
      d = await startDaemon({ configFile: writeConfig(dir.dir, siteYaml(slave!.port!)), dataDir: join(dir.dir, 'data') });
    } finally {
      delete process.env.NOTIFY_SOCKET;
      delete process.env.WATCHDOG_USEC;
    }
    daemon = d;
    const ready = await waitUntil(() => p.with('READY=1')[0], 15_000, () => `READY=1: ${JSON.stringify(p.messages)}\n${d.diagnostics()}`);

    // Storage open, then the first poll of every sensor (the silent one after its 1.5 s timeout), then READY.
    const time = (l: { readonly [k: string]: unknown }): number => Date.parse(String(l.time));
    const firstQuality = (id: string): number => time(d.events('sensor.quality').find((l) => l.sensor === id)!);
    const started = time(d.events('daemon.started')[0]!);
    expect(d.events('sensor.quality').find((l) => l.sensor === 'silent')?.quality).toBe('comm_fail');
    expect(ready.t).toBeGreaterThanOrEqual(firstQuality('silent'));
    expect(ready.t).toBeGreaterThanOrEqual(firstQuality('dam'));
    expect(firstQuality('silent') - started).toBeGreaterThan(1_000);
    expect(ready.fields.find((f) => f.startsWith('STATUS='))).toMatch(/^STATUS=polling 2 sensors; API at http:\/\/127\.0\.0\.1:\d+$/);
    expect(p.with('WATCHDOG=1').filter((m) => m.t < ready.t)).toEqual([]);
    // systemd-notify keeps the sender alive until the barrier is released: each message is followed by BARRIER=1.
    // (The peer may log READY a moment before the barrier datagram that follows it: wait for the next message.)
    const afterReady = await waitUntil(() => p.messages[p.messages.indexOf(ready) + 1], 5_000, () => `the message after READY=1: ${JSON.stringify(p.messages)}`);
    expect(afterReady.fields).toEqual(['BARRIER=1']);

    // Pings at half the watchdog period.
    await waitUntil(() => p.with('WATCHDOG=1').length >= 4, 10_000, () => `4 pings: ${JSON.stringify(p.messages)}`);
    const pings = p.with('WATCHDOG=1').map((m) => m.t);
    const gaps = pings.slice(1).map((t, i) => t - pings[i]!);
    for (const g of gaps) {
      expect(g).toBeGreaterThan(WATCHDOG_MS / 2 - 300);
      expect(g).toBeLessThan(WATCHDOG_MS);
    }

    // A stuck process (SIGSTOP: nothing of it runs, as with a blocked event loop) sends nothing; it resumes after.
    process.kill(d.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 3 * WATCHDOG_MS));
    const countAtCont = p.with('WATCHDOG=1').length;
    process.kill(d.pid, 'SIGCONT');
    expect(p.with('WATCHDOG=1').filter((m) => m.t > stoppedAt + 500 && m.t < stoppedAt + 3 * WATCHDOG_MS)).toEqual([]);
    await waitUntil(() => p.with('WATCHDOG=1').length > countAtCont, 5_000, 'pings resume after SIGCONT');

    // A dead bus is not a dead poller: the polls fail and settle, the pings go on.
    await slave!.kill9();
    await waitUntil(() => d.events('sensor.quality').some((l) => l.sensor === 'dam' && l.quality === 'comm_fail'), 10_000, 'dam comm_fail');
    const afterKill = p.with('WATCHDOG=1').length;
    await waitUntil(() => p.with('WATCHDOG=1').length >= afterKill + 3, 10_000, 'pings with the bus down');
    expect(d.events('systemd.watchdog_withheld')).toEqual([]);

    expect(await d.sigterm()).toBe(0);
    expect(p.with('STOPPING=1')).toHaveLength(1);
    console.log(`sd_notify: READY ${Math.round(ready.t - started)} ms after daemon.started; ping gaps ${gaps.map((g) => Math.round(g)).join(', ')} ms`);
  });
});
