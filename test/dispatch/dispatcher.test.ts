import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FirmataSimulator } from '../../drivers/io-board/sim/firmata-simulator.js';
import { JohnnyFiveBoard } from '../../drivers/io-board/johnny-five-board.js';
import { BxBoard } from '../../drivers/led/bx-board.js';
import { BxSimulator } from '../../drivers/led/sim/bx-simulator.js';
import type { RaiseRequest } from '../../node-daemon/alarms/store/alarm-requests.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import type { Alarm } from '../../node-daemon/alarms/types.js';
import { configSchema } from '../../node-daemon/config/schema.js';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { driverAudio } from '../../broadcast/station/driver-audio.js';
import { ProgrammeAudio } from '../../broadcast/station/programme-audio.js';
import { Station, type StationSpeaker as DispatchSpeaker } from '../../broadcast/station/station.js';
import { Dispatcher } from '../../node-daemon/dispatch/dispatcher.js';
import type { OutputEvent } from '../../node-daemon/dispatch/outputs-snapshot.js';
import { dispatchPlanSchema, type DispatchPlan } from '../../node-daemon/dispatch/plan-schema.js';
import { localTime } from '../../node-daemon/dispatch/render.js';
import { createApp } from '../../node-daemon/http/app.js';
import { outputsSnapshotSchema } from '../../node-daemon/http/routes/outputs.js';
import { StatusRegistry } from '../../node-daemon/health/status-registry.js';
import { storageHealthFrom } from '../../node-daemon/health/storage-health.js';
import { openDatabase, type Db } from '../../node-daemon/storage/database.js';
import { SqliteReadingsReader } from '../../node-daemon/storage/readings-reader.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { soxDurationS, soxStat } from '../audio/sox-measure.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

const AMP = 7;
const SIREN = 8;
const STROBE = 9;
const TZ = 'Asia/Shanghai';

