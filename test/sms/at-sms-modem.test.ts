import { afterEach, describe, expect, it } from 'vitest';
import { AtSmsModem, type AtSmsModemOptions } from '../../drivers/sms/at-sms-modem.js';
import type { DeliveryOutcome } from '../../drivers/sms/delivery-tracker.js';
import { SmsModemSim, type SmsModemSimOptions } from '../../drivers/sms/sim/sms-modem-sim.js';
import { buildStatusReportPdu } from '../../drivers/sms/sim/status-report-pdu.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(opts: Partial<AtSmsModemOptions> = {}, simOpts: Partial<SmsModemSimOptions> = {}): Promise<{ pair: PtyPair; sim: SmsModemSim; modem: AtSmsModem }> {
  const pair = await createPtyPair();
  cleanups.push(() => pair.close());
  const sim = await SmsModemSim.open({ path: pair.b, ...simOpts });
  cleanups.push(() => sim.close());
  const modem = new AtSmsModem({
    path: pair.a,
    commandTimeoutMs: 1_000,
    promptTimeoutMs: 1_000,
    submitTimeoutMs: 1_500,
    reopenBackoffMs: { initial: 100, max: 400 },
    presenceCheckMs: 50,
    ...opts,
  });
  cleanups.push(() => modem.close());
  return { pair, sim, modem };
}

const WARNING =
  '【防汛预警】青石镇水文站水位已达警戒线，预计今晚十点前后超保证水位。请沿河低洼处群众立即向高处转移，' +
  '村干部逐户通知老人儿童，切勿涉水过河。转移地点：镇中心小学、村委会二楼。咨询电话：0571-12345678。' +
  '山洪易发区请远离沟谷、桥涵和河滩，夜间注意收听村广播，听到警报声立即撤离，不要返回取物。';

