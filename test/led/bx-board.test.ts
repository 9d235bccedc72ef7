import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BxBoard, type BxBoardOptions } from '../../drivers/led/bx-board.js';
import { BX_CMD, buildDynamicTextData } from '../../drivers/led/bx-commands.js';
import { BxFrameParser, encodeFrame, type BxPacket } from '../../drivers/led/bx-frame.js';
import { BxSimulator } from '../../drivers/led/sim/bx-simulator.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(opts: Partial<BxBoardOptions> = {}): Promise<{ pair: PtyPair; sim: BxSimulator; board: BxBoard }> {
  const pair = await createPtyPair();
  cleanups.push(() => pair.close());
  const sim = await BxSimulator.open({ path: pair.b, baudRate: 9600 });
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
