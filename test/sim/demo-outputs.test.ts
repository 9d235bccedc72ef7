// The embedded demo's simulated outputs driven by the daemon's real drivers: a JohnnyFiveBoard on the I/O board
// path and a BxBoard on the LED board path, over the pty pairs startDemoOutputs makes (Python bridge and socat).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JohnnyFiveBoard } from '../../drivers/io-board/johnny-five-board.js';
import { BxBoard } from '../../drivers/led/bx-board.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { startDemoOutputs, type DemoOutputs } from '../../node-daemon/sim/demo-outputs.js';
import type { PtyBridgeKind } from '../../node-daemon/sim/pty-pair.js';
import { linkExists, waitFor } from '../helpers/wait-for.js';

interface LogLine {
  event?: string;
  msg?: string;
  [k: string]: unknown;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(via: PtyBridgeKind): Promise<{ outputs: DemoOutputs; lines: LogLine[]; io: JohnnyFiveBoard; led: BxBoard; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-demo-outputs-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const lines: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  const outputs = await startDemoOutputs({ dir: join(dir, 'demo'), log, via });
  cleanups.push(() => outputs.stop());
  const { amplifier, siren, strobe } = outputs.relayPins;
  const io = new JohnnyFiveBoard({
    path: outputs.ioBoardPath,
    baudRate: outputs.ioBaudRate,
    relays: [
      { pin: amplifier, name: 'amplifier' },
      { pin: siren, name: 'siren' },
      { pin: strobe, name: 'strobe' },
    ],
    inputs: [],
    heartbeatMs: 0,
    presenceCheckMs: 100,
  });
  cleanups.push(() => io.stop());
  const up = new Promise<void>((resolve) => {
    const off = io.on('connected', () => {
      off();
      resolve();
    });
  });
  io.start();
  await up;
  const led = new BxBoard({ path: outputs.ledBoardPath, baudRate: outputs.ledBaudRate, screen: outputs.ledScreen, replyTimeoutMs: 2_000 });
  cleanups.push(() => led.close());
  return { outputs, lines, io, led, dir };
}

describe.each<PtyBridgeKind>(['python', 'socat'])('startDemoOutputs via %s', (via) => {
  it('starts with nothing on, says where the outputs are, and puts them under dir', async () => {
    const { outputs, lines, dir } = await rig(via);
    expect(outputs.via).toBe(via);
    expect(outputs.ioBoardPath).toBe(join(dir, 'demo', 'io-a'));
    expect(outputs.ledBoardPath).toBe(join(dir, 'demo', 'led-a'));
    expect(outputs.audioFile).toBe(join(dir, 'demo', 'audio.wav'));
    expect(isAbsolute(outputs.audioFile)).toBe(true);
    expect(new Set(Object.values(outputs.relayPins)).size).toBe(3);
    expect(outputs.snapshot()).toEqual({ relaysOn: [] });
    expect(lines.find((l) => l.event === 'demo.outputs')).toMatchObject({ via, ioBoardPath: outputs.ioBoardPath, ledBoardPath: outputs.ledBoardPath });
    // The driver's handshake set the relay pins as outputs, LOW: no relay line yet.
    expect(lines.filter((l) => l.event === 'demo.relays')).toEqual([]);
  });

  it("JohnnyFiveBoard.setRelay(siren) shows in the snapshot and as one demo.relays line naming it; off again too", async () => {
    const { outputs, lines, io } = await rig(via);
    const relays = (): LogLine[] => lines.filter((l) => l.event === 'demo.relays');

    expect(await io.setRelay(outputs.relayPins.siren, true)).toEqual({ confirmed: true });
    expect(outputs.snapshot().relaysOn).toEqual(['siren']);
    await waitFor(() => relays().length === 1, 'the demo.relays line');
    expect(relays()[0]).toMatchObject({ level: 'info', on: ['siren'], pins: [outputs.relayPins.siren], msg: 'demo I/O board: relays on: siren' });

    expect(await io.setRelay(outputs.relayPins.amplifier, true)).toEqual({ confirmed: true });
    expect(outputs.snapshot().relaysOn).toEqual(['amplifier', 'siren']);
    // Writing the level it already has changes nothing on the board: no new line.
    expect(await io.setRelay(outputs.relayPins.amplifier, true)).toEqual({ confirmed: true });
    expect(await io.setRelay(outputs.relayPins.siren, false)).toEqual({ confirmed: true });
    expect(await io.setRelay(outputs.relayPins.amplifier, false)).toEqual({ confirmed: true });
    expect(outputs.snapshot().relaysOn).toEqual([]);
    expect(relays().map((l) => l.on)).toEqual([['siren'], ['amplifier', 'siren'], ['amplifier'], []]);
    expect(relays().at(-1)?.msg).toBe('demo I/O board: all relays off');
  });

  it("BxBoard.showText('立即转移') is the snapshot's ledText and one demo.led line; a refresh logs nothing; clear logs once", async () => {
    const { outputs, lines, led } = await rig(via);
    const ledLines = (): LogLine[] => lines.filter((l) => l.event === 'demo.led');

    expect(await led.showText('立即转移')).toEqual({ acknowledged: true, value: undefined });
    expect(outputs.snapshot().ledText).toBe('立即转移');
    expect(ledLines()).toEqual([expect.objectContaining({ area: 0, text: '立即转移', msg: 'demo LED board shows: 立即转移' })]);

    expect((await led.showText('立即转移')).acknowledged).toBe(true);
    expect(ledLines()).toHaveLength(1);
    expect((await led.showText('准备转移', { area: 1 })).acknowledged).toBe(true);
    expect(outputs.snapshot().ledText).toBe('立即转移\n准备转移');

    expect((await led.clear()).acknowledged).toBe(true);
    expect(outputs.snapshot().ledText).toBeUndefined();
    expect(ledLines().map((l) => l.text)).toEqual(['立即转移', '准备转移', '']);
    expect(ledLines().at(-1)).toMatchObject({ cleared: true });
  });

  it('stop() closes the simulators and removes every pty link', async () => {
    const { outputs, io, led, dir } = await rig(via);
    const links = ['io-a', 'io-b', 'led-a', 'led-b'].map((n) => join(dir, 'demo', n));
    expect(links.every(linkExists)).toBe(true);
    await io.stop();
    await led.close();
    await outputs.stop();
    for (const p of links) expect(linkExists(p)).toBe(false);
    await outputs.stop(); // idempotent
  });
});
