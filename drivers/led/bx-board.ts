import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import {
  BX_CMD,
  BxPayloadError,
  buildDynamicTextData,
  parseStatusData,
  type BxCommandCode,
  type BxDisplayMode,
  type BxTextEncoding,
} from './bx-commands.js';
import {
  BROADCAST_ADDRESS,
  BxFrameParser,
  DEFAULT_DEV_TYPE,
  DEFAULT_DST,
  DEFAULT_PROTO_VER,
  DEFAULT_SRC,
  FLAG_NO_REPLY,
  FLAG_REPLY_REQUIRED,
  encodeFrame,
  type BxPacket,
} from './bx-frame.js';
import {
  LedBoardError,
  type LedBoard,
  type LedBoardStatus,
  type LedAlign,
  type LedEffect,
  type LedResult,
  type LedTextOptions,
} from './led-board.js';
import { closeQuietly } from '../close-quietly.js';

export interface BxBoardOptions {
  readonly path: string;
  /** Not defaulted: boards ship at 57600 or 9600 depending on model and setup. */
  readonly baudRate: number;
  /** Screen size in pixels (the default region for text). */
  readonly screen: { readonly width: number; readonly height: number };
  /** The board's address (dst). */
  readonly address?: number;
  /** Our address (src); replies come back to it. */
  readonly src?: number;
  readonly devType?: number;
  readonly protoVer?: number;
  readonly encoding?: BxTextEncoding;
  /** 'pixel' for BX-6K (bit 15 set on x and width), 'byte' (8-pixel units) for BX-5K; see bx-commands.ts. */
  readonly unit?: 'pixel' | 'byte';
  /** Horizontal text alignment sent with every text unless a call says otherwise (default left: byte 00, as before). */
  readonly align?: LedAlign;
  /** Ask the board to answer each command and wait for the answer (default true). */
  readonly requireReply?: boolean;
  readonly replyTimeoutMs?: number;
  /** How often the device node is checked while open. */
  readonly presenceCheckMs?: number;
  readonly logger?: Logger;
}

const DEFAULT_REPLY_TIMEOUT_MS = 1_000;
const DEFAULT_PRESENCE_CHECK_MS = 500;
/** Seconds a text stays up without refresh: effectively "until replaced or cleared". */
const HOLD_TIMEOUT_SECONDS = 0xffff;

const EFFECT_MODES: Record<LedEffect, BxDisplayMode> = {
  static: 'static',
  'scroll-left': 'scrollLeft',
  'scroll-up': 'scrollUp',
};

interface ReplyWaiter {
  accept(packet: BxPacket): boolean;
  fail(err: LedBoardError): void;
}

/**
 * One BX-5K/6K board on one serial port. Commands go out one at a time; the port is opened on first use and
 * reopened on the next command after it was lost (adapter pulled, device node replaced).
 */
