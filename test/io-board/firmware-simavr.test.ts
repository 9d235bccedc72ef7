import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FENGHUO_FIRMWARE_NAME,
  FirmataFrameReader,
  decodeFenghuoReply,
  encodeEvacuate,
  encodeFailsafeConfig,
  encodeHeartbeat,
  encodePulseConfig,
  encodePulseCountQuery,
  encodeRelayConfig,
  encodeStatusQuery,
  encodeTestHang,
  type BoardStatus,
  type FenghuoReply,
  type FirmataFrame,
} from '../../drivers/io-board/fenghuo-sysex.js';
import type { InputEvent } from '../../drivers/io-board/io-board.js';
import { JohnnyFiveBoard } from '../../drivers/io-board/johnny-five-board.js';
import { FIRMWARE_DIR, HARNESS_DIR, missingTool, PACKAGES, Sim, sims, sleep, TEST_HEX } from './simavr-rig.js';

/**
 * The real fenghuo-io firmware (.hex built by firmware/Makefile) on an emulated ATmega328P under simavr, through
 * our harness (test/rigs/simavr-harness): its UART on a pty, its pin changes logged with simulated timestamps.
 * Timing checks use the simulated clock, which the harness paces to (never ahead of) wall time.
 */

const missing = missingTool();
if (missing) console.warn(`firmware-simavr tests skipped: ${missing} is missing; install with: ${PACKAGES}`);


async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ---- a host speaking Firmata directly (the daemon side's extension use, before its driver supports it) ----

class RawHost {
  readonly frames: FirmataFrame[] = [];
  private readonly reader = new FirmataFrameReader();

  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => this.frames.push(...this.reader.push(chunk)));
  }

  static async open(path: string): Promise<RawHost> {
    const port = new SerialPort({ path, baudRate: 57_600, autoOpen: false });
    port.on('error', () => undefined);
    await new Promise<void>((res, rej) => port.open((err) => (err ? rej(err) : res())));
    const host = new RawHost(port);
    hosts.push(host);
    return host;
  }

  write(bytes: readonly number[]): Promise<void> {
    return new Promise((res, rej) => this.port.write(Buffer.from(bytes), (err) => (err ? rej(err) : this.port.drain(() => res()))));
  }

  /** Sends `bytes` and resolves with the first fenghuo reply (after the send) that `pick` accepts. */
  async request<T>(bytes: readonly number[], pick: (r: FenghuoReply) => T | undefined, timeoutMs = 3_000): Promise<T> {
    const from = this.frames.length;
    await this.write(bytes);
    let found: T | undefined;
    await waitFor(
      () => {
        for (const f of this.frames.slice(from)) {
          if (f.kind !== 'sysex') continue;
          const r = decodeFenghuoReply(f.command, f.data);
          if (r && (found = pick(r)) !== undefined) return true;
        }
        return false;
      },
      `a reply to ${Buffer.from(bytes).toString('hex')}`,
      timeoutMs,
    );
    return found!;
  }

  status(): Promise<BoardStatus> {
    return this.request(encodeStatusQuery(), (r) => (r.kind === 'status' ? r.status : undefined));
  }

  async pinState(pin: number): Promise<{ mode: number; state: number }> {
    const from = this.frames.length;
    await this.write([0xf0, 0x6d, pin, 0xf7]);
    let got: { mode: number; state: number } | undefined;
    await waitFor(() => {
      const f = this.frames.slice(from).find((x) => x.kind === 'sysex' && x.command === 0x6e && x.data[0] === pin);
      if (f?.kind === 'sysex') got = { mode: f.data[1]!, state: f.data[2]! };
      return got !== undefined;
    }, `pin state of ${pin}`);
    return got!;
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((res) => this.port.close(() => res()));
  }
}

/**
 * A stand-in daemon in its own process (so that it can be kill -9'd): opens the pty, sends `init`, then a heartbeat
 * every `periodMs` until killed.
 */
