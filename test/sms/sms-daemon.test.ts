// Warning SMS in the real daemon (test/sms/sms-box.ts: buildDaemon in-process, a Modbus TCP gauge, the SMS modem
// simulator on a socat pty). Shows: a Chinese evacuate warning longer than one SMS arrives whole, in linked parts, at
// every recipient of the site's group and at no one else, and is reported delivered in the alarm's history (API);
// a drill is marked 【演练】; a +CMS ERROR is tried again and then recorded failed, three failures in a row raise
// output_fault:sms, and the next SMS sent clears it; a restart sends nothing again; the per-number rate limit and the
// daily cap hold, what is over them recorded as suppressed with the reason; the modem unplugged mid-send raises the
// output fault while the loudspeaker sounds on time.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputEvent } from '../../node-daemon/dispatch/outputs-snapshot.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { alarmSms, api, floodAlarm, LEADERS, modemTransport, startBox, startModemRig, ZHAO, SITE, type Box, type ModemRig } from './sms-box.js';

const data = tempDir('fenghuo-sms-daemon-');
afterAll(() => data.cleanup());

const activeSmsFault = (box: Box): boolean => box.daemon.alarms.active().some((a) => a.key === 'output_fault:sms');

describe('warning SMS through the modem', () => {
  let rig: ModemRig;
  let box: Box;
  const dir = join(data.dir, 'modem');

  beforeAll(async () => {
    mkdirSync(dir);
    rig = await startModemRig();
    rig.sim.setFaults({ autoReport: { status: 0, delayMs: 50 } });
    box = await startBox({ dir, sms: { transport: modemTransport(rig), perNumberPerHour: 50, dailyCap: 500 } });
  }, 30_000);
  afterAll(async () => {
    await box?.daemon.stop();
    await box?.gauge.stop();
    await rig?.close();
  });

  it('sends a long Chinese evacuate warning whole to every recipient of the site\'s group, and it is delivered', async () => {
    box.level = 9;
    const evacuate = (): ReturnType<typeof rig.sim.messages> => rig.sim.messages().filter((m) => m.text.includes('立即转移水位'));
    await waitFor(() => evacuate().length >= 3, 'three evacuate SMS at the modem', 20_000);
    const alarm = floodAlarm(box)!;
    expect(alarm.level).toBe('evacuate');
    const messages = evacuate();
    expect(messages.map((m) => m.number).sort()).toEqual([...LEADERS].sort());
    expect(rig.sim.messages().some((m) => m.number === ZHAO)).toBe(false);
    const text = messages[0]!.text;
    expect(text).toMatch(/^【防汛预警】清水河站水位9\.\d\d米，已超过立即转移水位8\.00米（\d\d:\d\d）。请立即组织沿河低洼处群众向高处转移，/);
    expect(text.endsWith('转移地点：镇中心小学、村委会二楼。')).toBe(true);
    expect(text.length).toBeGreaterThan(70);
    for (const m of messages) {
      expect(m.text).toBe(text);
      expect(m.encoding).toBe('ucs2');
      expect(m.parts.length).toBe(2);
    }
    // The history of the alarm (API): one SMS per recipient of the transition to evacuate, delivered (the simulator's +CDS).
    const evacuated = (d: Awaited<ReturnType<typeof alarmSms>>): NonNullable<typeof d.sms> => (d.sms ?? []).filter((s) => s.event === 'evacuate');
    let detail = await alarmSms(box, alarm.id);
    for (let i = 0; i < 100 && !evacuated(detail).every((s) => s.state === 'delivered'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      detail = await alarmSms(box, alarm.id);
    }
    const toEvacuate = detail.transitions.find((t) => t.level === 'evacuate')!;
    expect(evacuated(detail).map((s) => [s.name, s.state, s.transitionId])).toEqual([
      ['张村长', 'delivered', toEvacuate.id],
      ['李主任', 'delivered', toEvacuate.id],
      ['王书记', 'delivered', toEvacuate.id],
    ]);
    expect(evacuated(detail)[0]?.text).toBe(text);
    const health = await api<HealthSnapshot>(box, '/health');
    expect(health.sms).toMatchObject({ transport: 'modem', ready: true, fault: false, queued: 0, consecutiveFailures: 0, sentToday: detail.sms!.length });
  }, 30_000);

  it('marks a drill 【演练】', async () => {
    const before = rig.sim.messages().length;
    const { alarm } = await api<{ alarm: { id: number } }>(box, '/alarms', { level: 'prepare', siteId: SITE, drill: true });
    await waitFor(() => rig.sim.messages().length >= before + 3, 'three drill SMS', 15_000);
    const drill = rig.sim.messages().slice(before);
    for (const m of drill) expect(m.text).toMatch(/^【演练】【防汛预警】清水河站发布准备转移指令（\d\d:\d\d），请组织沿河群众做好转移准备。$/);
    const detail = await alarmSms(box, alarm.id);
    expect(detail.sms?.every((s) => s.drill && s.event === 'prepare')).toBe(true);
  }, 20_000);

  it('tries a +CMS ERROR again, then records it failed; failures in a row raise output_fault:sms, a sent SMS clears it', async () => {
    rig.sim.setFaults({ cmsOnEveryPdu: 42 }); // congestion: transient
    const { alarm } = await api<{ alarm: { id: number } }>(box, '/alarms', { level: 'evacuate', siteId: SITE, drill: true });
    await waitFor(() => box.logs.events('sms.failed').length >= 3, 'three SMS failed for good', 20_000);
    const detail = await alarmSms(box, alarm.id);
    const escalation = detail.transitions.find((t) => t.type === 'escalated')!;
    const failed = detail.sms!.filter((s) => s.transitionId === escalation.id);
    expect(failed).toHaveLength(3);
    for (const s of failed) expect(s).toMatchObject({ state: 'failed', attempts: 3, errorCode: 'cms_error', error: expect.stringContaining('42') });
    expect(box.logs.events('sms.retry').length).toBeGreaterThanOrEqual(6);
    expect(activeSmsFault(box)).toBe(true);
    expect((await api<HealthSnapshot>(box, '/health')).sms).toMatchObject({ fault: true, ready: false });
    // Clearing the drill sends its all-clear: the modem works again, the fault clears.
    rig.sim.setFaults({});
    await api(box, `/alarms/${alarm.id}/clear`, {});
    await waitFor(() => !activeSmsFault(box), 'output_fault:sms cleared', 15_000);
    // The fault clears at the first SMS sent; the other two all-clears may still be on their way to the modem.
    const allClearSent = async (): Promise<number> =>
      (await alarmSms(box, alarm.id)).sms!.filter((s) => s.event === 'all_clear' && (s.state === 'sent' || s.state === 'delivered')).length;
    const end = Date.now() + 15_000;
    while ((await allClearSent()) < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(await allClearSent()).toBe(3);
  }, 40_000);

  it('sends nothing again after a restart', async () => {
    const sent = rig.sim.messages().length;
    const rows = (await alarmSms(box, floodAlarm(box)!.id)).sms!.length;
    await box.daemon.stop();
    box = await startBox({ dir, sms: { transport: modemTransport(rig), perNumberPerHour: 50, dailyCap: 500 }, gauge: box.gauge, level: 9 });
    await waitFor(() => box.logs.events('sms.started').length > 0, 'sms started');
    expect(box.logs.events('sms.started')[0]).toMatchObject({ queued: 0 });
    await new Promise((r) => setTimeout(r, 2_500)); // polls at 9 m: the flood alarm stays evacuate
    expect(floodAlarm(box)?.level).toBe('evacuate');
    expect(rig.sim.messages().length).toBe(sent);
    expect(box.logs.events('sms.queued')).toHaveLength(0);
    expect((await alarmSms(box, floodAlarm(box)!.id)).sms!.length).toBe(rows);
  }, 30_000);
});

describe('rate limit and daily cap', () => {
  let rig: ModemRig;
  let box: Box;

  beforeAll(async () => {
    const dir = join(data.dir, 'limits');
    mkdirSync(dir);
    rig = await startModemRig();
    box = await startBox({ dir, sms: { transport: modemTransport(rig), perNumberPerHour: 2, dailyCap: 8 } });
  }, 30_000);
  afterAll(async () => {
    await box?.daemon.stop();
    await box?.gauge.stop();
    await rig?.close();
  });

  it('records what is over the per-number limit or the daily cap as suppressed, with the reason', async () => {
    // qingshui: 3 leaders × (raise, escalate) = 6 sent; the clear is over 2 per number per hour.
    const { alarm } = await api<{ alarm: { id: number } }>(box, '/alarms', { level: 'prepare', siteId: SITE, drill: false });
    await api(box, '/alarms', { level: 'evacuate', siteId: SITE, drill: false });
    await api(box, `/alarms/${alarm.id}/clear`, {});
    // baishi: zhao's raise is the 7th SMS of the day, his escalation the 8th; a drill's raise would be the 9th: over the cap.
    const creek = await api<{ alarm: { id: number } }>(box, '/alarms', { level: 'prepare', siteId: 'baishi', drill: false });
    await api(box, '/alarms', { level: 'evacuate', siteId: 'baishi', drill: false });
    const drill = await api<{ alarm: { id: number } }>(box, '/alarms', { level: 'prepare', siteId: 'baishi', drill: true });
    await waitFor(() => box.logs.events('sms.queued').length + box.logs.events('sms.suppressed').length >= 12, 'every SMS planned', 10_000);
    await waitFor(() => rig.sim.messages().length >= 8, 'eight SMS sent', 20_000);
    const town = (await alarmSms(box, alarm.id)).sms!;
    expect(town.filter((s) => s.state !== 'suppressed')).toHaveLength(6);
    const cleared = town.filter((s) => s.event === 'all_clear');
    expect(cleared).toHaveLength(3);
    for (const s of cleared) expect(s).toMatchObject({ state: 'suppressed', reason: expect.stringContaining('rate limit') });
    const zhao = (await alarmSms(box, creek.alarm.id)).sms!;
    expect(zhao).toHaveLength(2);
    expect(zhao.every((s) => s.state === 'sent' || s.state === 'delivered')).toBe(true);
    const capped = (await alarmSms(box, drill.alarm.id)).sms!;
    expect(capped).toEqual([expect.objectContaining({ phone: ZHAO, state: 'suppressed', reason: expect.stringContaining('daily cap') })]);
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.sim.messages()).toHaveLength(8);
    expect((await api<HealthSnapshot>(box, '/health')).sms).toMatchObject({ sentToday: 8, dailyCap: 8 });
  }, 40_000);
});

describe('the modem unplugged mid-send', () => {
  let rig: ModemRig;
  let box: Box;
  const speakerEvents: { at: number; ev: OutputEvent }[] = [];

  beforeAll(async () => {
    const dir = join(data.dir, 'unplug');
    mkdirSync(dir);
    rig = await startModemRig();
    box = await startBox({ dir, sms: { transport: modemTransport(rig) }, speakerFile: join(dir, 'speaker.wav') });
    box.daemon.hub.output$.subscribe((ev) => {
      if (ev.type === 'speaker') speakerEvents.push({ at: Date.now(), ev });
    });
  }, 30_000);
  afterAll(async () => {
    await box?.daemon.stop();
    await box?.gauge.stop();
    await rig?.close();
  });

  it('raises output_fault:sms while the loudspeaker sounds without delay', async () => {
    // Slow answers keep the first SMS in flight; the modem goes away as its PDU is sent.
    rig.sim.setFaults({ answerDelayMs: 300 });
    let unplugged = 0;
    rig.sim.onEvent((e) => {
      if (e.kind === 'command' && e.command.startsWith('AT+CMGS') && unplugged === 0) {
        unplugged = Date.now();
        void rig.pair.kill();
      }
    });
    box.level = 9;
    await waitFor(() => floodAlarm(box) !== undefined, 'flood alarm', 10_000);
    const raisedAt = floodAlarm(box)!.raisedAt;
    await waitFor(() => speakerEvents.some((s) => s.ev.type === 'speaker' && s.ev.speaker.state === 'playing'), 'speaker playing', 10_000);
    const playingAt = speakerEvents.find((s) => s.ev.type === 'speaker' && s.ev.speaker.state === 'playing')!.at;
    await waitFor(() => activeSmsFault(box), 'output_fault:sms', 30_000);
    const fault = box.daemon.alarms.active().find((a) => a.key === 'output_fault:sms')!;
    expect(fault.title).toBe('短信猫 无法发送');
    expect(unplugged).toBeGreaterThan(0);
    // The speaker is not held up by the SMS: it plays within the time dispatch needs (render + start), and long
    // before the SMS module has given up on the modem.
    expect(playingAt - raisedAt).toBeLessThan(2_000);
    expect(playingAt).toBeLessThan(fault.raisedAt);
    const first = box.logs.events('sms.retry')[0] ?? box.logs.events('sms.failed')[0];
    expect(first).toBeDefined();
    expect((await api<HealthSnapshot>(box, '/health')).sms).toMatchObject({ fault: true, ready: false });
  }, 45_000);
});
