// The embedded demo's SMS: startDemo (the replayed Llano flood, sped up) with the real daemon in-process; its flood
// warnings go to the SMS modem simulator on a pty pair (socat or the Python bridge), are logged as received, and show
// in the alarm's history. Without any pty bridge the demo starts anyway, SMS simulated-off.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { systemClock } from '../../node-daemon/core/types.js';
import { startDemo, type Demo } from '../../node-daemon/demo.js';
import { startDemoSms } from '../../node-daemon/sim/demo-sms.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLogger } from '../storage/storage-helpers.js';

const data = tempDir('fenghuo-sms-demo-');
afterAll(() => data.cleanup());

describe('the demo\'s flood warnings by SMS', () => {
  let demo: Demo;
  let daemon: Daemon;
  const logs = captureLogger();

  beforeAll(async () => {
    demo = await startDemo(logs.log, data.dir, 1000);
    daemon = buildDaemon({ config: demo.config, dataDir: data.dir, listen: '127.0.0.1:0', log: logs.log, clock: systemClock });
    await daemon.start();
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    await demo?.stop();
  });

  it('sends 准备转移 to the simulated modem, logs it and records it with the alarm', async () => {
    expect(demo.sms).toBeDefined();
    await waitFor(() => logs.events('demo.sms_received').length >= 2, 'two SMS at the simulated phones', (demo.alarmTimesS.prepare + 20) * 1000);
    const received = logs.events('demo.sms_received');
    expect(received.map((l) => l.number).sort()).toEqual(['+8613800138001', '+8613800138002']);
    expect(String(received[0]!.text)).toMatch(/^【防汛预警】梅森站水位\d+\.\d\d米，已达准备转移水位7\.00米/);
    const queued = logs.events('sms.queued').filter((l) => l.kind === 'prepare');
    expect(queued.length).toBeGreaterThanOrEqual(2);
    expect(daemon.alarms.get(Number(queued[0]!.alarmId))?.key).toBe('flood:mason');
    expect(logs.events('sms.sent').length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('starts with SMS simulated-off when no pty can be made', async () => {
    const quiet = captureLogger();
    const prev = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(await startDemoSms({ dir: join(data.dir, 'nopty'), log: quiet.log })).toBeUndefined();
    } finally {
      process.env.PATH = prev;
    }
    expect(quiet.events('demo.sms_off')).toHaveLength(1);
  });
});
