import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { Debouncer, realScheduler, type Level, type Scheduler } from './debounce.js';
import {
  IoBoardError,
  type ConnectionEvent,
  type ConnectionInfo,
  type ConnectionState,
  type InputEvent,
  type InputListener,
  type IoBoard,
  type RelayResult,
  type RelayState,
} from './io-board.js';
import { PIN_MODE } from './firmata-constants.js';
import { firmataCtor, fiveBoardCtor, forgetFiveBoard, type FirmataIo, type FiveBoard } from './vendor.js';

/**
 * The I/O co-processor (StandardFirmata) driven through johnny-five over firmata-io on a serialport 13 port.
 * One connection at a time; when the port vanishes it reports `lost`, fails what was pending, reconnects with
 * backoff and re-asserts every relay's last commanded level.
 */

export interface RelayConfig {
  readonly pin: number;
  readonly name?: string;
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
}

export interface JohnnyFiveBoardOptions {
  readonly path: string;
  /** StandardFirmata's default is 57600. */
  readonly baudRate?: number;
  readonly relays: readonly RelayConfig[];
  readonly inputs: readonly InputConfig[];
  /** How long a relay write waits for its read-back. Default 1000 ms. */
  readonly confirmTimeoutMs?: number;
  /** From port open to the end of the capability handshake. Default 5000 ms. */
  readonly handshakeTimeoutMs?: number;
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
  on: boolean;
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
}

const DEFAULT_BAUD = 57_600;

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
      this.relays.set(r.pin, { pin: r.pin, name: r.name, on: false, confirmed: false });
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
        if (r.pin >> 3 === port && !link.unusable.has(r.pin)) link.io.updateDigitalPort(r.pin, r.on ? 1 : 0);
      }
      let inputBits = 0;
      for (const pin of this.inputs.keys()) if (pin >> 3 === port) inputBits |= 1 << (pin & 7);
      link.io.ports[port] = (link.io.ports[port] ?? 0) & ~inputBits;
      link.io.writeDigitalPort(port);
    }
  }

  private confirm(link: Link, relay: Relay): Promise<RelayResult> {
    const pin = relay.pin;
    const wanted = relay.on ? 1 : 0;
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
        if (mode === PIN_MODE.OUTPUT && level === wanted && relay.on === (wanted === 1)) {
          relay.confirmed = true;
          relay.confirmedAt = this.scheduler.now();
          resolve({ confirmed: true });
          return;
        }
        this.opts.logger?.warn({ event: 'io_board.relay_mismatch', pin, wanted, mode, level }, 'relay read-back differs');
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
    if (ev.active) input.pulses++;
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
    const board = new FiveBoardCtor({
      io,
      repl: false,
      debug: false,
      sigint: false,
      timeout: this.opts.handshakeTimeoutMs ?? 5_000,
    });
    board.on('error', (err: unknown) =>
      this.opts.logger?.debug({ event: 'io_board.j5_error', path, err: String(err) }, 'johnny-five error'),
    );
    const link: Link = { port, io, board, pending: new Set(), unusable: new Map(), dead: false };
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      await this.handshake(link);
    } catch (err) {
      await this.teardown(link, new IoBoardError('lost', 'connection attempt failed'));
      if (this.conn === 'stopped') return;
      const reason = err instanceof Error ? err.message : String(err);
      this.opts.logger?.warn({ event: 'io_board.connect_failed', path, attempt: this.attempt, reason }, 'I/O board connect failed');
      this.scheduleReconnect();
      return;
    }
    if (this.conn === 'stopped') {
      await this.teardown(link, new IoBoardError('stopped', 'I/O board driver stopped'));
      return;
    }
    this.link = link;
    port.on('close', () => this.onLost(link, `serial port ${path} closed`));
    this.configurePins(link);
    this.retryDelay = this.opts.reconnect?.initialMs ?? 250;
    this.attempt = 0;
    const fw = io.firmware;
    this.opts.logger?.info(
      { event: 'io_board.connected', path, firmware: fw.name, version: fw.version, pins: io.pins.length },
      'I/O board connected',
    );
    this.setConn('connected');
    // Re-assert after every (re)connect: the board may have reset and dropped everything to LOW.
    this.writeRelays(link, [...this.relays.values()].filter((r) => !link.unusable.has(r.pin)));
    for (const relay of this.relays.values()) {
      if (link.unusable.has(relay.pin)) continue;
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

  private handshake(link: Link): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no Firmata handshake within ${this.opts.handshakeTimeoutMs ?? 5_000} ms`)),
        this.opts.handshakeTimeoutMs ?? 5_000,
      );
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

  private configurePins(link: Link): void {
    const { io, board } = link;
    const check = (pin: number, modes: number[], what: string): boolean => {
      const rec = io.pins[pin];
      const ok = rec !== undefined && modes.every((m) => rec.supportedModes.includes(m));
      if (!ok) {
        const why = `board has no ${what} pin ${pin} (it reports ${io.pins.length} pins)`;
        link.unusable.set(pin, why);
        this.opts.logger?.error({ event: 'io_board.bad_pin', pin, what }, why);
      }
      return ok;
    };
    for (const relay of this.relays.values()) {
      if (check(relay.pin, [PIN_MODE.OUTPUT], 'output')) board.pinMode(relay.pin, PIN_MODE.OUTPUT);
    }
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
    if (port.isOpen) {
      await new Promise<void>((resolve) => {
        const guard = setTimeout(resolve, 1_000);
        port.close(() => {
          clearTimeout(guard);
          resolve();
        });
      });
    }
  }
}
