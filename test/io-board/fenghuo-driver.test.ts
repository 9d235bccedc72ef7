import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../bench/support/fenghuo-process.js';
import type { InputEvent } from '../../drivers/io-board/io-board.js';
import { JohnnyFiveBoard, type JohnnyFiveBoardOptions } from '../../drivers/io-board/johnny-five-board.js';
import { heartbeatPeriodMs, logicalState, physicalLevel, planRelaySync, pulseDelta } from '../../drivers/io-board/relay-sync.js';
import { ioBoardSchema } from '../../node-daemon/config/outputs-schema.js';
import { defaultRelayRole } from '../../node-daemon/outputs/devices.js';
import { FIRMWARE_DIR, HARNESS_DIR, PACKAGES, Sim, missingTool, sims } from './simavr-rig.js';

const OUTPUT = 1;
const INPUT = 0;

describe('relay-sync (pure)', () => {
  it('maps logical state to the pin level through the polarity', () => {
    expect([physicalLevel(true, false), physicalLevel(false, false), physicalLevel(true, true), physicalLevel(false, true)]).toEqual([1, 0, 0, 1]);
    expect([logicalState(1, false), logicalState(0, false), logicalState(0, true), logicalState(1, true)]).toEqual([true, false, true, false]);
  });

  it('at connect writes only what differs, and never sets the mode of a pin that already is an output', () => {
    // already right: nothing sent
    expect(planRelaySync(true, { mode: OUTPUT, level: 1 }, false)).toEqual({ on: true, setMode: false, write: false, matched: true });
    expect(planRelaySync(true, { mode: OUTPUT, level: 0 }, true)).toEqual({ on: true, setMode: false, write: false, matched: true });
    // differs: written, no mode change
    expect(planRelaySync(false, { mode: OUTPUT, level: 1 }, false)).toEqual({ on: false, setMode: false, write: true, matched: false });
    expect(planRelaySync(false, { mode: OUTPUT, level: 0 }, true)).toEqual({ on: false, setMode: false, write: true, matched: false });
    // no wish yet: the board's level is adopted
    expect(planRelaySync(undefined, { mode: OUTPUT, level: 0 }, true)).toEqual({ on: true, setMode: false, write: false, matched: true });
    // not an output / no answer: made an output and written (safe off without a wish)
    expect(planRelaySync(undefined, { mode: INPUT, level: 0 }, true)).toEqual({ on: false, setMode: true, write: true, matched: false });
    expect(planRelaySync(true, undefined, false)).toEqual({ on: true, setMode: true, write: true, matched: false });
  });

  it('takes counter differences across wrap and board power loss', () => {
    expect(pulseDelta(undefined, 50)).toBe(0);
    expect(pulseDelta(50, 57)).toBe(7);
    expect(pulseDelta(2 ** 32 - 2, 3)).toBe(5);
    expect(pulseDelta(1_000, 4)).toBe(4); // the board lost power and counts from 0 again
  });

  it('keeps the heartbeat well under the silence', () => {
    expect(heartbeatPeriodMs(1_000, 10)).toBe(1_000);
    expect(heartbeatPeriodMs(1_000, 2)).toBe(666);
    expect(heartbeatPeriodMs(5_000, 0)).toBe(5_000);
  });
});

describe('ioBoard config (fenghuo keys)', () => {
  const base = { path: '/dev/ttyACM0', relays: { amplifier: 7, siren: 8, strobe: 9 } };

  it('defaults: standard-firmata, 10 s handshake, firmware fail-safe defaults, active-high relays', () => {
    const c = ioBoardSchema.parse(base);
    expect(c).toMatchObject({ firmware: 'standard-firmata', handshakeTimeoutMs: 10_000, relayOptions: {} });
    expect(c.failsafe).toEqual({ silenceS: 10, heartbeatMs: 1_000, evacuateOnMs: 1_000, evacuateOffMs: 1_000, boundS: 600, pulsePollMs: 1_000 });
    expect([defaultRelayRole('siren', []), defaultRelayRole('amplifier', []), defaultRelayRole('amp2', ['amp2']), defaultRelayRole('strobe', [])]).toEqual([
      'siren',
      'hold',
      'hold',
      'plain',
    ]);
  });

  it('rejects bad values with the key named', () => {
    const issues = (v: unknown): string[] => {
      const r = ioBoardSchema.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ ...base, firmware: 'firmata' })[0]).toMatch(/^firmware: /);
    expect(issues({ ...base, handshakeTimeoutMs: 200 })[0]).toMatch(/^handshakeTimeoutMs: /);
    expect(issues({ ...base, relayOptions: { strobe: { activeLow: 'yes' } } })[0]).toMatch(/^relayOptions\.strobe\.activeLow: /);
    expect(issues({ ...base, relayOptions: { strobe: { role: 'loud' } } })[0]).toMatch(/^relayOptions\.strobe\.role: /);
    expect(issues({ ...base, relayOptions: { horn: { activeLow: true } } })).toEqual([expect.stringMatching(/^relayOptions\.horn: .*names no relay/)]);
    expect(issues({ ...base, failsafe: { silenceS: 2, heartbeatMs: 1_000 } })).toEqual([expect.stringMatching(/^failsafe\.heartbeatMs: .*too close/)]);
    expect(issues({ ...base, failsafe: { boundS: 20_000 } })[0]).toMatch(/^failsafe\.boundS: /);
    expect(issues({ ...base, failsafe: { sirenMs: 5 } })[0]).toMatch(/^failsafe: .*sirenMs/);
  });
});

