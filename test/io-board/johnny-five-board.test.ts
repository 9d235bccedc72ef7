import { afterEach, describe, expect, it, vi } from 'vitest';
import { FirmataSimulator } from '../../drivers/io-board/sim/firmata-simulator.js';
import { IoBoardError, type InputEvent } from '../../drivers/io-board/io-board.js';
import { JohnnyFiveBoard, type JohnnyFiveBoardOptions } from '../../drivers/io-board/johnny-five-board.js';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

const AMP = 7;
const SIREN = 8;
const STROBE = 9;
const RAIN = 2;
const BUTTON = 3;
const DOOR = 4;

interface Rig {
  pty: PtyPair;
  sim: FirmataSimulator;
  board: JohnnyFiveBoard;
}

const rigs: Rig[] = [];

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.board.stop();
    await r.sim.close();
    await r.pty.close();
  }
});

async function rig(extra: Partial<JohnnyFiveBoardOptions> = {}): Promise<Rig> {
  const pty = await createPtyPair();
  const sim = await FirmataSimulator.open({ path: pty.b });
  const board = new JohnnyFiveBoard({
    path: pty.a,
    relays: [
      { pin: AMP, name: 'amplifier' },
      { pin: SIREN, name: 'siren' },
      { pin: STROBE, name: 'strobe' },
    ],
    inputs: [
      { pin: RAIN, name: 'rain', debounceMs: 10 },
      { pin: BUTTON, name: 'button', debounceMs: 20 },
      { pin: DOOR, name: 'door', debounceMs: 20 },
    ],
    confirmTimeoutMs: 500,
    handshakeTimeoutMs: 2_000,
    reconnect: { initialMs: 100, maxMs: 400 },
    heartbeatMs: 0,
    presenceCheckMs: 100,
    ...extra,
  });
  const r = { pty, sim, board };
  rigs.push(r);
  return r;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function connected(board: JohnnyFiveBoard): Promise<void> {
  if (board.connection() === 'connected') return Promise.resolve();
  return new Promise((resolve) => {
    const off = board.on('connected', () => {
      off();
      resolve();
    });
  });
}

async function started(extra: Partial<JohnnyFiveBoardOptions> = {}): Promise<Rig> {
  const r = await rig(extra);
  const up = connected(r.board);
  r.board.start();
  await up;
  // Inputs have reported their first level once their ports are reporting.
  await waitFor(() => r.board.input(BUTTON) !== undefined && r.board.input(RAIN) !== undefined, 'first input report');
  return r;
}

const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

describe('JohnnyFiveBoard on a simulated StandardFirmata over a socat pty', () => {
  it('completes the Firmata handshake and configures relays as outputs and inputs as pull-ups', async () => {
    const printed = vi.spyOn(console, 'log');
    const sigint = process.listenerCount('SIGINT');
    const { sim, board } = await started();
    // johnny-five stays quiet and installs no process-wide SIGINT handler
    expect(printed).not.toHaveBeenCalled();
    printed.mockRestore();
    expect(process.listenerCount('SIGINT')).toBe(sigint);
    const sent = sim.frames().map((f) => hex(f.bytes));
    // capability and analog-mapping queries are how firmata-io ends its handshake
    expect(sent).toContain('f0 6b f7');
    expect(sent).toContain('f0 69 f7');
    // relay pins are read first; StandardFirmata boots them as outputs, so no SET_PIN_MODE (it would drive them LOW)
    for (const pin of [AMP, SIREN, STROBE]) expect(sent).toContain(hex([0xf0, 0x6d, pin, 0xf7]));
    for (const pin of [AMP, SIREN, STROBE]) expect(sent).not.toContain(hex([0xf4, pin, 0x01]));
    for (const pin of [AMP, SIREN, STROBE]) expect(sim.pin(pin)?.mode).toBe(0x01);
    for (const pin of [RAIN, BUTTON, DOOR]) expect(sent).toContain(hex([0xf4, pin, 0x0b]));
    expect(sent).toContain('d0 01'); // report digital port 0 (the inputs)
    expect(sim.pin(BUTTON)?.mode).toBe(0x0b);
    expect(sim.relaysOn()).toEqual([]);
    expect(board.input(BUTTON)).toMatchObject({ pin: BUTTON, level: 1, active: false });
    await waitFor(() => board.state().every((r) => r.confirmed), 'initial relay states confirmed');
    expect(board.state().map((r) => [r.pin, r.on])).toEqual([
      [AMP, false],
      [SIREN, false],
      [STROBE, false],
    ]);
  });

  it('writes a relay as a Firmata port message and confirms it by pin-state read-back', async () => {
    const { sim, board } = await started();
    await waitFor(() => board.state().every((r) => r.confirmed), 'initial confirmations');
    sim.clearFrames();

    await expect(board.setRelay(SIREN, true)).resolves.toEqual({ confirmed: true });
    // pin 8 is bit 0 of port 1; then the pin-state query for pin 8
    expect(sim.frames().map((f) => hex(f.bytes))).toEqual(['91 01 00', 'f0 6d 08 f7']);
    expect(sim.output(SIREN)).toBe(1);

    // pin 7 is bit 7 of port 0: 0x80 splits into LSB 0x00 and MSB 0x01; the inputs' bits stay clear
    sim.clearFrames();
    await expect(board.setRelay(AMP, true)).resolves.toEqual({ confirmed: true });
    expect(sim.frames().map((f) => hex(f.bytes))).toEqual(['90 00 01', 'f0 6d 07 f7']);

    // switching the strobe (same port as the siren) keeps the siren on
    sim.clearFrames();
    await expect(board.setRelay(STROBE, true)).resolves.toEqual({ confirmed: true });
    expect(sim.frames()[0]?.bytes).toEqual([0x91, 0x03, 0x00]);
    await expect(board.setRelay(SIREN, false)).resolves.toEqual({ confirmed: true });
    expect(sim.relaysOn()).toEqual([AMP, STROBE]);
    expect(board.state().find((r) => r.pin === SIREN)).toMatchObject({ on: false, confirmed: true });
  });

  it('reports a stuck relay as confirmed:false with what the board read back', async () => {
    const { sim, board } = await started();
    sim.setStuck(SIREN, true);
    const res = await board.setRelay(SIREN, true);
    expect(res).toEqual({ confirmed: false, reason: 'mismatch', readBack: { mode: 0x01, level: 0 } });
    expect(sim.output(SIREN)).toBe(0);
    expect(board.state().find((r) => r.pin === SIREN)).toMatchObject({ on: true, confirmed: false });
  });

  it('reports a silent board as confirmed:false (timeout) and rejects unknown pins', async () => {
    const { sim, board } = await started();
    sim.setSilent(true);
    await expect(board.setRelay(STROBE, true)).resolves.toEqual({ confirmed: false, reason: 'timeout' });
    await expect(board.setRelay(13, true)).rejects.toMatchObject({ code: 'invalid_pin' });
    expect(() => board.pulseCount(13)).toThrow(IoBoardError);
  });

  it('delivers a debounced button press and counts rain-gauge pulses', async () => {
    const { sim, board } = await started();
    const events: InputEvent[] = [];
    board.onInput(BUTTON, (e) => events.push(e));

    await sim.press(BUTTON, 80);
    await waitFor(() => events.length === 2, 'press and release');
    expect(events.map((e) => [e.pin, e.level, e.active])).toEqual([
      [BUTTON, 0, true],
      [BUTTON, 1, false],
    ]);
    expect(board.pulseCount(BUTTON)).toBe(1);

    await sim.pulses(RAIN, 5, { closedMs: 40, openMs: 40 });
    await waitFor(() => board.pulseCount(RAIN) >= 5, '5 rain pulses');
    expect(board.pulseCount(RAIN)).toBe(5);
    // the door was never touched
    expect(board.pulseCount(DOOR)).toBe(0);
  });

  it('ignores contact bounce shorter than the debounce time', async () => {
    const { sim, board } = await started({
      inputs: [
        { pin: RAIN, debounceMs: 10 },
        { pin: BUTTON, debounceMs: 150 },
      ],
    });
    const events: InputEvent[] = [];
    board.onInput(BUTTON, (e) => events.push(e));
    // a 20 ms blip, well under 150 ms
    await sim.press(BUTTON, 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual([]);
    expect(board.pulseCount(BUTTON)).toBe(0);
    // a real press still gets through
    await sim.press(BUTTON, 300);
    await waitFor(() => events.length === 2, 'held press');
    expect(board.pulseCount(BUTTON)).toBe(1);
  });

  it('reports lost when the pty vanishes, fails relay writes clearly, then reconnects and re-asserts relays', async () => {
    const { pty, sim, board } = await started();
    await expect(board.setRelay(SIREN, true)).resolves.toEqual({ confirmed: true });
    await expect(board.setRelay(AMP, true)).resolves.toEqual({ confirmed: true });

    const lost: string[] = [];
    board.on('lost', (i) => lost.push(i.reason ?? ''));
    await pty.kill();
    await waitFor(() => board.connection() === 'lost', 'lost');
    expect(lost).toHaveLength(1);

    const err = await board.setRelay(STROBE, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoBoardError);
    expect(err).toMatchObject({ code: 'disconnected' });
    expect((err as Error).message).toMatch(/not connected/);
    expect(board.state().every((r) => !r.confirmed)).toBe(true);

    // the board comes back after a power loss: everything LOW
    await pty.recreate();
    await sim.reopen({ reset: true });
    expect(sim.relaysOn()).toEqual([]);
    await connected(board);
    await waitFor(() => sim.relaysOn().length === 2, 'relays re-asserted');
    expect(sim.relaysOn()).toEqual([AMP, SIREN]);
    await waitFor(() => board.state().every((r) => r.confirmed), 're-asserted relays confirmed');
    expect(board.state().map((r) => [r.pin, r.on])).toEqual([
      [AMP, true],
      [SIREN, true],
      [STROBE, false],
    ]);
    // and it works as before
    await expect(board.setRelay(STROBE, true)).resolves.toEqual({ confirmed: true });
    expect(sim.relaysOn()).toEqual([AMP, SIREN, STROBE]);
  });

  it('rejects a relay write pending when the line goes, without crashing', async () => {
    const { pty, sim, board } = await started({ confirmTimeoutMs: 5_000 });
    sim.setSilent(true);
    const pending = board.setRelay(SIREN, true);
    await waitFor(() => sim.frames().some((f) => f.ignored && f.bytes[0] === 0xf0), 'query reached the board');
    await pty.kill();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IoBoardError);
    expect(err).toMatchObject({ code: 'lost' });
    expect(board.connection()).toBe('lost');
  });

  it('declares a board that stopped answering pings lost and reconnects when it answers again', async () => {
    const { sim, board } = await started({ heartbeatMs: 100 });
    const lost: string[] = [];
    board.on('lost', (i) => lost.push(i.reason ?? ''));
    sim.setSilent(true);
    await waitFor(() => lost.length === 1, 'lost on silence');
    expect(lost[0]).toMatch(/stopped answering/);
    sim.setSilent(false);
    await connected(board);
    await expect(board.setRelay(AMP, true)).resolves.toEqual({ confirmed: true });
  });

  it('rejects writes with stopped after stop()', async () => {
    const { board } = await started();
    await board.stop();
    await expect(board.setRelay(AMP, true)).rejects.toMatchObject({ code: 'stopped' });
    expect(board.connection()).toBe('stopped');
  });
});
