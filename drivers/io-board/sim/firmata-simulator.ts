import type { SerialPort } from 'serialport';
import { closeSimPort, openSimPort } from '../../sim/sim-port.js';
import { FIRMATA, PIN_MODE, PROTOCOL_VERSION, SYSEX } from '../firmata-constants.js';

/**
 * An Arduino Uno running StandardFirmata, at the byte level, on the far end of a serial line (usually a socat pty).
 * It parses what the host sends into frames, records each one, answers the queries StandardFirmata answers, keeps
 * the pins' modes and levels, and reports input ports when a simulated input changes. Used by tests and demos.
 */

export interface FirmataSimulatorOptions {
  readonly path: string;
  readonly baudRate?: number;
  readonly firmwareName?: string;
  /** Send the version and firmware reports when the line opens, as a board does after its reset. Default true. */
  readonly announceOnOpen?: boolean;
  readonly now?: () => number;
}

export interface SimFrame {
  /** UTC ms when the frame was complete. */
  readonly at: number;
  readonly bytes: readonly number[];
  /** Received while told to be silent: recorded, not acted on. */
  readonly ignored: boolean;
}

export interface SimPin {
  readonly mode: number;
  /** StandardFirmata's pin state: output level, or 1 when an input's pull-up is on. */
  readonly state: number;
  /** Level the pin reads (inputs). */
  readonly reads: 0 | 1;
}

interface PinRec {
  mode: number;
  state: number;
  /** What is wired to the pin drives it: undefined = nothing (floats, or reads 1 through the pull-up). */
  external: 0 | 1 | undefined;
}

const PIN_COUNT = 20;
const ANALOG_FIRST = 14;
const PWM_PINS = new Set([3, 5, 6, 9, 10, 11]);
const I2C_PINS = new Set([18, 19]);
const isDigital = (p: number): boolean => p >= 2 && p < PIN_COUNT;
const isAnalog = (p: number): boolean => p >= ANALOG_FIRST && p < PIN_COUNT;

/** Bytes of data after each command byte (sysex aside). */
function dataLength(cmd: number): number | undefined {
  const high = cmd & 0xf0;
  if (high === FIRMATA.DIGITAL_MESSAGE || high === FIRMATA.ANALOG_MESSAGE) return 2;
  if (high === FIRMATA.REPORT_ANALOG || high === FIRMATA.REPORT_DIGITAL) return 1;
  if (cmd === FIRMATA.SET_PIN_MODE || cmd === FIRMATA.SET_DIGITAL_PIN_VALUE) return 2;
  if (cmd === FIRMATA.REPORT_VERSION || cmd === FIRMATA.SYSTEM_RESET) return 0;
  return undefined;
}

export class FirmataSimulator {
  private port: SerialPort | undefined;
  private readonly pins: PinRec[] = [];
  private readonly reportPorts = new Set<number>();
  private readonly stuck = new Set<number>();
  private readonly recorded: SimFrame[] = [];
  private buf: number[] = [];
  private silent = false;
  private readonly now: () => number;
  private readonly relayListeners = new Set<(on: readonly number[]) => void>();
  /** relaysOn() as last told to the listeners. */
  private relaysKey = '';

  private constructor(private readonly opts: FirmataSimulatorOptions) {
    this.now = opts.now ?? Date.now;
    this.reset();
  }

  static async open(opts: FirmataSimulatorOptions): Promise<FirmataSimulator> {
    const sim = new FirmataSimulator(opts);
    await sim.openPort();
    return sim;
  }

  // ---- inspection ----

  frames(): readonly SimFrame[] {
    return [...this.recorded];
  }

  clearFrames(): void {
    this.recorded.length = 0;
  }

  pin(pin: number): SimPin | undefined {
    const rec = this.pins[pin];
    return rec && { mode: rec.mode, state: rec.state, reads: this.reads(rec) };
  }

  /** Level of an output pin, or undefined when the pin is not an output. */
  output(pin: number): 0 | 1 | undefined {
    const rec = this.pins[pin];
    return rec?.mode === PIN_MODE.OUTPUT ? (rec.state ? 1 : 0) : undefined;
  }

  /** Every output pin driven HIGH (the relays that are on). */
  relaysOn(): number[] {
    return this.pins.flatMap((r, pin) => (r.mode === PIN_MODE.OUTPUT && r.state ? [pin] : []));
  }

  /**
   * Calls `listener` with relaysOn() each time that set changes (after the host's frame that changed it, or a reset
   * on reopen). Returns a function that removes the listener. A listener must not throw.
   */
  onRelays(listener: (on: readonly number[]) => void): () => void {
    this.relayListeners.add(listener);
    return () => this.relayListeners.delete(listener);
  }

  // ---- behaviour ----

  /** The relay on this pin ignores writes and keeps its level. */
  setStuck(pin: number, stuck: boolean): void {
    if (stuck) this.stuck.add(pin);
    else this.stuck.delete(pin);
  }

