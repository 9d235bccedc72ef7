import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { Debouncer, realScheduler, type Level, type Scheduler } from './debounce.js';
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
  type BoardStatus,
  type FailsafeConfig,
  type FenghuoReply,
  type RelayRole,
} from './fenghuo-sysex.js';
import {
  IoBoardError,
  type ConnectionEvent,
  type ConnectionInfo,
  type ConnectionState,
  type InputEvent,
  type InputListener,
  type IoBoard,
  type IoBoardFirmwareStatus,
  type IoFirmwareSetting,
  type RelayResult,
  type RelayState,
} from './io-board.js';
import { PIN_MODE } from './firmata-constants.js';
import { heartbeatPeriodMs, physicalLevel, planRelaySync, pulseDelta, type PinReadBack } from './relay-sync.js';
import { firmataCtor, fiveBoardCtor, forgetFiveBoard, type FirmataIo, type FiveBoard } from './vendor.js';
import { closeQuietly } from '../close-quietly.js';

/**
 * The I/O co-processor (StandardFirmata, or our fenghuo-io firmware: firmware/PROTOCOL.md) driven through
 * johnny-five over firmata-io on a serialport 13 port. One connection at a time; when the port vanishes it reports
 * `lost`, fails what was pending, and reconnects with backoff. At every (re)connect it reads each relay pin's state
 * first and writes only the relays whose level differs from what is wanted (the `desiredFrom` source, else the last
 * commanded state), so a relay that is already right never blips.
 * With the fenghuo firmware (and a board that says it is fenghuo-io) it also configures relay polarity and roles and
 * the fail-safe on the board, sends a heartbeat, follows the evacuate latch, and counts rain-gauge tips with the
 * board's interrupt counter.
 */

export interface RelayConfig {
  readonly pin: number;
  readonly name?: string;
  /** The relay module switches on when its input is LOW: logical on/off is inverted on the pin. Default false. */
  readonly activeLow?: boolean;
  /** What the fenghuo firmware does with it when the daemon falls silent. Default plain. */
  readonly role?: RelayRole;
}

export interface InputConfig {
  readonly pin: number;
  readonly name?: string;
  /** Enable the board's pull-up (a switch to ground). Default true. */
  readonly pullup?: boolean;
  /** Low level means active. Default: same as `pullup`. */
  readonly activeLow?: boolean;
  /** A level counts once it held this long. Default 30 ms. */
  readonly debounceMs?: number;
  /**
   * Count activations with the fenghuo firmware's interrupt counter (pins 2 and 3 only) instead of the debounced
   * level reports: nothing is missed while the daemon is busy or reconnecting. Only with the fenghuo firmware.
   */
  readonly counter?: boolean;
}

export interface FenghuoOptions extends FailsafeConfig {
  /** Heartbeat period; capped at a third of `silenceS`. Default 1000 ms. */
  readonly heartbeatMs?: number;
  /** How often counter inputs are read. Default 1000 ms. */
  readonly pulsePollMs?: number;
  /** How often STATUS is asked (the board also sends it on every change). Default 5000 ms. */
  readonly statusPollMs?: number;
}

export interface JohnnyFiveBoardOptions {
  readonly path: string;
  /** StandardFirmata's default is 57600. */
  readonly baudRate?: number;
  readonly relays: readonly RelayConfig[];
  readonly inputs: readonly InputConfig[];
  /** How long a relay write waits for its read-back. Default 1000 ms. */
  readonly confirmTimeoutMs?: number;
  /**
   * From port open to the end of the capability handshake. Default 10 000 ms (opening the port resets an Uno/Nano
   * clone: bootloader, then StandardFirmata's blink). Each failed handshake doubles the next one's limit (up to
   * 120 s or this value if larger), so that a slow board is not reset by reopening for ever.
   */
  readonly handshakeTimeoutMs?: number;
  /** Default standard-firmata. */
  readonly firmware?: IoFirmwareSetting;
  /** Fail-safe settings sent to a fenghuo board. Default: the firmware's (10 s, 1000/1000 ms, 600 s). */
  readonly fenghuo?: FenghuoOptions;
  /** Reconnect delay: starts at initialMs, doubles per failure, capped at maxMs. Defaults 250 / 10000 ms. */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * How often the device path is checked while connected. Default 1000 ms. Needed because serialport 13 does not
   * always notice a vanished pty/USB device: a read returning 0 bytes is retried in a tight loop, with no 'close'.
   */
  readonly presenceCheckMs?: number;
  /** Version-report ping period; two unanswered pings in a row mean the board is lost. 0 = off. Default 5000 ms. */
  readonly heartbeatMs?: number;
  readonly logger?: Logger;
  readonly scheduler?: Scheduler;
}

