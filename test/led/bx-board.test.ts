import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BxBoard, type BxBoardOptions } from '../../drivers/led/bx-board.js';
import { BX_CMD, buildDynamicTextData } from '../../drivers/led/bx-commands.js';
import { BxFrameParser, encodeFrame, type BxPacket } from '../../drivers/led/bx-frame.js';
import { BxSimulator, type BxSimulatorOptions } from '../../drivers/led/sim/bx-simulator.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(
  opts: Partial<BxBoardOptions> = {},
  simOpts: Partial<BxSimulatorOptions> = {},
): Promise<{ pair: PtyPair; sim: BxSimulator; board: BxBoard }> {
  const pair = await createPtyPair();
  cleanups.push(() => pair.close());
  const sim = await BxSimulator.open({ path: pair.b, baudRate: 9600, ...simOpts });
  cleanups.push(() => sim.close());
  const board = new BxBoard({ path: pair.a, baudRate: 9600, screen: { width: 128, height: 32 }, replyTimeoutMs: 2_000, presenceCheckMs: 50, ...opts });
  cleanups.push(() => board.close());
  return { pair, sim, board };
}

describe('BxBoard ↔ simulator over a socat pty pair', () => {
  it('shows Chinese text: driver → GB2312 bytes → simulator decodes the same text', async () => {
    const { sim, board } = await rig();
    const r = await board.showText('洪水预警 立即转移', { effect: 'scroll-left', area: 1 });
    expect(r).toEqual({ acknowledged: true, value: undefined });
    expect(sim.textOf(1)).toBe('洪水预警 立即转移');
    expect(sim.display().get(1)).toMatchObject({ displayMode: 'scrollLeft', region: { x: 0, y: 0, width: 128, height: 32 } });
    expect(sim.history()).toEqual([expect.objectContaining({ kind: 'text' })]);
  });

  it('carries text whose bytes equal the frame markers (埃=B0 A5, 挨=B0 A6, Z=5A, [=5B)', async () => {
    const { sim, board } = await rig();
    expect((await board.showText('埃挨Z[')).acknowledged).toBe(true);
    expect(sim.textOf(0)).toBe('埃挨Z[');
    expect(sim.stats().framesRejected).toBe(0);
  });

  it('pings, reads status, clears', async () => {
    const { sim, board } = await rig();
    expect((await board.ping()).acknowledged).toBe(true);
    expect(await board.status()).toEqual({ acknowledged: true, value: { screenOn: true, brightness: 15 } });
    await board.showText('水位上涨');
    expect((await board.clear()).acknowledged).toBe(true);
    expect(sim.display().size).toBe(0);
    expect(sim.history().map((e) => e.kind)).toEqual(['text', 'clear']);
  });

  it('keeps one command in flight: concurrent calls all land, in order', async () => {
    const { sim, board } = await rig();
    const texts = ['一', '二', '三', '四', '五'];
    const results = await Promise.all(texts.map((t) => board.showText(t)));
    expect(results.every((r) => r.acknowledged)).toBe(true);
    expect(sim.history().map((e) => (e.kind === 'text' ? e.shown.text : e.kind))).toEqual(texts);
  });

  it('reports text the board cannot show as invalid input, sending nothing', async () => {
    const { sim, board } = await rig();
    const r = await board.showText('堃村');
    expect(r).toMatchObject({ acknowledged: false, sent: false, error: { code: 'invalid_input' } });
    expect(r.acknowledged ? '' : r.error?.message).toContain('堃');
    expect(sim.stats().framesAccepted).toBe(0);
  });

  it('finds the answer behind line noise the board sends first', async () => {
    const { sim, board } = await rig();
    sim.setBehaviour({ kind: 'noisy', noise: Buffer.from([0x00, 0x5a, 0xff, 0xa5, 0x01, 0x02, 0x5a, 0x13]) });
    expect((await board.ping()).acknowledged).toBe(true);
    expect((await board.showText('立即转移')).acknowledged).toBe(true);
    expect(sim.textOf(0)).toBe('立即转移');
  });

  it('reports a silent board as a timeout, then works again when it answers', async () => {
    const { sim, board } = await rig({ replyTimeoutMs: 300 });
    sim.setBehaviour({ kind: 'silent' });
    const r = await board.showText('洪水预警');
    expect(r).toMatchObject({ acknowledged: false, sent: true, error: { code: 'timeout' } });
    expect(sim.textOf(0)).toBeUndefined();
    sim.setBehaviour({ kind: 'normal' });
    expect((await board.showText('洪水预警')).acknowledged).toBe(true);
    expect(sim.textOf(0)).toBe('洪水预警');
  });

  it('reports a refusal with the board’s error code', async () => {
    const { sim, board } = await rig();
    sim.setBehaviour({ kind: 'refuse', cmdError: 0x07 });
    const r = await board.clear();
    expect(r).toMatchObject({ acknowledged: false, sent: true, error: { code: 'refused' } });
    expect(r.acknowledged ? '' : r.error?.message).toContain('0x07');
  });

  it('sends without waiting when no reply is asked for', async () => {
    const { sim, board } = await rig({ requireReply: false });
    expect(await board.showText('洪水预警')).toEqual({ acknowledged: false, sent: true });
    await vi.waitFor(() => expect(sim.textOf(0)).toBe('洪水预警'));
    expect(sim.stats().replies).toBe(0);
  });

  it('survives the port vanishing (socat killed): clear errors, no crash, then recovers when it returns', async () => {
    const { pair, sim, board } = await rig({ replyTimeoutMs: 10_000 });
    expect((await board.ping()).acknowledged).toBe(true);

    // Lost while waiting for an answer: the wait ends on the loss, not on the (long) timeout.
    sim.setBehaviour({ kind: 'silent' });
    const before = sim.stats().bytesReceived;
    const inFlight = board.showText('洪水预警');
    // The ping's bytes are already counted: wait for this command's own bytes to reach the board.
    await vi.waitFor(() => expect(sim.stats().bytesReceived).toBeGreaterThan(before));
    await pair.kill();
    expect(await inFlight).toMatchObject({ acknowledged: false, error: { code: 'port_lost' } });

    // Gone: every call says so promptly.
    for (const call of [() => board.ping(), () => board.showText('立即转移'), () => board.status()]) {
      const r = await call();
      expect(r).toMatchObject({ acknowledged: false, sent: false, error: { code: 'port_unavailable' } });
      expect(r.acknowledged ? '' : r.error?.message).toContain(pair.a);
    }

    // Back (a new pty at the same path): the driver reopens by itself.
    await pair.recreate();
    await sim.reopen();
    sim.setBehaviour({ kind: 'normal' });
    expect((await board.showText('立即转移')).acknowledged).toBe(true);
    expect(sim.textOf(0)).toBe('立即转移');
  });
});