/** Short, fast plans: the amplifier is switched only by the speaker's before/after hooks. */
function testPlans(over: { evacuate?: Partial<DispatchPlan['evacuate']> } = {}): DispatchPlan {
  return dispatchPlanSchema.parse({
    prepare: { relays: ['strobe'], message: '{site}准备转移', ledText: '{site} 准备转移', repeat: 1, intervalS: 0 },
    evacuate: { relays: ['siren', 'strobe'], message: '{site}立即转移', ledText: '{site} 立即转移！{time}', repeat: 1, intervalS: 0, ...over.evacuate },
    allClear: { message: '{site}警报解除', ledText: '{site} 警报解除' },
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fenghuo-dispatch-${prefix}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The far ends: a StandardFirmata board and a BX LED board, each on its own socat pty pair. */
interface Hardware {
  firmataPty: PtyPair;
  firmata: FirmataSimulator;
  ledPty: PtyPair;
  led: BxSimulator;
}

async function hardware(): Promise<Hardware> {
  const firmataPty = await createPtyPair();
  cleanups.push(() => firmataPty.close());
  const firmata = await FirmataSimulator.open({ path: firmataPty.b });
  cleanups.push(() => firmata.close());
  const ledPty = await createPtyPair();
  cleanups.push(() => ledPty.close());
  const led = await BxSimulator.open({ path: ledPty.b, baudRate: 9600 });
  cleanups.push(() => led.close());
  return { firmataPty, firmata, ledPty, led };
}

/** The box: a real SQLite alarm store, the real drivers on the ptys, the broadcast station and the dispatcher. */
interface Box {
  db: Db;
  hub: EventHub;
  alarms: EmittingAlarmService;
  io: JohnnyFiveBoard;
  ledBoard: BxBoard;
  dispatcher: Dispatcher;
  events: OutputEvent[];
  stop(): Promise<void>;
}

interface BoxOptions {
  dataDir: string;
  audioDir: string;
  speakers: DispatchSpeaker[];
  plans?: DispatchPlan;
}

async function box(hw: Hardware, o: BoxOptions): Promise<Box> {
  const log = silentLogger();
  const { db } = openDatabase({ dataDir: o.dataDir, log });
  const hub = new EventHub();
  const alarms = new EmittingAlarmService({ store: new AlarmStore(db), hub });
  const io = new JohnnyFiveBoard({
    path: hw.firmataPty.a,
    relays: [
      { pin: AMP, name: 'amplifier' },
      { pin: SIREN, name: 'siren' },
      { pin: STROBE, name: 'strobe' },
    ],
    inputs: [],
    confirmTimeoutMs: 500,
    handshakeTimeoutMs: 2_000,
    reconnect: { initialMs: 100, maxMs: 400 },
    heartbeatMs: 0,
    presenceCheckMs: 100,
  });
  const ledBoard = new BxBoard({ path: hw.ledPty.a, baudRate: 9600, screen: { width: 128, height: 32 }, replyTimeoutMs: 500, presenceCheckMs: 50 });
  const station = new Station({
    speakers: o.speakers,
    audio: driverAudio({ audioDir: o.audioDir }),
    clock: Date.now,
    log,
    amplifier: (relay, on) => dispatcher.amplifier(relay, on),
  });
  const dispatcher: Dispatcher = new Dispatcher({
    plans: o.plans ?? testPlans(),
    timeZone: TZ,
    siteNames: { qingshui: '清水河', baishi: '白石' },
    alarms,
    hub,
    clock: Date.now,
    log,
    ioBoard: io,
    relays: { amplifier: AMP, siren: SIREN, strobe: STROBE },
    station,
    ledBoards: [{ id: 'led-1', board: ledBoard }],
    retryMs: 300,
    ioBoardGraceMs: 3_000,
  });
  const events: OutputEvent[] = [];
  dispatcher.output$.subscribe((e) => events.push(e));
  io.start();
  await station.start();
  await dispatcher.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await dispatcher.stop();
    await station.stop();
    await io.stop();
    await ledBoard.close();
    hub.complete();
    db.close();
  };
  cleanups.push(stop);
  return { db, hub, alarms, io, ledBoard, dispatcher, events, stop };
}

const evacuate = (over: Partial<RaiseRequest> = {}): RaiseRequest => ({
  key: 'flood:qingshui',
  kind: 'flood',
  level: 'evacuate',
  siteId: 'qingshui',
  sensorId: 'river',
  drill: false,
  title: '清水河站 立即转移',
  cause: { rule: 'level-evacuate', sensorId: 'river', value: 3.2 },
  ...over,
});

const outputFaults = (b: Box): Alarm[] => b.alarms.active().filter((a) => a.kind === 'output_fault');
const audioSeconds = (path: string): number => (existsSync(path) ? soxDurationS(path) : 0);

function speaker(dir: string, id = 'spk-1'): DispatchSpeaker & { file: string } {
  const file = join(dir, `${id}.wav`);
  return { id, device: `file:${file}`, rate: 220, amplifierRelay: 'amplifier', file };
}

describe('Dispatcher on real peers (Firmata and BX simulators on socat ptys, SQLite, sox/espeak-ng)', () => {
  it('evacuate → siren and strobe on the wire, amplifier only while the speaker plays, Chinese on the LED, audio in the file; ack → quiet, LED stays; clear → all off, all-clear', async () => {
    const hw = await hardware();
    const dir = tempDir('main');
    const spk = speaker(dir);
    const b = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [spk], plans: testPlans({ evacuate: { repeat: 3, intervalS: 1 } }) });
    await waitFor(() => b.io.connection() === 'connected', 'I/O board connected');
    await waitFor(() => b.dispatcher.outputs().relays.every((r) => r.confirmed), 'initial relay levels confirmed');
    expect(hw.firmata.relaysOn()).toEqual([]);

    const ampWhilePlaying: number[] = [];
    const offRelays = hw.firmata.onRelays((on) => ampWhilePlaying.push(on.includes(AMP) ? 1 : 0));
    cleanups.push(offRelays);

    const raised = b.alarms.raise(evacuate());
    const hhmm = localTime(raised.alarm.raisedAt, TZ);
    await waitFor(() => hw.firmata.output(SIREN) === 1 && hw.firmata.output(STROBE) === 1, 'siren and strobe on the wire');
    await waitFor(() => hw.led.textOf(0) === `清水河 立即转移！${hhmm}`, 'LED text in the simulator');
    await waitFor(() => b.dispatcher.outputs().speakers[0]?.state === 'playing', 'speaker playing', 15_000);
    await waitFor(() => hw.firmata.output(AMP) === 1, 'amplifier on while playing');
    // relays confirmed by read-back, the board acknowledged the text
    await waitFor(() => b.dispatcher.outputs().relays.filter((r) => r.on).every((r) => r.confirmed), 'read-back');
    const snap = b.dispatcher.outputs();
    expect(outputsSnapshotSchema.parse(snap)).toEqual(snap);
    expect(snap.relays.map((r) => [r.name, r.on])).toEqual([
      ['amplifier', true],
      ['siren', true],
      ['strobe', true],
    ]);
    expect(snap.ledBoards[0]).toMatchObject({ id: 'led-1', text: `清水河 立即转移！${hhmm}`, acknowledged: true, lastError: null });
    expect(snap.speakers[0]).toMatchObject({ id: 'spk-1', state: 'playing', alarmKey: 'flood:qingshui', level: 'evacuate' });

    // first play done: the amplifier goes off during the pause between repeats, the siren stays on
    await waitFor(() => audioSeconds(spk.file) > 0, 'first play written to the file sink', 15_000);
    const heard = soxStat(spk.file);
    expect(heard.lengthS).toBeGreaterThan(0.5);
    expect(heard.rms).toBeGreaterThan(0.01);
    await waitFor(() => hw.firmata.output(AMP) === 0, 'amplifier off between repeats');
    expect(hw.firmata.output(SIREN)).toBe(1);
    await waitFor(() => hw.firmata.output(AMP) === 1, 'amplifier on again for the second repeat');

    // acknowledge during the second repeat: the sound stops at once, siren and amplifier off; strobe and LED stay
    const ackAt = Date.now();
    b.alarms.acknowledge(raised.alarm.id, { by: '值班员' });
    await waitFor(() => hw.firmata.output(SIREN) === 0 && hw.firmata.output(AMP) === 0, 'siren and amplifier off after ack');
    await waitFor(() => b.dispatcher.outputs().speakers[0]?.state === 'idle', 'speaker idle after ack');
    expect(Date.now() - ackAt).toBeLessThan(3_000);
    expect(hw.firmata.output(STROBE)).toBe(1);
    expect(hw.led.textOf(0)).toBe(`清水河 立即转移！${hhmm}`);
    const afterAck = audioSeconds(spk.file);
    // two partial-or-whole plays at most, never the third
    expect(afterAck).toBeLessThan(2 * heard.lengthS + 0.2);
    await sleep(1_500);
    expect(audioSeconds(spk.file)).toBe(afterAck);

    // clear: everything off, the all-clear on the LED and on the speaker, once
    b.alarms.clear({ key: 'flood:qingshui' }, { rule: 'level-evacuate', value: 1.1 });
    await waitFor(() => hw.led.textOf(0) === '清水河 警报解除', 'all-clear on the LED');
    await waitFor(() => hw.firmata.relaysOn().length === 0 && b.dispatcher.outputs().relays.every((r) => r.confirmed), 'all relays off, confirmed');
    await waitFor(() => audioSeconds(spk.file) > afterAck + 0.3, 'all-clear spoken', 15_000);
    await waitFor(() => b.dispatcher.outputs().speakers[0]?.state === 'idle', 'speaker idle after the all-clear');
    const afterClear = audioSeconds(spk.file);
    await sleep(1_000); // a few retry ticks: the all-clear is not repeated
    expect(audioSeconds(spk.file)).toBe(afterClear);
    expect(ampWhilePlaying.filter((v, i, all) => v === 1 && all[i - 1] !== 1).length).toBe(3); // two alarm plays + the all-clear
    expect(outputFaults(b)).toEqual([]);
    expect(b.events.some((e) => e.type === 'led' && e.ledBoard.text === '清水河 警报解除')).toBe(true);
  });

  it('a dead LED port raises output_fault:led-1 while the speaker still sounds; the fault clears when the port is back', async () => {
    const hw = await hardware();
    const dir = tempDir('led');
    const spk = speaker(dir);
    const b = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [spk] });
    await waitFor(() => hw.led.history().some((e) => e.kind === 'clear'), 'LED blanked at start');
    await hw.ledPty.kill();

    b.alarms.raise(evacuate());
    await waitFor(() => outputFaults(b).some((a) => a.key === 'output_fault:led-1'), 'LED output fault');
    const fault = outputFaults(b).find((a) => a.key === 'output_fault:led-1')!;
    expect(fault).toMatchObject({ kind: 'output_fault', level: null, drill: false, title: 'LED屏 led-1 无应答' });
    expect(b.alarms.get(fault.id)?.transitions[0]?.cause.detail).toMatch(/port_unavailable|port_lost|timeout/);
    // the other outputs were not held up
    await waitFor(() => hw.firmata.output(SIREN) === 1, 'siren on');
    await waitFor(() => audioSeconds(spk.file) > 0.5, 'speaker sounded', 15_000);
    expect(soxStat(spk.file).rms).toBeGreaterThan(0.01);
    // the fault alarm itself drives nothing public: the LED text is still the flood's, the programme only the flood's
    expect(b.dispatcher.current().programmes.map((p) => p.key)).toEqual(['flood:qingshui']);
    expect(b.dispatcher.outputs().ledBoards[0]).toMatchObject({ acknowledged: false, lastError: expect.stringMatching(/port/) });

    // the board comes back: the retry tick sends the text again and the fault clears
    await hw.ledPty.recreate();
    await hw.led.reopen();
    await waitFor(() => hw.led.textOf(0)?.startsWith('清水河 立即转移！') === true, 'LED text after the port returned');
    await waitFor(() => !outputFaults(b).some((a) => a.key === 'output_fault:led-1'), 'LED fault cleared');
    expect(b.alarms.findByKey('output_fault:led-1')?.state).toBe('cleared');
  });

  it('an unplugged I/O board raises output_fault:io-board, the speaker still sounds; replugged, the relays are re-asserted', async () => {
    const hw = await hardware();
    const dir = tempDir('io');
    const spk = speaker(dir);
    const b = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [spk] });
    await waitFor(() => b.io.connection() === 'connected', 'connected');
    await hw.firmataPty.kill();
    await waitFor(() => outputFaults(b).some((a) => a.key === 'output_fault:io-board'), 'I/O board output fault');
    expect(outputFaults(b)[0]).toMatchObject({ title: 'I/O板 无连接', level: null });

    b.alarms.raise(evacuate());
    await waitFor(() => hw.led.textOf(0)?.startsWith('清水河 立即转移！') === true, 'LED still works');
    await waitFor(() => audioSeconds(spk.file) > 0.5, 'speaker sounded without the I/O board', 15_000);
    expect(b.dispatcher.outputs().relays.find((r) => r.name === 'siren')).toMatchObject({ on: true, confirmed: false });

    // the board comes back after a power loss (all LOW): siren and strobe are switched on again and proven
    await hw.firmataPty.recreate();
    await hw.firmata.reopen({ reset: true });
    await waitFor(() => hw.firmata.output(SIREN) === 1 && hw.firmata.output(STROBE) === 1, 're-asserted on the wire');
    await waitFor(() => !outputFaults(b).some((a) => a.key === 'output_fault:io-board'), 'I/O board fault cleared');
    await waitFor(() => b.dispatcher.outputs().relays.filter((r) => r.on).every((r) => r.confirmed), 'confirmed again');
  });

  it('a stuck relay raises output_fault:siren (read-back mismatch), cleared once it follows again', async () => {
    const hw = await hardware();
    const dir = tempDir('stuck');
    const b = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [] });
    await waitFor(() => b.dispatcher.outputs().relays.every((r) => r.confirmed), 'initial levels confirmed');
    hw.firmata.setStuck(SIREN, true);
    b.alarms.raise(evacuate());
    await waitFor(() => outputFaults(b).some((a) => a.key === 'output_fault:siren'), 'siren fault');
    expect(outputFaults(b).find((a) => a.key === 'output_fault:siren')?.title).toBe('继电器 siren 未确认');
    expect(b.dispatcher.outputs().relays.find((r) => r.name === 'siren')).toMatchObject({ on: true, confirmed: false, lastError: expect.stringMatching(/mismatch/) });
    expect(hw.firmata.output(STROBE)).toBe(1);
    hw.firmata.setStuck(SIREN, false);
    await waitFor(() => hw.firmata.output(SIREN) === 1, 'retried siren on the wire');
    await waitFor(() => !outputFaults(b).some((a) => a.key === 'output_fault:siren'), 'siren fault cleared');
  });

  it('a speaker that cannot play raises output_fault:<id>; the other speaker plays', async () => {
    const hw = await hardware();
    const dir = tempDir('spk');
    const good = speaker(dir, 'spk-1');
    const bad: DispatchSpeaker = { id: 'spk-2', device: `file:${join(dir, 'no-such-dir', 'x.wav')}`, rate: 220 };
    const b = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [good, bad] });
    b.alarms.raise(evacuate());
    await waitFor(() => outputFaults(b).some((a) => a.key === 'output_fault:spk-2'), 'speaker fault', 15_000);
    expect(outputFaults(b).find((a) => a.key === 'output_fault:spk-2')?.title).toBe('喇叭 spk-2 播放失败');
    await waitFor(() => audioSeconds(good.file) > 0.5, 'good speaker played', 15_000);
    expect(b.dispatcher.outputs().speakers.find((s) => s.id === 'spk-2')?.lastError).toBeTruthy();
    expect(outputFaults(b).map((a) => a.key)).toEqual(['output_fault:spk-2']);
  });

  it('after a restart an acknowledged alarm is not re-sounded but its strobe and LED text are re-asserted; an unacknowledged one sounds again', async () => {
    const hw = await hardware();
    const dir = tempDir('restart');
    const spk = speaker(dir);
    const first = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [spk] });
    const raised = first.alarms.raise(evacuate());
    await waitFor(() => audioSeconds(spk.file) > 0.5, 'sounded before the restart', 15_000);
    await waitFor(() => first.dispatcher.outputs().speakers[0]?.state === 'idle', 'done playing');
    first.alarms.acknowledge(raised.alarm.id, { by: '值班员' });
    await waitFor(() => hw.firmata.output(SIREN) === 0, 'siren off after ack');
    const text = hw.led.textOf(0);
    expect(text?.startsWith('清水河 立即转移！')).toBe(true);
    await first.stop();
    const beforeRestart = audioSeconds(spk.file);

    // the box and its I/O board lose power together: the board comes back with everything LOW
    await hw.firmata.reopen({ reset: true });
    expect(hw.firmata.relaysOn()).toEqual([]);
    const ledEventsBefore = hw.led.history().length;

    const second = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [spk] });
    await waitFor(() => hw.firmata.output(STROBE) === 1, 'strobe re-asserted');
    await waitFor(() => hw.led.history().length > ledEventsBefore && hw.led.textOf(0) === text, 'LED text sent again');
    await sleep(1_500);
    expect(hw.firmata.output(SIREN)).toBe(0);
    expect(hw.firmata.output(AMP)).toBe(0);
    expect(audioSeconds(spk.file)).toBe(beforeRestart);
    expect(second.dispatcher.outputs().speakers[0]?.state).toBe('idle');

    // an unacknowledged alarm found at start does sound: restart once more with a manual prepare open
    second.alarms.raise({ key: 'manual:baishi', kind: 'manual', level: 'prepare', siteId: 'baishi', drill: true, title: '白石 准备转移（演练）', cause: {}, by: '值班员' });
    await waitFor(() => hw.led.textOf(0)?.includes('【演练】白石 准备转移') === true, 'drill text on the LED');
    await waitFor(() => audioSeconds(spk.file) > beforeRestart + 0.5, 'drill spoken', 15_000);
    await waitFor(() => second.dispatcher.outputs().speakers[0]?.state === 'idle', 'done');
    await second.stop();
    const beforeThird = audioSeconds(spk.file);
    await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [spk] });
    await waitFor(() => audioSeconds(spk.file) > beforeThird + 0.5, 'the unacknowledged drill sounds again after the restart', 15_000);
  });

  it('serves GET /api/v1/outputs from the dispatcher, documents it, and answers 404 without one', async () => {
    const hw = await hardware();
    const dir = tempDir('api');
    const b = await box(hw, { dataDir: dir, audioDir: join(dir, 'audio'), speakers: [speaker(dir)] });
    await waitFor(() => b.dispatcher.outputs().ledBoards[0]?.acknowledged === true, 'LED blanked and acknowledged');
    const log = silentLogger();
    const writer = new ReadingsWriter({ db: b.db, hub: b.hub, log, batchSize: 10, flushIntervalMs: 50 });
    await writer.start();
    cleanups.push(() => writer.stop());
    const config = configSchema.parse({});
    const health = new StatusRegistry({ config, hub: b.hub, busCounters: new Map(), storageStatus: () => storageHealthFrom(writer.status()), dataDir: dir });
    cleanups.push(() => health.stop());
    const base = { sensors: config.sensors, health, readings: new SqliteReadingsReader(b.db), log, alarms: b.alarms };

    const app = createApp({ ...base, outputs: b.dispatcher });
    const res = await app.request('/api/v1/outputs');
    expect(res.status).toBe(200);
    const body = outputsSnapshotSchema.parse(await res.json());
    expect(body.relays.map((r) => [r.name, r.pin])).toEqual([
      ['amplifier', AMP],
      ['siren', SIREN],
      ['strobe', STROBE],
    ]);
    expect(body.speakers).toEqual([expect.objectContaining({ id: 'spk-1', state: 'idle', alarmKey: null })]);
    expect(body.ledBoards).toEqual([expect.objectContaining({ id: 'led-1', text: null, acknowledged: true })]);
    const doc = (await (await app.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(doc.paths['/api/v1/outputs']).toBeDefined();
    expect(doc.components.schemas['Outputs']).toBeDefined();

    const without = createApp(base);
    expect((await without.request('/api/v1/outputs')).status).toBe(404);
    const bare = (await (await without.request('/api/v1/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(bare.paths['/api/v1/outputs']).toBeUndefined();
  });
});

describe('ProgrammeAudio', () => {
  it('joins the siren and the spoken message into one programme, rendered once', async () => {
    const dir = tempDir('programme');
    const audio = new ProgrammeAudio({ audioDir: dir });
    const [a, b] = await Promise.all([
      audio.render({ sirenPattern: 'allClear', message: '清水河警报解除', rate: 220 }),
      audio.render({ sirenPattern: 'allClear', message: '清水河警报解除', rate: 220 }),
    ]);
    expect(a).toBe(b);
    const speechOnly = await audio.render({ message: '清水河警报解除', rate: 220 });
    const whole = soxStat(a);
    // the all-clear chime is 4.8 s; the programme is chime + gap + speech
    expect(whole.lengthS).toBeGreaterThan(4.8 + soxDurationS(speechOnly));
    expect(whole.rms).toBeGreaterThan(0.01);
    await expect(audio.render({ sirenPattern: 'no-such-siren', message: 'x' })).rejects.toThrow(/unknown siren/);
  });
});