interface Relay {
  readonly pin: number;
  readonly name?: string;
  readonly activeLow: boolean;
  readonly role: RelayRole;
  /** Logical state last commanded (or adopted from the board at connect). */
  on: boolean;
  /** `on` was commanded by the owner (not a default). */
  known: boolean;
  confirmed: boolean;
  confirmedAt?: number;
}

interface Input {
  readonly cfg: InputConfig;
  readonly activeLow: boolean;
  readonly debouncer: Debouncer;
  readonly listeners: Set<InputListener>;
  last?: InputEvent;
  pulses: number;
  /** Last value of the board's counter (fenghuo counter inputs), undefined until first read on this board. */
  boardCount?: number;
}

/** One open line and everything tied to it; thrown away whole when the line goes. */
interface Link {
  readonly port: SerialPort;
  readonly io: FirmataIo;
  readonly board: FiveBoard;
  /** Rejectors of relay writes waiting for their read-back. */
  readonly pending: Set<(err: IoBoardError) => void>;
  /** Pins the board's capability report does not offer in the mode we need. */
  readonly unusable: Map<number, string>;
  heartbeat?: ReturnType<typeof setInterval>;
  presence?: ReturnType<typeof setInterval>;
  /** Device number of the path when it was opened (a re-plugged device can come back under the same name). */
  rdev?: number;
  dead: boolean;
  /** The board said it is fenghuo-io and the configuration allows the extensions. */
  fenghuo: boolean;
  fhTimers: ReturnType<typeof setInterval>[];
  /** Evacuate latch state last sent on this link. */
  evacuateSent?: boolean;
  /** Counter inputs whose pulses come from the board's counter on this link (not from level reports). */
  readonly counted: Set<number>;
}

const DEFAULT_BAUD = 57_600;
const DEFAULT_HANDSHAKE_MS = 10_000;
const MAX_HANDSHAKE_MS = 120_000;

const RESET_CAUSES = [
  ['powerOn', 'power-on'],
  ['external', 'external'],
  ['brownOut', 'brown-out'],
  ['watchdog', 'watchdog'],
] as const;

export class JohnnyFiveBoard implements IoBoard {
  private readonly relays = new Map<number, Relay>();
  private readonly inputs = new Map<number, Input>();
  private readonly chains = new Map<number, Promise<unknown>>();
  private readonly connListeners = new Map<ConnectionEvent, Set<(info: ConnectionInfo) => void>>();
  private readonly scheduler: Scheduler;
  private link: Link | undefined;
  private conn: ConnectionState = 'idle';
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay: number;
  private attempt = 0;
  private handshakeFailures = 0;
  private desiredSource: ((pin: number) => boolean | undefined) | undefined;
  private evacuateWanted: boolean | undefined;
  private reportedFirmware: string | null = null;
  private boardStatus: (BoardStatus & { at: number }) | null = null;

  constructor(private readonly opts: JohnnyFiveBoardOptions) {
    this.scheduler = opts.scheduler ?? realScheduler;
    this.retryDelay = opts.reconnect?.initialMs ?? 250;
    const seen = new Set<number>();
    const claim = (pin: number, what: string): void => {
      if (!Number.isInteger(pin) || pin < 0 || pin > 127) throw new RangeError(`${what} pin ${pin} is not 0..127`);
      if (seen.has(pin)) throw new RangeError(`pin ${pin} is configured twice`);
      seen.add(pin);
    };
    for (const r of opts.relays) {
      claim(r.pin, 'relay');
      this.relays.set(r.pin, { pin: r.pin, name: r.name, activeLow: r.activeLow ?? false, role: r.role ?? 'plain', on: false, known: false, confirmed: false });
    }
    for (const cfg of opts.inputs) {
      claim(cfg.pin, 'input');
      const input: Input = {
        cfg,
        activeLow: cfg.activeLow ?? cfg.pullup ?? true,
        listeners: new Set(),
        pulses: 0,
        debouncer: new Debouncer(cfg.debounceMs ?? 30, this.scheduler, (level, at, initial) =>
          this.onStableInput(input, level, at, initial),
        ),
      };
      this.inputs.set(cfg.pin, input);
    }
  }