  /** Reads and records, acts on nothing, answers nothing (hung firmware). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** Drives an input pin from outside; 'open' disconnects the switch (the pin then floats or reads its pull-up). */
  setInput(pin: number, level: 0 | 1 | 'open'): void {
    const rec = this.pins[pin];
    if (!rec) throw new RangeError(`simulated board has no pin ${pin}`);
    const before = this.reads(rec);
    rec.external = level === 'open' ? undefined : level;
    if (this.reads(rec) !== before) this.reportPort(pin >> 3, false);
  }

  /** A push-button to ground held for `holdMs`. */
  async press(pin: number, holdMs = 100): Promise<void> {
    this.setInput(pin, 0);
    await sleep(holdMs);
    this.setInput(pin, 'open');
  }

  /** `count` reed-switch closures to ground (tipping-bucket rain gauge). */
  async pulses(pin: number, count: number, opts: { closedMs?: number; openMs?: number } = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.setInput(pin, 0);
      await sleep(opts.closedMs ?? 60);
      this.setInput(pin, 'open');
      await sleep(opts.openMs ?? 60);
    }
  }

  // ---- line ----

  /** Opens the device again after the line was recreated; by default the board comes back reset (USB power loss). */
  async reopen(opts: { reset?: boolean } = {}): Promise<void> {
    await this.closePort();
    if (opts.reset ?? true) this.reset();
    this.notifyRelays();
    await this.openPort();
  }

  async close(): Promise<void> {
    await this.closePort();
  }

  private reset(): void {
    // StandardFirmata's systemReset: digital pins OUTPUT LOW, analog pins ANALOG, no reporting.
    this.pins.length = 0;
    for (let p = 0; p < PIN_COUNT; p++) {
      const mode = isAnalog(p) ? PIN_MODE.ANALOG : isDigital(p) ? PIN_MODE.OUTPUT : PIN_MODE.INPUT;
      this.pins.push({ mode, state: 0, external: undefined });
    }
    this.reportPorts.clear();
    this.buf = [];
  }

  private notifyRelays(): void {
    const on = this.relaysOn();
    const key = on.join(',');
    if (key === this.relaysKey) return;
    this.relaysKey = key;
    for (const l of [...this.relayListeners]) l(on);
  }

  private async openPort(): Promise<void> {
    const port = await openSimPort(this.opts.path, this.opts.baudRate ?? 57_600, (p, chunk) => {
      if (p === this.port) this.onData(chunk);
    });
    this.port = port;
    if (this.opts.announceOnOpen ?? true) {
      this.sendVersion();
      this.sendFirmware();
    }
  }

  private closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    return closeSimPort(port);
  }


  private send(bytes: readonly number[]): void {
    const port = this.port;
    if (!port?.isOpen) return;
    port.write(Buffer.from(bytes));
  }

  // ---- protocol ----

  private onData(chunk: Buffer): void {
    for (const byte of chunk) {
      if (byte & 0x80) {
        if (this.buf[0] === FIRMATA.START_SYSEX && byte === FIRMATA.END_SYSEX) {
          this.buf.push(byte);
          this.frame(this.buf);
          this.buf = [];
          continue;
        }
        this.buf = [byte]; // a command byte starts a new frame; an unfinished one is dropped, as the firmware does
      } else {
        if (this.buf.length === 0) continue; // data without a command: noise
        this.buf.push(byte);
      }
      const first = this.buf[0];
      if (first === undefined || first === FIRMATA.START_SYSEX) continue;
      const need = dataLength(first);
      if (need === undefined) this.buf = [];
      else if (this.buf.length === need + 1) {
        this.frame(this.buf);
        this.buf = [];
      }
    }
  }

  private frame(bytes: number[]): void {
    this.recorded.push({ at: this.now(), bytes: [...bytes], ignored: this.silent });
    if (this.silent) return;
    const [cmd = 0, a = 0, b = 0] = bytes;
    const high = cmd & 0xf0;
    if (cmd === FIRMATA.START_SYSEX) this.sysex(bytes.slice(1, -1));
    else if (cmd === FIRMATA.REPORT_VERSION) this.sendVersion();
    else if (cmd === FIRMATA.SYSTEM_RESET) this.reset();
    else if (cmd === FIRMATA.SET_PIN_MODE) this.setPinMode(a, b);
    else if (cmd === FIRMATA.SET_DIGITAL_PIN_VALUE) this.setPinValue(a, b);
    else if (high === FIRMATA.DIGITAL_MESSAGE) this.writePort(cmd & 0x0f, a | (b << 7));
    else if (high === FIRMATA.REPORT_DIGITAL) {
      const port = cmd & 0x0f;
      if (a) {
        this.reportPorts.add(port);
        this.reportPort(port, true);
      } else this.reportPorts.delete(port);
    }
    this.notifyRelays();
  }

  private sysex(body: number[]): void {
    const [cmd, ...args] = body;
    if (cmd === SYSEX.REPORT_FIRMWARE) this.sendFirmware();
    else if (cmd === SYSEX.CAPABILITY_QUERY) this.sendCapabilities();
    else if (cmd === SYSEX.ANALOG_MAPPING_QUERY) {
      const map = this.pins.map((_, p) => (isAnalog(p) ? p - ANALOG_FIRST : 0x7f));
      this.send([FIRMATA.START_SYSEX, SYSEX.ANALOG_MAPPING_RESPONSE, ...map, FIRMATA.END_SYSEX]);
    } else if (cmd === SYSEX.PIN_STATE_QUERY && args[0] !== undefined) {
      const pin = args[0];
      const rec = this.pins[pin];
      const out = [FIRMATA.START_SYSEX, SYSEX.PIN_STATE_RESPONSE, pin];
      if (rec) {
        out.push(rec.mode, rec.state & 0x7f);
        if (rec.state & 0xff80) out.push((rec.state >> 7) & 0x7f);
      }
      out.push(FIRMATA.END_SYSEX);
      this.send(out);
    }
    // Everything else (sampling interval, servo, I2C...) is accepted silently, as StandardFirmata does here.
  }

  private setPinMode(pin: number, mode: number): void {
    const rec = this.pins[pin];
    if (!rec) return;
    if (mode === PIN_MODE.ANALOG && !isAnalog(pin)) return;
    if ((mode === PIN_MODE.OUTPUT || mode === PIN_MODE.INPUT || mode === PIN_MODE.PULLUP) && !isDigital(pin)) return;
    rec.mode = mode;
    // StandardFirmata zeroes the state on every mode change (an output starts LOW); a stuck relay stays put.
    if (mode === PIN_MODE.PULLUP) rec.state = 1;
    else if (!this.stuck.has(pin)) rec.state = 0;
  }

  private setPinValue(pin: number, value: number): void {
    const rec = this.pins[pin];
    if (rec?.mode === PIN_MODE.OUTPUT && !this.stuck.has(pin)) rec.state = value ? 1 : 0;
  }

  private writePort(port: number, value: number): void {
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      const rec = this.pins[pin];
      if (!rec || !isDigital(pin)) continue;
      const bit = (value >> i) & 1;
      if (rec.mode === PIN_MODE.OUTPUT) {
        if (!this.stuck.has(pin)) rec.state = bit;
      } else if (rec.mode === PIN_MODE.INPUT && bit === 1) {
        // StandardFirmata 2.5: writing 1 to an input turns its pull-up on.
        rec.mode = PIN_MODE.PULLUP;
        rec.state = 1;
      }
    }
  }

  private reads(rec: PinRec): 0 | 1 {
    if (rec.mode === PIN_MODE.OUTPUT) return rec.state ? 1 : 0;
    return rec.external ?? (rec.mode === PIN_MODE.PULLUP ? 1 : 0);
  }

  private reportPort(port: number, force: boolean): void {
    if (!this.reportPorts.has(port)) return;
    let value = 0;
    let inputs = 0;
    for (let i = 0; i < 8; i++) {
      const rec = this.pins[port * 8 + i];
      if (!rec || (rec.mode !== PIN_MODE.INPUT && rec.mode !== PIN_MODE.PULLUP)) continue;
      inputs++;
      value |= this.reads(rec) << i;
    }
    if (inputs === 0 && !force) return;
    if (!this.silent) this.send([FIRMATA.DIGITAL_MESSAGE | port, value & 0x7f, (value >> 7) & 0x7f]);
  }

  private sendVersion(): void {
    this.send([FIRMATA.REPORT_VERSION, PROTOCOL_VERSION.major, PROTOCOL_VERSION.minor]);
  }

  private sendFirmware(): void {
    const name = [...Buffer.from(this.opts.firmwareName ?? 'StandardFirmata.ino', 'ascii')].flatMap((c) => [
      c & 0x7f,
      (c >> 7) & 0x7f,
    ]);
    this.send([
      FIRMATA.START_SYSEX,
      SYSEX.REPORT_FIRMWARE,
      PROTOCOL_VERSION.major,
      PROTOCOL_VERSION.minor,
      ...name,
      FIRMATA.END_SYSEX,
    ]);
  }

  private sendCapabilities(): void {
    const out: number[] = [FIRMATA.START_SYSEX, SYSEX.CAPABILITY_RESPONSE];
    for (let p = 0; p < PIN_COUNT; p++) {
      if (isDigital(p)) out.push(PIN_MODE.INPUT, 1, PIN_MODE.OUTPUT, 1, PIN_MODE.PULLUP, 1, PIN_MODE.SERVO, 14);
      if (PWM_PINS.has(p)) out.push(PIN_MODE.PWM, 8);
      if (isAnalog(p)) out.push(PIN_MODE.ANALOG, 10);
      if (I2C_PINS.has(p)) out.push(PIN_MODE.I2C, 1);
      out.push(0x7f);
    }
    out.push(FIRMATA.END_SYSEX);
    this.send(out);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