describe('text alignment on the wire (TextAlignment byte, protocol §9.1)', () => {
  it('a board configured to centre tells the simulator to centre; left stays the default; a call can override', async () => {
    const { sim, board } = await rig({ align: 'center' });
    expect((await board.showText('清水河 立即转移')).acknowledged).toBe(true);
    expect(sim.display().get(0)).toMatchObject({ text: '清水河 立即转移', align: 'center', verticalAlign: 'top', soundMode: 'off', extendParaLen: 0 });
    expect((await board.showText('水位上涨', { area: 1, align: 'right' })).acknowledged).toBe(true);
    expect(sim.display().get(1)).toMatchObject({ align: 'right' });

    const plain = await rig();
    expect((await plain.board.showText('水位上涨')).acknowledged).toBe(true);
    expect(plain.sim.display().get(0)).toMatchObject({ align: 'left', verticalAlign: 'top' });
  });
});

describe('area geometry as each kind of board reads it', () => {
  const screen = { width: 128, height: 32 };

  it('BX-6K driver (pixels, bit 15) on a board reading §9.1: the area is where it was asked to be', async () => {
    const { sim, board } = await rig({ unit: 'pixel', screen }, { geometry: 'published', screen });
    const r = await board.showText('立即转移', { region: { x: 20, y: 16, width: 100, height: 16 } });
    expect(r.acknowledged).toBe(true);
    expect(sim.display().get(0)).toMatchObject({ unit: 'pixel', region: { x: 20, y: 16, width: 100, height: 16 }, rawGeometry: { x: 0x8014, width: 0x8064 } });
  });

  it('BX-5K driver (8-pixel units) on a board reading §9.1: same place', async () => {
    const { sim, board } = await rig({ unit: 'byte', screen }, { geometry: 'published', screen });
    expect((await board.showText('立即转移', { region: { x: 64, y: 0, width: 64, height: 32 } })).acknowledged).toBe(true);
    expect(sim.display().get(0)).toMatchObject({ unit: 'byte', region: { x: 64, y: 0, width: 64, height: 32 }, rawGeometry: { x: 8, width: 8 } });
  });

  it('a board that read x/width as plain pixels would refuse our 6K area (it lands 32768 px off the screen)', async () => {
    const { sim, board } = await rig({ unit: 'pixel', screen }, { geometry: 'plain-pixels', screen });
    const r = await board.showText('立即转移');
    expect(r).toMatchObject({ acknowledged: false, sent: true, error: { code: 'refused' } });
    expect(sim.textOf(0)).toBeUndefined();
    expect(sim.history()).toEqual([expect.objectContaining({ kind: 'refused', reason: expect.stringMatching(/32768,0 size 32896×32 px does not fit the 128×32 screen/) })]);
  });

  it('a plain-pixel frame (Onbon Java sample for 6K) is right for a plain-pixel board and 8× too wide for a §9.1 board', async () => {
    const plain = (pair: PtyPair): Promise<void> => sendRaw(pair.a, buildDynamicTextData({
      areaId: 0, x: 0, y: 0, width: 128 * 8, height: 32, unit: 'byte', displayMode: 'static', runMode: 'loop', timeoutSeconds: 60,
      lineSpacing: 0, singleLine: true, autoWrap: false, exitMode: 0, speed: 1, stayTime: 10, text: '洪水预警', encoding: 'gb2312',
    }));
    const good = await rig({}, { geometry: 'plain-pixels', screen });
    await plain(good.pair);
    await vi.waitFor(() => expect(good.sim.display().get(0)).toMatchObject({ text: '洪水预警', region: { x: 0, width: 128 }, rawGeometry: { width: 128 } }));

    const strict = await rig({}, { geometry: 'published', screen });
    await plain(strict.pair);
    await vi.waitFor(() => expect(strict.sim.history()).toEqual([expect.objectContaining({ kind: 'refused', reason: expect.stringMatching(/size 1024×32 px does not fit/) })]));
    expect(strict.sim.textOf(0)).toBeUndefined();

    // Without a screen size to check against, the §9.1 board takes the area — 8× wider than meant.
    const unchecked = await rig({}, { geometry: 'published' });
    await plain(unchecked.pair);
    await vi.waitFor(() => expect(unchecked.sim.display().get(0)).toMatchObject({ unit: 'byte', region: { x: 0, width: 1024 } }));
  });
});