  start(): void {
    if (this.conn !== 'idle') return;
    this.setConn('connecting');
    void this.connect();
  }

  async stop(): Promise<void> {
    if (this.conn === 'stopped') return;
    this.conn = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const input of this.inputs.values()) input.debouncer.dispose();
    const link = this.link;
    this.link = undefined;
    if (link) await this.teardown(link, new IoBoardError('stopped', 'I/O board driver stopped'));
  }

  connection(): ConnectionState {
    return this.conn;
  }

  on(event: ConnectionEvent, listener: (info: ConnectionInfo) => void): () => void {
    let set = this.connListeners.get(event);
    if (!set) this.connListeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  state(): readonly RelayState[] {
    return [...this.relays.values()].map((r) => ({
      pin: r.pin,
      ...(r.name !== undefined ? { name: r.name } : {}),
      on: r.on,
      confirmed: r.confirmed,
      ...(r.confirmedAt !== undefined ? { confirmedAt: r.confirmedAt } : {}),
    }));
  }

  onInput(pin: number, listener: InputListener): () => void {
    const input = this.inputOrThrow(pin);
    input.listeners.add(listener);
    return () => input.listeners.delete(listener);
  }

  input(pin: number): InputEvent | undefined {
    return this.inputOrThrow(pin).last;
  }

  pulseCount(pin: number): number {
    return this.inputOrThrow(pin).pulses;
  }

  desiredFrom(source: (pin: number) => boolean | undefined): () => void {
    this.desiredSource = source;
    return () => {
      if (this.desiredSource === source) this.desiredSource = undefined;
    };
  }

  setEvacuate(armed: boolean): void {
    this.evacuateWanted = armed;
    const link = this.link;
    if (link && this.conn === 'connected') this.sendEvacuate(link);
  }

  firmwareStatus(): IoBoardFirmwareStatus {
    const st = this.boardStatus;
    return {
      configured: this.opts.firmware ?? 'standard-firmata',
      reported: this.reportedFirmware,
      extensions: this.link?.fenghuo === true && this.conn === 'connected',
      failsafe:
        st === null
          ? null
          : {
              state: st.state,
              armed: st.hostArmed,
              evacuateArmed: st.evacuateArmed,
              watchdogResets: st.watchdogResets,
              resetCause: RESET_CAUSES.filter(([k]) => st.resetCause[k]).map(([, name]) => name),
              uptimeMs: st.uptimeMs,
              at: st.at,
            },
    };
  }

  setRelay(pin: number, on: boolean): Promise<RelayResult> {
    const relay = this.relays.get(pin);
    if (!relay) return Promise.reject(new IoBoardError('invalid_pin', `pin ${pin} is not a configured relay`));
    // One write-and-read-back per pin at a time: a pin-state answer carries no request id, so overlapping
    // queries on one pin could each take the other's answer.
    const run = (this.chains.get(pin) ?? Promise.resolve()).then(() => this.writeAndConfirm(relay, on));
    this.chains.set(
      pin,
      run.catch(() => undefined),
    );
    return run;
  }

  // ---- relays ----

  private async writeAndConfirm(relay: Relay, on: boolean): Promise<RelayResult> {
    const link = this.usableLink(relay.pin);
    relay.on = on;
    relay.known = true;
    relay.confirmed = false;
    this.writeRelays(link, [relay]);
    return this.confirm(link, relay);
  }

  private usableLink(pin: number): Link {
    if (this.conn === 'stopped') throw new IoBoardError('stopped', 'I/O board driver is stopped');
    const link = this.link;
    if (!link || this.conn !== 'connected') {
      throw new IoBoardError('disconnected', `I/O board on ${this.opts.path} is not connected (${this.conn})`);
    }
    const why = link.unusable.get(pin);
    if (why) throw new IoBoardError('invalid_pin', why);
    return link;
  }

  /**
   * firmata-io writes whole 8-pin ports from its local cache. A fresh client (after a reconnect) has an empty
   * cache, and input bits in it would switch on pull-ups on the board, so every write sends the commanded level
   * of all relays sharing the port and no input bits.
   */
  private writeRelays(link: Link, relays: Iterable<Relay>): void {
    const ports = new Set<number>();
    for (const r of relays) ports.add(r.pin >> 3);
    for (const port of ports) {
      for (const r of this.relays.values()) {
        if (r.pin >> 3 === port && !link.unusable.has(r.pin)) link.io.updateDigitalPort(r.pin, physicalLevel(r.on, r.activeLow));
      }
      let inputBits = 0;
      for (const pin of this.inputs.keys()) if (pin >> 3 === port) inputBits |= 1 << (pin & 7);
      link.io.ports[port] = (link.io.ports[port] ?? 0) & ~inputBits;
      link.io.writeDigitalPort(port);
    }
  }

  private confirm(link: Link, relay: Relay): Promise<RelayResult> {
    const pin = relay.pin;
    const on = relay.on;
    const wanted = physicalLevel(on, relay.activeLow);
    return new Promise<RelayResult>((resolve, reject) => {
      const event = `pin-state-${pin}`;
      const finish = (): void => {
        clearTimeout(timer);
        link.pending.delete(fail);
        link.io.removeListener(event, onState);
      };
      const fail = (err: IoBoardError): void => {
        finish();
        reject(err);
      };
      const onState = (): void => {
        finish();
        const rec = link.io.pins[pin];
        const mode = rec?.mode ?? -1;
        const level = rec?.state ?? -1;
        if (mode === PIN_MODE.OUTPUT && level === wanted && relay.on === on) {
          relay.confirmed = true;
          relay.confirmedAt = this.scheduler.now();
          resolve({ confirmed: true });
          return;
        }
        this.opts.logger?.warn({ event: 'io_board.relay_mismatch', pin, on, wanted, mode, level }, 'relay read-back differs');
        resolve({ confirmed: false, reason: 'mismatch', readBack: { mode, level } });
      };
      const timer = setTimeout(() => {
        finish();
        this.opts.logger?.warn({ event: 'io_board.relay_timeout', pin, wanted }, 'relay read-back timed out');
        resolve({ confirmed: false, reason: 'timeout' });
      }, this.opts.confirmTimeoutMs ?? 1_000);
      link.pending.add(fail);
      link.board.queryPinState(pin, onState);
    });
  }

  // ---- inputs ----

  private inputOrThrow(pin: number): Input {
    const input = this.inputs.get(pin);
    if (!input) throw new IoBoardError('invalid_pin', `pin ${pin} is not a configured input`);
    return input;
  }

  private onStableInput(input: Input, level: Level, at: number, initial: boolean): void {
    const ev: InputEvent = {
      pin: input.cfg.pin,
      ...(input.cfg.name !== undefined ? { name: input.cfg.name } : {}),
      level,
      active: input.activeLow ? level === 0 : level === 1,
      at,
    };
    input.last = ev;
    if (initial) return;
    // A counter input's activations come from the board's counter (pollCounters), not from level reports.
    if (this.link?.counted.has(input.cfg.pin)) return;
    if (ev.active) input.pulses++;
    this.notify(input, ev);
  }

  private notify(input: Input, ev: InputEvent): void {
    for (const l of input.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.opts.logger?.error({ event: 'io_board.listener_threw', pin: ev.pin, err }, 'input listener threw');
      }
    }
  }

  // ---- connection ----

  private setConn(next: ConnectionState, info?: { reason?: string }): void {
    this.conn = next;
    if (next !== 'connected' && next !== 'lost') return;
    const payload: ConnectionInfo = { at: this.scheduler.now(), ...(info?.reason ? { reason: info.reason } : {}) };
    for (const l of this.connListeners.get(next) ?? []) {
      try {
        l(payload);
      } catch (err) {
        this.opts.logger?.error({ event: 'io_board.listener_threw', err }, 'connection listener threw');
      }
    }
  }

  private async connect(): Promise<void> {
    this.attempt++;
    const path = this.opts.path;
    const port = new SerialPort({ path, baudRate: this.opts.baudRate ?? DEFAULT_BAUD, autoOpen: false });
    // Without a listener a serial 'error' would crash the process.
    port.on('error', (err: Error) => this.opts.logger?.debug({ event: 'io_board.port_error', path, err: err.message }, 'port error'));
    // The client and the board object must exist before the port opens: johnny-five only proceeds past "ready"
    // once it has seen firmata-io's "connect", which firmata-io emits on the transport's "open".
    const Firmata = firmataCtor();
    const FiveBoardCtor = fiveBoardCtor();
    const io = new Firmata(port, { reportVersionTimeout: 100 });
    // firmata-io re-emits the port's errors on itself, and johnny-five listens there only once the board is ready: a
    // write failing during the handshake (EIO from a line that went away) would otherwise be an uncaught exception.
    io.on('error', (err: unknown) => this.opts.logger?.debug({ event: 'io_board.io_error', path, err: String(err) }, 'firmata error'));
    const handshakeMs = this.handshakeLimit();
    const board = new FiveBoardCtor({
      io,
      repl: false,
      debug: false,
      sigint: false,
      timeout: handshakeMs,
    });
    board.on('error', (err: unknown) =>
      this.opts.logger?.debug({ event: 'io_board.j5_error', path, err: String(err) }, 'johnny-five error'),
    );
    const link: Link = { port, io, board, pending: new Set(), unusable: new Map(), dead: false, fenghuo: false, fhTimers: [], counted: new Set() };
    let opened = false;
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      opened = true;
      await this.handshake(link, handshakeMs);
    } catch (err) {
      await this.teardown(link, new IoBoardError('lost', 'connection attempt failed'));
      if (this.conn === 'stopped') return;
      // Opening the port reset the board (DTR): the next attempt waits longer, or a slow board never gets through.
      if (opened) this.handshakeFailures++;
      const reason = err instanceof Error ? err.message : String(err);
      this.opts.logger?.warn(
        { event: 'io_board.connect_failed', path, attempt: this.attempt, reason, handshakeTimeoutMs: handshakeMs, nextHandshakeTimeoutMs: this.handshakeLimit() },
        'I/O board connect failed',
      );
      this.scheduleReconnect();
      return;
    }
    this.handshakeFailures = 0;
    if (this.conn === 'stopped') {
      await this.teardown(link, new IoBoardError('stopped', 'I/O board driver stopped'));
      return;
    }
    this.link = link;
    port.on('close', () => this.onLost(link, `serial port ${path} closed`));
    const fw = io.firmware;
    this.reportedFirmware = fw.name ?? null;
    link.fenghuo = this.extensionsFor(fw.name);
    if (link.fenghuo) this.startFenghuo(link);
    // Read the relays before touching them: only what differs from the wanted state is written.
    const written = await this.syncRelays(link);
    // stop() or a lost line while reading: the link was torn down (stop() also drops this.link).
    if (link.dead || this.link !== link) return;
    this.configureInputs(link);
    this.retryDelay = this.opts.reconnect?.initialMs ?? 250;
    this.attempt = 0;
    this.opts.logger?.info(
      {
        event: 'io_board.connected',
        path,
        firmware: fw.name,
        version: fw.version,
        pins: io.pins.length,
        extensions: link.fenghuo,
        relaysWritten: written.map((r) => r.pin),
      },
      'I/O board connected',
    );
    this.setConn('connected');
    if (link.fenghuo) this.sendEvacuate(link);
    // Prove what was written; the rest was proven by the read.
    for (const relay of written) {
      const run = (this.chains.get(relay.pin) ?? Promise.resolve()).then(() => this.confirm(link, relay));
      this.chains.set(relay.pin, run.catch(() => undefined));
      void run.then(
        (res) => {
          if (!res.confirmed) this.opts.logger?.error({ event: 'io_board.reassert_unconfirmed', pin: relay.pin, on: relay.on, reason: res.reason }, 'relay not confirmed after connect');
        },
        () => undefined,
      );
    }
    this.startHeartbeat(link);
    await this.startPresenceCheck(link);
  }

  private async startPresenceCheck(link: Link): Promise<void> {
    const path = this.opts.path;
    link.rdev = await stat(path).then(
      (s) => s.rdev,
      () => undefined,
    );
    if (link.dead) return;
    link.presence = setInterval(() => {
      stat(path).then(
        (s) => {
          if (link.rdev !== undefined && s.rdev !== link.rdev) this.onLost(link, `device ${path} was replaced`);
        },
        () => this.onLost(link, `device ${path} vanished`),
      );
    }, this.opts.presenceCheckMs ?? 1_000);
  }

  /** The handshake limit of the next attempt: the configured one, doubled per handshake that failed in a row. */
  private handshakeLimit(): number {
    const base = this.opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_MS;
    return Math.min(base * 2 ** Math.min(this.handshakeFailures, 8), Math.max(base, MAX_HANDSHAKE_MS));
  }

  private extensionsFor(name: string | undefined): boolean {
    const setting = this.opts.firmware ?? 'standard-firmata';
    if (setting === 'standard-firmata') return false;
    if (name === FENGHUO_FIRMWARE_NAME) return true;
    if (setting === 'fenghuo') {
      this.opts.logger?.error(
        { event: 'io_board.firmware_mismatch', path: this.opts.path, expected: FENGHUO_FIRMWARE_NAME, reported: name ?? null },
        `outputs.ioBoard.firmware is fenghuo but the board reports "${name ?? 'nothing'}": driven as StandardFirmata, no fail-safe on the board`,
      );
    }
    return false;
  }

  private handshake(link: Link, limitMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no Firmata handshake within ${limitMs} ms`)), limitMs);
      const onClose = (): void => {
        clearTimeout(timer);
        reject(new Error('serial port closed during the handshake'));
      };
      link.port.once('close', onClose);
      link.board.once('ready', () => {
        clearTimeout(timer);
        link.port.removeListener('close', onClose);
        resolve();
      });
    });
  }

  private checkPin(link: Link, pin: number, modes: number[], what: string): boolean {
    const rec = link.io.pins[pin];
    const ok = rec !== undefined && modes.every((m) => rec.supportedModes.includes(m));
    if (!ok) {
      const why = `board has no ${what} pin ${pin} (it reports ${link.io.pins.length} pins)`;
      link.unusable.set(pin, why);
      this.opts.logger?.error({ event: 'io_board.bad_pin', pin, what }, why);
    }
    return ok;
  }

  /**
   * Reads every relay pin's mode and level, then sets the mode only of pins that are not outputs and writes only the
   * relays whose level differs from the wanted one. Returns the relays written (still to be proven).
   */
  private async syncRelays(link: Link): Promise<Relay[]> {
    const relays = [...this.relays.values()].filter((r) => this.checkPin(link, r.pin, [PIN_MODE.OUTPUT], 'output'));
    const reads = await Promise.all(relays.map((r) => this.readPin(link, r.pin)));
    if (link.dead) return [];
    const now = this.scheduler.now();
    const written: Relay[] = [];
    const source = this.desiredSource;
    relays.forEach((relay, i) => {
      const read = reads[i];
      let want: boolean | undefined;
      try {
        want = source?.(relay.pin);
      } catch (err) {
        this.opts.logger?.error({ event: 'io_board.desired_threw', pin: relay.pin, err }, 'desired-state source threw');
      }
      want ??= relay.known ? relay.on : undefined;
      const step = planRelaySync(want, read, relay.activeLow);
      relay.on = step.on;
      if (want !== undefined) relay.known = true;
      if (step.setMode) link.board.pinMode(relay.pin, PIN_MODE.OUTPUT);
      if (step.matched) {
        relay.confirmed = true;
        relay.confirmedAt = now;
      } else {
        relay.confirmed = false;
        written.push(relay);
      }
      this.opts.logger?.debug({ event: 'io_board.relay_sync', pin: relay.pin, read, want, ...step }, 'relay at connect');
    });
    if (written.length > 0) this.writeRelays(link, written);
    return written;
  }

  /** One PIN_STATE_QUERY; undefined when the board does not answer in time. */
  private readPin(link: Link, pin: number): Promise<PinReadBack | undefined> {
    return new Promise((resolve) => {
      const event = `pin-state-${pin}`;
      const onState = (): void => {
        clearTimeout(timer);
        const rec = link.io.pins[pin];
        resolve(rec?.mode === undefined || rec.state === undefined ? undefined : { mode: rec.mode, level: rec.state });
      };
      const timer = setTimeout(() => {
        link.io.removeListener(event, onState);
        resolve(undefined);
      }, this.opts.confirmTimeoutMs ?? 1_000);
      link.board.queryPinState(pin, onState);
    });
  }

  private configureInputs(link: Link): void {
    const { board } = link;
    const check = (pin: number, modes: number[], what: string): boolean => this.checkPin(link, pin, modes, what);
    const usable: Input[] = [];
    for (const input of this.inputs.values()) {
      const pullup = input.cfg.pullup ?? true;
      const mode = pullup ? PIN_MODE.PULLUP : PIN_MODE.INPUT;
      if (!check(input.cfg.pin, [mode], pullup ? 'pull-up input' : 'input')) continue;
      board.pinMode(input.cfg.pin, mode);
      usable.push(input);
    }
    // Reporting only after every input has its mode: StandardFirmata answers a report request at once with the
    // port's levels, and an input still in OUTPUT mode on the board would show up as a bogus LOW.
    for (const input of usable) {
      board.digitalRead(input.cfg.pin, (value) => {
        if (!link.dead) input.debouncer.sample(value ? 1 : 0);
      });
    }
  }

  // ---- fenghuo extensions ----

  private sendRaw(link: Link, bytes: readonly number[]): void {
    if (link.dead || !link.port.isOpen) return;
    link.port.write(Buffer.from(bytes));
  }

  /**
   * Right after the handshake, before the relays are read: relay polarity and roles, fail-safe and counter settings
   * (the board stores them, writing its EEPROM only on change), then a heartbeat (arms the fail-safe, and takes control
   * back if the board had taken over: its relays stay as they are, and syncRelays writes what must change).
   */
  private startFenghuo(link: Link): void {
    const fh = this.opts.fenghuo;
    link.port.on('data', ((reader: FirmataFrameReader) => (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.kind !== 'sysex') continue;
        const reply = decodeFenghuoReply(f.command, f.data);
        if (reply) this.onFenghuoReply(link, reply);
      }
    })(new FirmataFrameReader()));
    const bytes: number[] = [];
    for (const r of this.relays.values()) {
      if (r.pin < 2 || r.pin > 19) continue;
      bytes.push(...encodeRelayConfig(r.pin, { activeLow: r.activeLow, role: r.role }));
    }
    if (fh) bytes.push(...encodeFailsafeConfig({ silenceS: fh.silenceS, onMs: fh.onMs, offMs: fh.offMs, boundS: fh.boundS }));
    for (const input of this.inputs.values()) {
      if (!this.counts(input)) continue;
      link.counted.add(input.cfg.pin);
      const activeLow = input.activeLow;
      bytes.push(...encodePulseConfig(input.cfg.pin, { edge: activeLow ? 'falling' : 'rising', minGapMs: Math.min(input.cfg.debounceMs ?? 30, 0x3fff) }));
    }
    bytes.push(...encodeHeartbeat(), ...encodeStatusQuery());
    this.sendRaw(link, bytes);
    this.pollCounters(link);

    const every = (ms: number, fn: () => void): void => {
      link.fhTimers.push(setInterval(fn, ms));
    };
    const beat = heartbeatPeriodMs(fh?.heartbeatMs ?? 1_000, fh?.silenceS ?? 10);
    every(beat, () => this.sendRaw(link, encodeHeartbeat()));
    every(fh?.statusPollMs ?? 5_000, () => this.sendRaw(link, encodeStatusQuery()));
    if (link.counted.size > 0) every(fh?.pulsePollMs ?? 1_000, () => this.pollCounters(link));
  }

  private counts(input: Input): boolean {
    return input.cfg.counter === true && (input.cfg.pin === 2 || input.cfg.pin === 3);
  }

  private pollCounters(link: Link): void {
    for (const pin of link.counted) this.sendRaw(link, encodePulseCountQuery(pin));
  }

  private sendEvacuate(link: Link): void {
    const want = this.evacuateWanted;
    if (!link.fenghuo || want === undefined || link.evacuateSent === want) return;
    link.evacuateSent = want;
    this.opts.logger?.info({ event: 'io_board.evacuate_latch', armed: want }, want ? 'board evacuate latch armed' : 'board evacuate latch disarmed');
    this.sendRaw(link, encodeEvacuate(want));
  }

  private onFenghuoReply(link: Link, reply: FenghuoReply): void {
    if (link.dead) return;
    switch (reply.kind) {
      case 'status': {
        const prev = this.boardStatus;
        const st = reply.status;
        this.boardStatus = { ...st, at: this.scheduler.now() };
        if (prev === null || prev.state !== st.state || prev.watchdogResets !== st.watchdogResets) {
          const level = st.state === 'host' && (prev === null || st.watchdogResets === prev.watchdogResets) ? 'info' : 'warn';
          this.opts.logger?.[level](
            { event: 'io_board.failsafe_status', state: st.state, hostArmed: st.hostArmed, evacuateArmed: st.evacuateArmed, watchdogResets: st.watchdogResets, resetCause: st.resetCause },
            `I/O board fail-safe state ${st.state}`,
          );
        }
        return;
      }
      case 'pulse-count': {
        const input = this.inputs.get(reply.pin);
        if (!input || !link.counted.has(reply.pin)) return;
        const tips = pulseDelta(input.boardCount, reply.count);
        input.boardCount = reply.count;
        if (tips <= 0) return;
        const at = this.scheduler.now();
        for (let i = 0; i < tips; i++) {
          input.pulses++;
          this.notify(input, { pin: reply.pin, ...(input.cfg.name !== undefined ? { name: input.cfg.name } : {}), level: input.activeLow ? 0 : 1, active: true, at });
        }
        return;
      }
      case 'relay-config': {
        const relay = this.relays.get(reply.pin);
        if (relay && (reply.config?.activeLow !== relay.activeLow || reply.config.role !== relay.role)) {
          this.opts.logger?.error({ event: 'io_board.relay_config_mismatch', pin: reply.pin, board: reply.config }, 'the board did not take the relay configuration');
        }
        return;
      }
      default:
        return;
    }
  }

  private startHeartbeat(link: Link): void {
    const period = this.opts.heartbeatMs ?? 5_000;
    if (period <= 0) return;
    let unanswered = 0;
    let waiting: (() => void) | undefined;
    link.heartbeat = setInterval(() => {
      if (waiting) {
        link.io.removeListener('reportversion', waiting);
        unanswered++;
        if (unanswered >= 2) {
          this.onLost(link, `board stopped answering (${unanswered} pings unanswered)`);
          return;
        }
      }
      const answer = (): void => {
        waiting = undefined;
        unanswered = 0;
      };
      waiting = answer;
      link.io.reportVersion(answer);
    }, period);
  }

  private onLost(link: Link, reason: string): void {
    if (link.dead || this.link !== link) return;
    this.link = undefined;
    for (const r of this.relays.values()) r.confirmed = false;
    this.opts.logger?.warn({ event: 'io_board.lost', path: this.opts.path, reason }, 'I/O board lost');
    void this.teardown(link, new IoBoardError('lost', `I/O board on ${this.opts.path} lost (${reason}) before the read-back`));
    if (this.conn === 'stopped') return;
    this.setConn('lost', { reason });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.conn === 'stopped' || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.reconnect?.maxMs ?? 10_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.conn === 'stopped') return;
      if (this.conn !== 'lost') this.setConn('connecting');
      void this.connect();
    }, delay);
  }

  private async teardown(link: Link, reason: IoBoardError): Promise<void> {
    if (link.dead) return;
    link.dead = true;
    if (link.heartbeat) clearInterval(link.heartbeat);
    if (link.presence) clearInterval(link.presence);
    for (const t of link.fhTimers) clearInterval(t);
    for (const fail of [...link.pending]) fail(reason);
    const { port, io, board } = link;
    if (board.timer) clearTimeout(board.timer);
    if (io.reportVersionTimeoutId) clearTimeout(io.reportVersionTimeoutId);
    forgetFiveBoard(board);
    board.removeAllListeners();
    board.on('error', () => undefined);
    io.removeAllListeners();
    io.on('error', () => undefined);
    port.removeAllListeners('close');
    if (port.isOpen) await closeQuietly(port);
  }
}