const missing = missingTool();
if (missing) console.warn(`fenghuo-driver simavr tests skipped: ${missing} is missing; install with: ${PACKAGES}`);

const boards: JohnnyFiveBoard[] = [];

afterEach(async () => {
  for (const b of boards.splice(0)) await b.stop();
  for (const s of sims.splice(0)) await s.stop();
});

function board(path: string, extra: Partial<JohnnyFiveBoardOptions> = {}): JohnnyFiveBoard {
  const b = new JohnnyFiveBoard({
    path,
    relays: [
      { pin: 7, name: 'amplifier', role: 'hold' },
      { pin: 8, name: 'siren', role: 'siren' },
      { pin: 9, name: 'strobe', activeLow: true },
    ],
    inputs: [{ pin: 2, name: 'rain', debounceMs: 5, counter: true }],
    firmware: 'fenghuo',
    fenghuo: { silenceS: 5, onMs: 200, offMs: 200, boundS: 3, heartbeatMs: 500, pulsePollMs: 200 },
    heartbeatMs: 0,
    ...extra,
  });
  boards.push(b);
  return b;
}

async function connect(b: JohnnyFiveBoard): Promise<void> {
  const up = new Promise<void>((r) => b.on('connected', () => r()));
  b.start();
  await up;
}

describe.skipIf(missing !== undefined)('JohnnyFiveBoard with the fenghuo firmware on simavr', () => {
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', FIRMWARE_DIR], { stdio: 'pipe', timeout: 120_000 });
    execFileSync('make', ['-s', '-C', HARNESS_DIR], { stdio: 'pipe', timeout: 120_000 });
  }, 180_000);

  it('inverts active-low relays on the pins; a new driver with the same wishes reconnects without touching a pin', async () => {
    const sim = await Sim.start();
    sim.send('pin 2 high');
    const a = board(sim.pty);
    await connect(a);
    expect(a.firmwareStatus()).toMatchObject({ configured: 'fenghuo', reported: 'fenghuo-io', extensions: true });
    await expect(a.setRelay(9, true)).resolves.toEqual({ confirmed: true });
    expect(sim.state(9)).toBe('low');
    await expect(a.setRelay(8, true)).resolves.toEqual({ confirmed: true });
    expect(sim.state(8)).toBe('high');
    expect(sim.state(7)).toBe('low');
    await a.stop();

    const mark = await sim.now();
    const b = board(sim.pty);
    b.desiredFrom((pin) => (pin === 8 || pin === 9 ? true : pin === 7 ? false : undefined));
    await connect(b);
    await waitFor(() => b.state().every((r) => r.confirmed), 2_000, 'relays proven by the read at connect');
    expect(b.state().map((r) => [r.pin, r.on])).toEqual([
      [7, false],
      [8, true],
      [9, true],
    ]);
    for (const pin of [7, 8, 9]) expect(sim.pinLog(pin, mark), `pin ${pin}`).toEqual([]);

    // a wish that differs is written, the rest is left alone
    await b.stop();
    const mark2 = await sim.now();
    const c = board(sim.pty);
    c.desiredFrom((pin) => pin === 9);
    await connect(c);
    await waitFor(() => c.state().every((r) => r.confirmed), 2_000, 'relays confirmed');
    expect(sim.pinLog(8, mark2).map((e) => e.state)).toEqual(['low']);
    expect(sim.pinLog(7, mark2)).toEqual([]);
    expect(sim.pinLog(9, mark2)).toEqual([]);
  });

  it('counts rain tips with the board counter (not the level reports); a new driver starts from the board count', async () => {
    const sim = await Sim.start();
    sim.send('pin 2 high');
    const a = board(sim.pty);
    const seen: InputEvent[] = [];
    a.onInput(2, (e) => seen.push(e));
    await connect(a);
    await waitFor(() => a.firmwareStatus().failsafe !== null, 2_000, 'first STATUS');
    sim.send('pulse 2 10 60 20');
    await sim.waitEvent((e) => e.ev === 'pulses-done', '10 pulses', 5_000);
    await waitFor(() => a.pulseCount(2) === 10, 3_000, () => `10 tips counted (have ${a.pulseCount(2)})`);
    expect(seen.filter((e) => e.active)).toHaveLength(10);

    // the driver goes (a daemon restart), tips keep coming on the board, a new driver comes
    const from = sim.events.length;
    await a.stop();
    sim.send('pulse 2 7 60 20');
    await sim.waitEvent((e) => e.ev === 'pulses-done', '7 pulses', 5_000, from);
    const b = board(sim.pty);
    await connect(b);
    // a new driver has no earlier count: the board's 17 is its baseline (tips during the gap are not invented twice)
    await sleep(600);
    expect(b.pulseCount(2)).toBe(0);
    expect(seen.filter((e) => e.active)).toHaveLength(10);
  });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