export class BxBoard implements LedBoard {
  private readonly dst: number;
  private readonly src: number;
  private readonly devType: number;
  private readonly protoVer: number;
  private readonly encoding: BxTextEncoding;
  private readonly unit: 'pixel' | 'byte';
  private readonly align: LedAlign;
  private readonly requireReply: boolean;
  private readonly replyTimeoutMs: number;
  private port: SerialPort | undefined;
  private deviceId: number | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private parser = new BxFrameParser();
  private waiter: ReplyWaiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: BxBoardOptions) {
    this.dst = opts.address ?? DEFAULT_DST;
    this.src = opts.src ?? DEFAULT_SRC;
    this.devType = opts.devType ?? DEFAULT_DEV_TYPE;
    this.protoVer = opts.protoVer ?? DEFAULT_PROTO_VER;
    this.encoding = opts.encoding ?? 'gb2312';
    this.unit = opts.unit ?? 'pixel';
    this.align = opts.align ?? 'left';
    this.requireReply = opts.requireReply ?? true;
    this.replyTimeoutMs = opts.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  }

  showText(text: string, opts: LedTextOptions = {}): Promise<LedResult> {
    const region = opts.region ?? { x: 0, y: 0, width: this.opts.screen.width, height: this.opts.screen.height };
    let data: Buffer;
    try {
      data = buildDynamicTextData({
        areaId: opts.area ?? 0,
        ...region,
        unit: this.unit,
        displayMode: EFFECT_MODES[opts.effect ?? 'static'],
        runMode: 'loop',
        timeoutSeconds: HOLD_TIMEOUT_SECONDS,
        lineSpacing: 0,
        singleLine: false,
        autoWrap: true,
        exitMode: 0,
        speed: opts.speed ?? 1,
        stayTime: 10,
        text,
        encoding: this.encoding,
        align: opts.align ?? this.align,
      });
    } catch (err) {
      if (err instanceof BxPayloadError) return Promise.resolve(failed(new LedBoardError('invalid_input', err.message), false));
      throw err;
    }
    return this.command(BX_CMD.dynamicText, data).then(withoutValue);
  }

  clear(): Promise<LedResult> {
    return this.command(BX_CMD.clear, new Uint8Array()).then(withoutValue);
  }

  ping(): Promise<LedResult> {
    return this.command(BX_CMD.ping, new Uint8Array(), true).then(withoutValue);
  }

  async status(): Promise<LedResult<LedBoardStatus>> {
    const r = await this.command(BX_CMD.status, new Uint8Array(), true);
    if (!r.acknowledged) return r;
    try {
      const s = parseStatusData(r.value.data);
      return { acknowledged: true, value: { screenOn: s.screenOn, brightness: s.brightness } };
    } catch (err) {
      return failed(new LedBoardError('bad_reply', `status reply unreadable: ${(err as Error).message}`), true);
    }
  }

  /**
   * Sends one command and, when a reply is asked for, waits for it. Queries (ping, status) always ask for a reply.
   * Resolves with the board's reply packet when it acknowledged.
   */
  command(code: BxCommandCode, data: Uint8Array, forceReply = false): Promise<LedResult<BxPacket>> {
    const run = (): Promise<LedResult<BxPacket>> => this.exchange(code, data, forceReply || this.requireReply);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    // A command waiting for a long reply timeout must not hold up shutdown.
    this.waiter?.fail(new LedBoardError('closed', 'LED board driver closed'));
    await this.queue;
    await this.dropPort(new LedBoardError('closed', 'LED board driver closed'));
  }

  private async exchange(code: BxCommandCode, data: Uint8Array, wantReply: boolean): Promise<LedResult<BxPacket>> {
    if (this.closed) return failed(new LedBoardError('closed', 'LED board driver is closed'), false);
    let port: SerialPort;
    try {
      port = await this.openPort();
    } catch (err) {
      return failed(err as LedBoardError, false);
    }
    const frame = encodeFrame({
      dst: this.dst,
      src: this.src,
      devType: this.devType,
      protoVer: this.protoVer,
      cmdGroup: code.cmdGroup,
      cmd: code.cmd,
      flag: wantReply ? FLAG_REPLY_REQUIRED : FLAG_NO_REPLY,
      data,
    });
    // Whatever arrived before the command (a late answer to an earlier one, noise) cannot be its answer.
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    this.parser = new BxFrameParser();
    const reply = wantReply ? this.awaitReply() : undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        port.write(frame, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
      });
    } catch (err) {
      const lost = new LedBoardError('port_lost', `writing to ${this.opts.path} failed: ${String(err)}`);
      this.waiter?.fail(lost);
      await reply?.catch(() => undefined);
      await this.dropPort(lost);
      return failed(lost, false);
    }
    if (!reply) return { acknowledged: false, sent: true };
    try {
      return this.interpret(await reply);
    } catch (err) {
      const e = err as LedBoardError;
      this.opts.logger?.warn({ event: 'led.bx.no_reply', path: this.opts.path, code: e.code, err: e.message }, 'LED board did not answer');
      return failed(e, true);
    }
  }

  private interpret(reply: BxPacket): LedResult<BxPacket> {
    const refused = reply.cmdGroup === BX_CMD.nack.cmdGroup && reply.cmd === BX_CMD.nack.cmd;
    if (refused || reply.flag !== 0) {
      return failed(new LedBoardError('refused', `board refused the command (CmdError 0x${reply.flag.toString(16).padStart(2, '0')})`), true);
    }
    return { acknowledged: true, value: reply };
  }

  private awaitReply(): Promise<BxPacket> {
    return new Promise<BxPacket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new LedBoardError('timeout', `no answer from the LED board on ${this.opts.path} within ${this.replyTimeoutMs} ms`));
      }, this.replyTimeoutMs);
      this.waiter = {
        // Our own frame echoed by a half-duplex adapter, or another board's traffic, is not addressed to us.
        accept: (p) => {
          if (p.dst !== this.src) return false;
          if (this.dst !== BROADCAST_ADDRESS && p.src !== this.dst) return false;
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(p);
          return true;
        },
        fail: (err) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(err);
        },
      };
    });
  }

  private onData(chunk: Buffer): void {
    for (const ev of this.parser.push(chunk)) {
      if (ev.kind === 'packet') {
        if (!this.waiter?.accept(ev.packet)) {
          this.opts.logger?.debug({ event: 'led.bx.unexpected_frame', path: this.opts.path, cmdGroup: ev.packet.cmdGroup, cmd: ev.packet.cmd }, 'frame nobody waits for');
        }
      } else if (ev.kind === 'rejected') {
        this.opts.logger?.debug({ event: 'led.bx.bad_frame', path: this.opts.path, reason: ev.error.reason }, ev.error.message);
      }
    }
  }

  private async openPort(): Promise<SerialPort> {
    if (this.port) {
      // The presence timer may not have fired yet: check now so a replaced device is never written to.
      const now = await stat(this.opts.path).catch(() => undefined);
      if (now && now.rdev === this.deviceId && this.port.isOpen) return this.port;
      await this.dropPort(new LedBoardError('port_lost', `serial device ${this.opts.path} ${now ? 'was replaced' : 'disappeared'}`));
    }
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw new LedBoardError('port_unavailable', `cannot open ${this.opts.path}: ${(err as Error).message}`);
    }
    const device = await stat(this.opts.path).catch(() => undefined);
    this.port = port;
    this.deviceId = device?.rdev;
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.onData(chunk);
    });
    // An 'error' without a listener would crash the process.
    port.on('error', (err) => {
      if (this.port === port) void this.dropPort(new LedBoardError('port_lost', `serial port ${this.opts.path} failed: ${err.message}`));
    });
    port.on('close', () => {
      if (this.port === port) void this.dropPort(new LedBoardError('port_lost', `serial port ${this.opts.path} closed`));
    });
    // A hung-up tty can leave serialport reading zero bytes for ever without an event: watch the device node.
    this.presenceTimer = setInterval(() => {
      void stat(this.opts.path).then(
        (now) => {
          if (this.port === port && now.rdev !== this.deviceId) void this.dropPort(new LedBoardError('port_lost', `serial device ${this.opts.path} was replaced`));
        },
        () => {
          if (this.port === port) void this.dropPort(new LedBoardError('port_lost', `serial device ${this.opts.path} disappeared`));
        },
      );
    }, this.opts.presenceCheckMs ?? DEFAULT_PRESENCE_CHECK_MS);
    this.presenceTimer.unref();
    this.opts.logger?.info({ event: 'led.bx.port_open', path: this.opts.path }, 'LED board port open');
    return port;
  }

  private async dropPort(reason: LedBoardError): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = undefined;
    this.deviceId = undefined;
    clearInterval(this.presenceTimer);
    this.waiter?.fail(reason);
    if (reason.code !== 'closed') this.opts.logger?.warn({ event: 'led.bx.port_lost', path: this.opts.path, err: reason.message }, 'LED board port lost');
    if (port.isOpen) await closeQuietly(port);
  }
}


function failed(error: LedBoardError, sent: boolean): { acknowledged: false; sent: boolean; error: LedBoardError } {
  return { acknowledged: false, sent, error };
}

function withoutValue(r: LedResult<BxPacket>): LedResult {
  return r.acknowledged ? { acknowledged: true, value: undefined } : r;
}