/** Writes one A3 06 frame (no reply asked) to the driver's end of the line, as another program would. */
async function sendRaw(path: string, data: Uint8Array): Promise<void> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const frame = encodeFrame({ dst: 0x0001, src: 0x8000, devType: 0xfe, protoVer: 0x02, ...BX_CMD.dynamicText, flag: 0x02, data });
  await new Promise<void>((res, rej) => port.write(frame, (e) => (e ? rej(e) : port.drain((d) => (d ? rej(d) : res())))));
  await new Promise<void>((res) => port.close(() => res()));
}

describe('simulator, driven by raw bytes', () => {
  it('resynchronises on garbage between frames, rejects a bad CRC without answering, answers the rest', async () => {
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const sim = await BxSimulator.open({ path: pair.b });
    cleanups.push(() => sim.close());
    const port = new SerialPort({ path: pair.a, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    cleanups.push(() => new Promise<void>((res) => port.close(() => res())));
    const replies: BxPacket[] = [];
    const parser = new BxFrameParser();
    port.on('data', (c: Buffer) => {
      for (const ev of parser.push(c)) if (ev.kind === 'packet') replies.push(ev.packet);
    });

    const req = (code: { cmdGroup: number; cmd: number }, data: Uint8Array = new Uint8Array()): Buffer =>
      encodeFrame({ dst: 0x0001, src: 0x8000, devType: 0xfe, protoVer: 0x02, ...code, flag: 0x01, data });
    const bad = req(BX_CMD.clear);
    bad.writeUInt8(bad.readUInt8(bad.length - 2) ^ 0x01, bad.length - 2);
    const text = buildDynamicTextData({
      areaId: 2, x: 0, y: 16, width: 64, height: 16, unit: 'pixel', displayMode: 'static', runMode: 'loop', timeoutSeconds: 60,
      lineSpacing: 0, singleLine: true, autoWrap: false, exitMode: 0, speed: 1, stayTime: 10, text: '洪水预警', encoding: 'gb2312',
    });
    const stream = Buffer.concat([
      Buffer.from('noise 5A \x5a\x00\xff', 'latin1'),
      req(BX_CMD.ping),
      Buffer.from([0x13, 0x37, 0x5a]),
      bad,
      Buffer.from([0x00]),
      req(BX_CMD.dynamicText, text),
      Buffer.from('tail', 'latin1'),
    ]);
    // Dribble it out in small pieces, as a slow line would.
    for (let i = 0; i < stream.length; i += 7) port.write(stream.subarray(i, i + 7));

    await vi.waitFor(() => expect(replies).toHaveLength(2));
    expect(replies.map((p) => [p.cmdGroup, p.cmd, p.flag, p.dst, p.src])).toEqual([
      [0xa0, 0x00, 0, 0x8000, 0x0001],
      [0xa0, 0x00, 0, 0x8000, 0x0001],
    ]);
    expect(sim.textOf(2)).toBe('洪水预警');
    expect(sim.display().get(2)).toMatchObject({ region: { x: 0, y: 16, width: 64, height: 16 } });
    await vi.waitFor(() => expect(sim.stats().garbageBytes).toBeGreaterThan(0));
    expect(sim.stats()).toMatchObject({ framesAccepted: 2, framesRejected: 1, replies: 2 });
  });
});

describe('BxBoard shutdown', () => {
  it('ends a command waiting for a silent board when closed', async () => {
    const pair = await createPtyPair();
    cleanups.push(() => pair.close());
    const sim = await BxSimulator.open({ path: pair.b });
    cleanups.push(() => sim.close());
    sim.setBehaviour({ kind: 'silent' });
    const board = new BxBoard({ path: pair.a, baudRate: 9600, screen: { width: 64, height: 16 }, replyTimeoutMs: 30_000 });
    const pending = board.ping();
    await vi.waitFor(() => expect(sim.stats().bytesReceived).toBeGreaterThan(0));
    await board.close();
    expect(await pending).toMatchObject({ acknowledged: false, error: { code: 'closed' } });
    expect(await board.ping()).toMatchObject({ acknowledged: false, sent: false, error: { code: 'closed' } });
  });
});