describe('AtSmsModem ↔ simulated modem over a socat pty pair', () => {
  it('sends Chinese longer than one SMS as linked UCS-2 parts that arrive whole and in order', async () => {
    const { sim, modem } = await rig();
    expect(WARNING.length).toBeGreaterThan(134);
    const r = await modem.send('+8613800138000', WARNING);
    expect(r).toMatchObject({ ok: true, encoding: 'ucs2' });
    const [message] = sim.messages();
    expect(message?.text).toBe(WARNING);
    expect(message?.number).toBe('+8613800138000');
    expect(message?.encoding).toBe('ucs2');
    const parts = message?.parts ?? [];
    expect(parts.map((p) => p.concat?.sequence)).toEqual([1, 2, 3]);
    expect(parts.map((p) => [...p.text].length)).toEqual([67, 67, WARNING.length - 134]);
    expect(new Set(parts.map((p) => p.concat?.reference)).size).toBe(1);
    expect(r.ok && r.references).toEqual(parts.map((p) => p.messageReference));
    // The init dialogue the modem saw, in order (echo off, numeric errors, PDU mode, reports routed to us).
    expect(sim.commands().slice(0, 7)).toEqual(['AT', 'ATE0', 'AT+CMEE=1', 'AT+CPIN?', 'AT+CMGF=0', 'AT+CNMI=2,1,0,1,0', 'AT+CSQ']);
  });

  it('sends plain ASCII as one GSM 7-bit SMS, extension characters included', async () => {
    const { sim, modem } = await rig();
    const text = 'Flood warning: river at 12.4 m [level 3] - move to high ground {now}';
    const r = await modem.send('13800138000', text);
    expect(r).toMatchObject({ ok: true, encoding: 'gsm7' });
    expect(sim.messages()).toEqual([expect.objectContaining({ text, number: '13800138000', encoding: 'gsm7' })]);
    expect(sim.partsReceived()).toHaveLength(1);
  });

  it('splits a long ASCII text into 153-septet GSM-7 parts', async () => {
    const { sim, modem } = await rig();
    const text = 'Water level alert. '.repeat(12).trim();
    expect((await modem.send('+8613800138000', text)).ok).toBe(true);
    expect(sim.messages()[0]?.text).toBe(text);
    expect(sim.partsReceived().map((p) => p.text.length)).toEqual([153, text.length - 153]);
  });

  it('enters the PIN when the SIM asks for it', async () => {
    const { sim, modem } = await rig({ pin: '4321' }, { pin: '4321' });
    expect((await modem.send('+8613800138000', '水位告警')).ok).toBe(true);
    expect(sim.commands()).toContain('AT+CPIN="4321"');
    expect((await modem.status()).sim).toBe('ready');
  });

  it('reports a wrong PIN as pin_wrong and does not try it again; a missing PIN as pin_required', async () => {
    const { sim, modem } = await rig({ pin: '0000' }, { pin: '4321' });
    const r = await modem.send('+8613800138000', '水位告警');
    expect(r).toMatchObject({ ok: false, partsSent: 0, error: { code: 'pin_wrong', kind: 'sim' } });
    const again = await modem.send('+8613800138000', '水位告警');
    expect(again).toMatchObject({ ok: false, error: { code: 'pin_wrong' } });
    expect(sim.commands().filter((c) => c.startsWith('AT+CPIN='))).toHaveLength(1);

    const other = await rig({}, { pin: '4321' });
    expect(await other.modem.send('+8613800138000', 'x')).toMatchObject({ ok: false, error: { code: 'pin_required' } });
  });

  it('matches a delivery report to the message (all parts) and reports failure when a part fails', async () => {
    const { sim, modem } = await rig();
    const outcomes: DeliveryOutcome[] = [];
    modem.onDelivery((o) => outcomes.push(o));
    const r = await modem.send('+8613800138000', WARNING, { requestReport: true });
    if (!r.ok) throw r.error;
    expect(sim.partsReceived().every((p) => p.statusReportRequested)).toBe(true);
    const [a, b, c] = r.references as [number, number, number];
    sim.sendDeliveryReport(b, 0x00);
    sim.sendDeliveryReport(a, 0x00);
    await new Promise((res) => setTimeout(res, 100));
    expect(outcomes).toEqual([]);
    sim.sendDeliveryReport(c, 0x00);
    await waitFor(() => outcomes.length === 1, 'delivery outcome');
    expect(outcomes[0]).toEqual({ messageId: r.messageId, state: 'delivered', statuses: [0, 0, 0] });

    sim.setFaults({ autoReport: { status: 0x41, delayMs: 20 } });
    const failed = await modem.send('+8613800138000', '第二条', { requestReport: true });
    await waitFor(() => outcomes.length === 2, 'second outcome');
    expect(outcomes[1]).toEqual({ messageId: failed.ok ? failed.messageId : '', state: 'failed', statuses: [0x41] });
  });

  it('is not confused by URCs interleaved with answers and the prompt, and acts on them', async () => {
    const { sim, modem } = await rig();
    const outcomes: DeliveryOutcome[] = [];
    modem.onDelivery((o) => outcomes.push(o));
    const first = await modem.send('+8613800138000', '第一条', { requestReport: true });
    if (!first.ok) throw first.error;
    // Inside every answer (and before every prompt): a call, a stored SMS, a status report for the first message,
    // and registration URCs that look like answers to AT+CREG?/AT+CEREG? but are not.
    const report = buildStatusReportPdu({ reference: first.references[0] ?? -1, recipient: '+8613800138000', status: 0, at: new Date() });
    sim.setFaults({ interleavedUrcs: ['RING', '+CMTI: "SM",3', `+CDS: ${report.tpduLength}\r\n${report.hex}`, '+CREG: 0', '+CEREG: 2,"1A2B","00C3F1",7'] });
    const r = await modem.send('+8613800138000', WARNING);
    expect(r.ok).toBe(true);
    expect(sim.messages().map((m) => m.text)).toEqual(['第一条', WARNING]);
    expect(outcomes).toEqual([{ messageId: first.messageId, state: 'delivered', statuses: [0] }]);
    // The last URCs came with the +CMGS answer, after the driver polled registration: they are the newest word.
    expect(modem.snapshot().registration).toBe('not_registered');
    sim.setFaults({});
    const status = await modem.status();
    expect(status).toMatchObject({ ready: true, sim: 'ready', registration: 'home', signal: { rssi: 20, dbm: -73 } });
    sim.sendUrc('RING');
    expect((await modem.send('+8613800138000', 'ok')).ok).toBe(true);
  });

  it('reports +CMS ERROR with its code and meaning, after the parts that went', async () => {
    const { sim, modem } = await rig();
    sim.setFaults({ cmsOnPdu: { nth: 2, cms: 38 } });
    const r = await modem.send('+8613800138000', WARNING);
    expect(r).toMatchObject({ ok: false, partsSent: 1, partsTotal: 3, error: { code: 'cms_error', kind: 'network', detail: { cms: { code: 38, meaning: 'network out of order' } } } });
    sim.setFaults({ cmsOnEveryPdu: 330 });
    expect(await modem.send('+8613800138000', 'x')).toMatchObject({ ok: false, error: { code: 'cms_error', kind: 'smsc', detail: { cms: { code: 330 } } } });
    sim.setFaults({ cmsOnEveryPdu: 500 });
    expect(await modem.send('+8613800138000', 'x')).toMatchObject({ ok: false, error: { detail: { cms: { code: 500, meaning: 'unknown error' } } } });
    sim.setFaults({});
    expect((await modem.send('+8613800138000', 'x')).ok).toBe(true);
  });

  it('reports no network and no SIM as such, without sending', async () => {
    const { sim, modem } = await rig({}, { registration: 2 });
    expect(await modem.send('+8613800138000', '水位')).toMatchObject({ ok: false, error: { code: 'no_network', kind: 'network' } });
    expect((await modem.status()).registration).toBe('searching');
    sim.setRegistration(5);
    expect((await modem.send('+8613800138000', '水位')).ok).toBe(true);

    const noSim = await rig({}, { simPresent: false });
    expect(await noSim.modem.send('+8613800138000', '水位')).toMatchObject({ ok: false, error: { code: 'no_sim', kind: 'sim' } });
    expect((await noSim.modem.status()).sim).toBe('absent');
    expect(noSim.sim.partsReceived()).toEqual([]);
  });

  it('a modem that restarts mid-send (boot banner) gives modem_reset; the next send works after re-init', async () => {
    const { sim, modem } = await rig();
    sim.setFaults({ resetOnPdu: { nth: 2, mode: 'banner' } });
    const r = await modem.send('+8613800138000', WARNING);
    expect(r).toMatchObject({ ok: false, partsSent: 1, error: { code: 'modem_reset' } });
    const again = await modem.send('+8613800138000', WARNING);
    expect(again.ok).toBe(true);
    expect(sim.messages().map((m) => m.text)).toEqual([WARNING]);
    // After the restart the driver ran the init dialogue again (the simulator had forgotten PDU mode).
    expect(sim.commands().filter((c) => c === 'AT+CMGF=0').length).toBeGreaterThanOrEqual(2);
  });

  it('a modem that drops the line mid-send gives port_lost; the driver reopens with backoff', async () => {
    const { pair, sim, modem } = await rig();
    sim.setFaults({ resetOnPdu: { nth: 1, mode: 'drop' } });
    const r = await modem.send('+8613800138000', '第一条');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error.code).toMatch(/port_lost|timeout/);
    // The USB modem comes back (re-enumerates): the device node reappears and the modem boots.
    await pair.recreate();
    await sim.reopen();
    await waitFor(() => modem.snapshot().ready, 'driver reopened the port by itself', 5_000);
    expect((await modem.send('+8613800138000', '第二条')).ok).toBe(true);
    expect(sim.messages().map((m) => m.text)).toEqual(['第二条']);
  });

  it('a modem that stops answering gives a timeout', async () => {
    const { sim, modem } = await rig();
    expect((await modem.send('+8613800138000', '一')).ok).toBe(true);
    sim.setFaults({ silentAfterPdu: true });
    expect(await modem.send('+8613800138000', '二')).toMatchObject({ ok: false, error: { code: 'timeout' } });
    sim.setFaults({});
    expect((await modem.send('+8613800138000', '三')).ok).toBe(true);
    expect(sim.messages().map((m) => m.text)).toEqual(['一', '三']);
  });

  it('refuses what cannot be sent without touching the modem', async () => {
    const { sim, modem } = await rig();
    expect(await modem.send('call me', 'x')).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await modem.send('+8613800138000', '')).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(sim.commands()).toEqual([]);
  });
});