async function startDaemon(path: string, init: readonly number[], periodMs: number): Promise<ChildProcess> {
  const script = `
    const fs = require('node:fs');
    const [path, init, hb, period] = process.argv.slice(1);
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    fs.writeSync(fd, Buffer.from(init, 'hex'));
    setInterval(() => fs.writeSync(fd, Buffer.from(hb, 'hex')), Number(period));
    // drain what the board sends, as a daemon would
    const rs = fs.createReadStream(null, { fd, autoClose: false });
    rs.on('data', () => undefined);
    rs.on('error', () => undefined);
    process.stdout.write('up\\n');
  `;
  const hexOf = (b: readonly number[]): string => Buffer.from(b).toString('hex');
  const child = spawn(process.execPath, ['-e', script, path, hexOf(init), hexOf(encodeHeartbeat()), String(periodMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  daemons.push(child);
  await new Promise<void>((res, rej) => {
    child.stdout!.once('data', () => res());
    child.once('exit', (code) => rej(new Error(`stand-in daemon exited early (${code})`)));
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

const hosts: RawHost[] = [];
const daemons: ChildProcess[] = [];
const boards: JohnnyFiveBoard[] = [];

afterEach(async () => {
  for (const b of boards.splice(0)) await b.stop();
  for (const h of hosts.splice(0)) await h.close();
  for (const d of daemons.splice(0)) await kill9(d);
  for (const s of sims.splice(0)) await s.stop();
});

const SET_PIN_MODE = 0xf4;
const SET_DIGITAL_PIN_VALUE = 0xf5;
const OUTPUT = 0x01;

describe.skipIf(missing !== undefined)('fenghuo-io firmware on simavr (ATmega328P, 16 MHz)', () => {
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', FIRMWARE_DIR], { stdio: 'pipe', timeout: 120_000 });
    execFileSync('make', ['-s', '-C', HARNESS_DIR], { stdio: 'pipe', timeout: 120_000 });
  }, 180_000);

  it('connects the unchanged johnny-five driver: handshake, relays with read-back, button and rain inputs', async () => {
    const sim = await Sim.start();
    sim.send('pin 2 high'); // rain gauge reed open
    sim.send('pin 3 high'); // button released
    const infos: Record<string, unknown>[] = [];
    const logger = {
      info: (o: Record<string, unknown>) => infos.push(o),
      warn: () => undefined,
      error: () => undefined,
      debug: () => undefined,
    } as unknown as Logger;
    const board = new JohnnyFiveBoard({
      path: sim.pty,
      relays: [
        { pin: 7, name: 'amplifier' },
        { pin: 8, name: 'siren' },
      ],
      inputs: [
        { pin: 2, name: 'rain', debounceMs: 10 },
        { pin: 3, name: 'button', debounceMs: 20 },
      ],
      confirmTimeoutMs: 1_000,
      handshakeTimeoutMs: 5_000,
      heartbeatMs: 0,
      logger,
    });
    boards.push(board);
    const up = new Promise<void>((r) => board.on('connected', () => r()));
    board.start();
    await up;
    expect(infos.find((o) => o['event'] === 'io_board.connected')).toMatchObject({ firmware: FENGHUO_FIRMWARE_NAME, pins: 20 });

    await waitFor(() => board.state().every((r) => r.confirmed), 'relays confirmed after connect');
    expect(sim.state(7)).toBe('low');
    expect(sim.state(8)).toBe('low');
    await expect(board.setRelay(8, true)).resolves.toEqual({ confirmed: true });
    expect(sim.state(8)).toBe('high');
    await expect(board.setRelay(7, true)).resolves.toEqual({ confirmed: true });
    await expect(board.setRelay(8, false)).resolves.toEqual({ confirmed: true });
    expect([sim.state(7), sim.state(8)]).toEqual(['high', 'low']);

    await waitFor(() => board.input(3) !== undefined && board.input(2) !== undefined, 'first input report');
    expect(board.input(3)).toMatchObject({ level: 1, active: false });
    const seen: InputEvent[] = [];
    board.onInput(3, (e) => seen.push(e));
    sim.send('pin 3 low');
    await waitFor(() => seen.some((e) => e.active), 'button press reported');
    sim.send('pin 3 high');
    await waitFor(() => seen.at(-1)?.active === false, 'button release reported');

    sim.send('pulse 2 10 100 20');
    await sim.waitEvent((e) => e.ev === 'pulses-done', 'rain pulses sent', 5_000);
    await waitFor(() => board.pulseCount(2) === 10, `10 rain pulses reported (have ${board.pulseCount(2)})`, 2_000);
  });

  it('counts every rain-gauge tip in the interrupt while the host is away, and keeps the count over a reset', async () => {
    const sim = await Sim.start();
    sim.send('pin 2 high');
    let host = await RawHost.open(sim.pty);
    const cfg = await host.request(encodePulseConfig(2, { edge: 'falling', minGapMs: 5 }), (r) =>
      r.kind === 'pulse-config' ? r : undefined,
    );
    expect(cfg).toEqual({ kind: 'pulse-config', pin: 2, config: { edge: 'falling', minGapMs: 5 } });
    await host.close();

    sim.send('pulse 2 50 100 20'); // 50 tips at 10 Hz, nobody listening
    await sim.waitEvent((e) => e.ev === 'pulses-done', '50 pulses sent', 8_000);
    const mark = sim.events.length;
    sim.send('reset'); // as DTR does when the daemon reopens the port
    await sim.waitEvent((e) => e.ev === 'reset' && e.cause === 'external', 'external reset', 5_000, mark);

    host = await RawHost.open(sim.pty);
    const count = (): Promise<number> =>
      host.request(encodePulseCountQuery(2), (r) => (r.kind === 'pulse-count' && r.pin === 2 ? r.count : undefined));
    expect(await count()).toBe(50);
    // the release build has no test hang: the board ignores it and keeps answering
    await host.write(encodeTestHang());
    const status = await host.status();
    expect(status).toMatchObject({ testBuild: false, resetCause: { external: true, watchdog: false } });
    expect(await count()).toBe(50);
  });

  it('boots with no relay at its active level, for both polarities, until the host speaks', async () => {
    const sim = await Sim.start();
    await sleep(200);
    // unconfigured board: every pin high-impedance (StandardFirmata would drive D2-D12 LOW here)
    expect(sim.events.filter((e) => e.ev === 'pin')).toEqual([]);

    let host = await RawHost.open(sim.pty);
    const relay = (pin: number, activeLow: boolean): Promise<unknown> =>
      host.request(encodeRelayConfig(pin, { activeLow, role: 'siren' }), (r) =>
        r.kind === 'relay-config' && r.pin === pin ? r.config : undefined,
      );
    expect(await relay(7, true)).toEqual({ activeLow: true, role: 'siren' });
    expect(await relay(8, false)).toEqual({ activeLow: false, role: 'siren' });
    // configuring a relay drives it to its inactive level at once
    expect([sim.state(7), sim.state(8)]).toEqual(['high', 'low']);
    await host.close();

    for (const kind of ['power', 'external'] as const) {
      const mark = sim.events.length;
      sim.send(kind === 'power' ? 'power' : 'reset');
      const reset = await sim.waitEvent((e) => e.ev === 'reset' && e.cause === kind, `${kind} reset`, 5_000, mark);
      await sim.until(reset.t / 1_000 + 300);
      const after = (pin: number): string[] => sim.pinLog(pin, reset.t / 1_000 - 0.001).map((e) => e.state);
      // active-low relay: never LOW; active-high relay: never HIGH; both end at their inactive level
      expect(after(7)).not.toContain('low');
      expect(after(7).at(-1)).toBe('high');
      expect(after(8)).not.toContain('high');
      expect(after(8).at(-1)).toBe('low');
      // other pins stay high-impedance
      expect(sim.events.slice(mark).filter((e) => e.ev === 'pin' && e.pin !== 7 && e.pin !== 8 && e.state !== 'z')).toEqual([]);
    }

    host = await RawHost.open(sim.pty);
    expect(await host.pinState(7)).toEqual({ mode: OUTPUT, state: 1 });
    expect(await host.pinState(8)).toEqual({ mode: OUTPUT, state: 0 });
    expect(await host.pinState(9)).toEqual({ mode: 0, state: 0 });
  });

  it('fail-safe: the daemon is killed during evacuate; the board sounds the pattern itself, then stops after the bound', async () => {
    const sim = await Sim.start();
    const init = [
      ...encodeRelayConfig(7, { activeLow: false, role: 'plain' }), // e.g. a strobe: safe while the board runs evacuate
      ...encodeRelayConfig(8, { activeLow: false, role: 'siren' }),
      ...encodeRelayConfig(9, { activeLow: true, role: 'siren' }),
      ...encodeFailsafeConfig({ silenceS: 2, onMs: 200, offMs: 200, boundS: 3 }),
      ...encodeHeartbeat(),
      ...[SET_PIN_MODE, 7, OUTPUT, SET_PIN_MODE, 8, OUTPUT, SET_PIN_MODE, 9, OUTPUT],
      ...[SET_DIGITAL_PIN_VALUE, 7, 1, SET_DIGITAL_PIN_VALUE, 8, 1, SET_DIGITAL_PIN_VALUE, 9, 0], // all on
      ...encodeEvacuate(true),
    ];
    const daemon = await startDaemon(sim.pty, init, 250);
    await waitFor(() => sim.state(7) === 'high' && sim.state(8) === 'high' && sim.state(9) === 'low', 'host set relays on');
    await sleep(700);
    const beforeKill = await sim.now();
    await kill9(daemon);
    const killedAt = await sim.now();

    // silence (2 s) + bound (3 s) + margin
    await sim.until(killedAt + 6_000);
    const strobe = sim.pinLog(7, killedAt);
    expect(strobe.map((e) => e.state)).toEqual(['low']);
    const start = strobe[0]!.t; // the board took over, 2 s after the last heartbeat (sent ≤ 250 ms before the kill)
    expect(start - beforeKill).toBeGreaterThan(1_740);
    expect(start - killedAt).toBeLessThan(2_010);

    const siren = sim.pinLog(8, killedAt);
    const sirenLow = sim.pinLog(9, killedAt);
    // 200 ms on / 200 ms off for 3 s, starting "on" (it already was): off, on, off, … ends off
    expect(siren.length).toBeGreaterThanOrEqual(13);
    expect(siren.filter((e) => e.state === 'high').length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < siren.length - 1; i++) {
      expect(siren[i]!.t - siren[i - 1]!.t).toBeGreaterThan(190);
      expect(siren[i]!.t - siren[i - 1]!.t).toBeLessThan(210);
    }
    const end = siren.at(-1)!;
    expect(end.state).toBe('low');
    expect(end.t - start).toBeGreaterThan(2_950);
    expect(end.t - start).toBeLessThan(3_050);
    // the active-low siren sounds the same pattern, inverted
    expect(sirenLow.map((e) => e.state)).toEqual(siren.map((e) => (e.state === 'high' ? 'low' : 'high')));
    // nothing after the bound
    expect(sim.events.filter((e) => e.ev === 'pin' && e.t / 1_000 > end.t + 1)).toEqual([]);

    const host = await RawHost.open(sim.pty);
    expect(await host.status()).toMatchObject({ state: 'expired', evacuateArmed: false, hostArmed: true, evacuateElapsedS: 3 });
  });

  it('fail-safe: the daemon is killed with no alarm armed; relays go to their safe state after the silence', async () => {
    const sim = await Sim.start();
    const init = [
      ...encodeRelayConfig(7, { activeLow: false, role: 'plain' }),
      ...encodeRelayConfig(9, { activeLow: true, role: 'hold' }),
      ...encodeFailsafeConfig({ silenceS: 2, onMs: 200, offMs: 200, boundS: 3 }),
      ...encodeHeartbeat(),
      ...[SET_PIN_MODE, 7, OUTPUT, SET_PIN_MODE, 9, OUTPUT],
      ...[SET_DIGITAL_PIN_VALUE, 7, 1, SET_DIGITAL_PIN_VALUE, 9, 0], // both on
    ];
    const daemon = await startDaemon(sim.pty, init, 250);
    await waitFor(() => sim.state(7) === 'high' && sim.state(9) === 'low', 'host set relays on');
    await sleep(500);
    const beforeKill = await sim.now();
    await kill9(daemon);
    const killedAt = await sim.now();
    await sim.until(killedAt + 3_000);

    const a = sim.pinLog(7, killedAt);
    const b = sim.pinLog(9, killedAt);
    expect(a.map((e) => e.state)).toEqual(['low']);
    expect(b.map((e) => e.state)).toEqual(['high']);
    expect(a[0]!.t - beforeKill).toBeGreaterThan(1_740);
    expect(a[0]!.t - killedAt).toBeLessThan(2_010);
    expect(Math.abs(b[0]!.t - a[0]!.t)).toBeLessThan(2);

    const host = await RawHost.open(sim.pty);
    expect(await host.status()).toMatchObject({ state: 'silent-safe', evacuateArmed: false });
  });

  it('watchdog: a hung main loop resets the board, which boots safe and keeps the evacuate latch', async () => {
    const sim = await Sim.start({ hex: TEST_HEX });
    const host = await RawHost.open(sim.pty);
    await host.request(encodeRelayConfig(8, { activeLow: false, role: 'siren' }), (r) => (r.kind === 'relay-config' ? r : undefined));
    await host.request(encodeFailsafeConfig({ silenceS: 2, onMs: 200, offMs: 200, boundS: 3 }), (r) =>
      r.kind === 'failsafe-config' ? r : undefined,
    );
    await host.write([...encodeHeartbeat(), SET_PIN_MODE, 8, OUTPUT, SET_DIGITAL_PIN_VALUE, 8, 1]);
    const armed = await host.request(encodeEvacuate(true), (r) => (r.kind === 'status' ? r.status : undefined));
    expect(armed).toMatchObject({ testBuild: true, hostArmed: true, evacuateArmed: true, watchdogResets: 0, state: 'host' });
    expect(sim.state(8)).toBe('high');

    const mark = sim.events.length;
    const beforeHang = await sim.now();
    await host.write([...encodeHeartbeat(), ...encodeTestHang()]);
    const hungAt = await sim.now();
    const reset = await sim.waitEvent((e) => e.ev === 'reset', 'watchdog reset', 5_000, mark);
    expect(reset.cause).toBe('watchdog');
    // WDTO_1S, nominally 1 s of the 128 kHz watchdog oscillator after the last wdt_reset()
    expect(reset.t / 1_000 - beforeHang).toBeGreaterThan(950);
    expect(reset.t / 1_000 - hungAt).toBeLessThan(1_100);

    // boots safe: the siren relay goes to its inactive level, not back on
    await sim.until(reset.t / 1_000 + 200);
    expect(sim.pinLog(8, reset.t / 1_000 - 0.001).map((e) => e.state)).not.toContain('high');
    expect(sim.state(8)).toBe('low');
    const after = await host.status();
    expect(after).toMatchObject({
      resetCause: { watchdog: true, powerOn: false },
      watchdogResets: 1,
      evacuateArmed: true, // the latch survived
      hostArmed: true,
      state: 'host',
    });

    // and it acts: the host stays silent, so after the silence the board sounds evacuate itself
    const sounding = await sim.waitEvent(
      (e) => e.ev === 'pin' && e.pin === 8 && e.state === 'high' && e.t > reset.t,
      'evacuate pattern after the watchdog reset',
      4_000,
    );
    expect(sounding.t / 1_000 - reset.t / 1_000).toBeGreaterThan(1_900);
    expect(sounding.t / 1_000 - reset.t / 1_000).toBeLessThan(2_300);
  });
});
