import type { SerialPort } from 'serialport';
import { closeSimPort, openSimPort } from '../../sim/sim-port.js';
import {
  BX_CMD,
  BxPayloadError,
  buildStatusData,
  parseDynamicTextData,
  type BxCommandCode,
  type BxDisplayMode,
  type BxGeometryReading,
  type BxRunMode,
  type BxSoundMode,
  type BxTextAlign,
  type BxTextEncoding,
  type BxVerticalAlign,
} from '../bx-commands.js';
import { BROADCAST_ADDRESS, BxFrameParser, DEFAULT_DST, FLAG_REPLY_REQUIRED, encodeFrame, type BxPacket } from '../bx-frame.js';

/**
 * A BX-5K/6K board at the byte level, on the far end of a serial line (usually a socat pty). It reads frames byte by
 * byte, drops damaged ones without answering (as a board does), answers like a board when asked to, and records
 * what it would show. Used by tests and by the demo; it has no notion of alarms.
 */

export interface BxSimulatorOptions {
  readonly path: string;
  readonly baudRate?: number;
  /** The board's own address; it also accepts the broadcast address. */
  readonly address?: number;
  readonly encoding?: BxTextEncoding;
  readonly now?: () => number;
  readonly status?: { readonly screenOn: boolean; readonly brightness: number };
  /**
   * How this board reads AreaX/AreaWidth: 'published' (default) is the protocol's §9.1 — bit 15 set = pixels, clear =
   * bytes of 8 pixels; 'plain-pixels' is the reading Onbon's 2021 Java sample assumes for 6K boards (no flag, pixels).
   */
  readonly geometry?: BxGeometryReading;
  /** Screen size in pixels. When given, an area that does not fit on the screen is refused (as a misread area would be). */
  readonly screen?: { readonly width: number; readonly height: number };
}

export type BxSimulatorBehaviour =
  | { readonly kind: 'normal' }
  /** Reads nothing, answers nothing (dead board, broken cable). */
  | { readonly kind: 'silent' }
  /** Refuses every command with this CmdError and changes nothing. */
  | { readonly kind: 'refuse'; readonly cmdError: number }
  /** Works, but line noise precedes every answer. */
  | { readonly kind: 'noisy'; readonly noise: Uint8Array };

export interface BxShownText {
  readonly areaId: number;
  readonly text: string;
  readonly displayMode: BxDisplayMode;
  readonly runMode: BxRunMode;
  /** Where the area is, in pixels, as this board read the geometry. */
  readonly region: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** The unit x and width arrived in ('pixel': bit 15 set, or the plain-pixel reading; 'byte': 8-pixel units). */
  readonly unit: 'pixel' | 'byte';
  /** AreaX, AreaY, AreaWidth, AreaHeight as they arrived. */
  readonly rawGeometry: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** TextAlignment byte, bits 1–0. */
  readonly align: BxTextAlign;
  /** TextAlignment byte, bits 3–2. */
  readonly verticalAlign: BxVerticalAlign;
  readonly soundMode: BxSoundMode;
  readonly extendParaLen: number;
  readonly speed: number;
  readonly stayTime: number;
  /** UTC ms. */
  readonly shownAt: number;
}

export type BxSimulatorEvent =
  | { readonly kind: 'text'; readonly at: number; readonly shown: BxShownText }
  | { readonly kind: 'clear'; readonly at: number }
  | { readonly kind: 'refused'; readonly at: number; readonly cmdGroup: number; readonly cmd: number; readonly reason: string };

export interface BxSimulatorStats {
  readonly framesAccepted: number;
  readonly framesRejected: number;
  readonly garbageBytes: number;
  readonly replies: number;
  /** Every byte that arrived, even while silent. */
  readonly bytesReceived: number;
}

/** CmdError the simulator uses for a payload it cannot read. Best effort: real codes are not documented here. */
export const SIM_CMD_ERROR_BAD_PAYLOAD = 0x05;
export const SIM_CMD_ERROR_UNKNOWN_COMMAND = 0x01;

export class BxSimulator {
  private port: SerialPort | undefined;
  private readonly parser = new BxFrameParser();
  private behaviour: BxSimulatorBehaviour = { kind: 'normal' };
  private readonly shown = new Map<number, BxShownText>();
  private readonly events: BxSimulatorEvent[] = [];
  private readonly listeners = new Set<(ev: BxSimulatorEvent) => void>();
  private counts = { framesAccepted: 0, framesRejected: 0, garbageBytes: 0, replies: 0, bytesReceived: 0 };
  private readonly address: number;
  private readonly encoding: BxTextEncoding;
  private readonly now: () => number;
  private status: { screenOn: boolean; brightness: number };

  private constructor(private readonly opts: BxSimulatorOptions) {
    this.address = opts.address ?? DEFAULT_DST;
    this.encoding = opts.encoding ?? 'gb2312';
    this.now = opts.now ?? Date.now;
    this.status = { ...(opts.status ?? { screenOn: true, brightness: 15 }) };
  }

  static async open(opts: BxSimulatorOptions): Promise<BxSimulator> {
    const sim = new BxSimulator(opts);
    await sim.openPort();
    return sim;
  }

  setBehaviour(b: BxSimulatorBehaviour): void {
    this.behaviour = b;
  }

  /** What each dynamic area shows now. */
  display(): ReadonlyMap<number, BxShownText> {
    return new Map(this.shown);
  }

  /** Text of one area now, or undefined when it is blank. */
  textOf(areaId = 0): string | undefined {
    return this.shown.get(areaId)?.text;
  }

  history(): readonly BxSimulatorEvent[] {
    return [...this.events];
  }

  /** Calls `listener` with each event as it is added to history(). Returns a function that removes it. A listener must not throw. */
  onEvent(listener: (ev: BxSimulatorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): BxSimulatorStats {
    return { ...this.counts };
  }

  /** Opens the device again (after the line was recreated). */
  async reopen(): Promise<void> {
    await this.closePort();
    await this.openPort();
  }

  async close(): Promise<void> {
    await this.closePort();
  }

  private async openPort(): Promise<void> {
    const port = await openSimPort(this.opts.path, this.opts.baudRate ?? 9600, (p, chunk) => this.onData(p, chunk));
    this.port = port;
  }

  private closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    return closeSimPort(port);
  }


  private onData(port: SerialPort, chunk: Buffer): void {
    if (port !== this.port) return;
    this.counts.bytesReceived += chunk.length;
    if (this.behaviour.kind === 'silent') return;
    for (const ev of this.parser.push(chunk)) {
      if (ev.kind === 'garbage') this.counts.garbageBytes += ev.bytes;
      else if (ev.kind === 'rejected') this.counts.framesRejected++;
      else this.handle(port, ev.packet);
    }
  }

  private handle(port: SerialPort, req: BxPacket): void {
    if (req.dst !== this.address && req.dst !== BROADCAST_ADDRESS) return;
    this.counts.framesAccepted++;
    const at = this.now();
    if (this.behaviour.kind === 'refuse') {
      this.record({ kind: 'refused', at, cmdGroup: req.cmdGroup, cmd: req.cmd, reason: 'told to refuse' });
      this.reply(port, req, BX_CMD.nack, this.behaviour.cmdError, new Uint8Array());
      return;
    }
    const is = (c: BxCommandCode): boolean => req.cmdGroup === c.cmdGroup && req.cmd === c.cmd;
    if (is(BX_CMD.dynamicText)) {
      try {
        const { areas } = parseDynamicTextData(req.data, this.encoding, { geometry: this.opts.geometry ?? 'published' });
        // A board checks the whole command before showing any of it.
        for (const a of areas) this.checkFits(a);
        for (const a of areas) {
          const shown: BxShownText = {
            areaId: a.areaId,
            text: a.text,
            displayMode: a.displayMode,
            runMode: a.runMode,
            region: { x: a.x, y: a.y, width: a.width, height: a.height },
            unit: a.unit,
            rawGeometry: a.rawGeometry,
            align: a.align,
            verticalAlign: a.verticalAlign,
            soundMode: a.soundMode,
            extendParaLen: a.extendParaLen,
            speed: a.speed,
            stayTime: a.stayTime,
            shownAt: at,
          };
          this.shown.set(a.areaId, shown);
          this.record({ kind: 'text', at, shown });
        }
      } catch (err) {
        if (!(err instanceof BxPayloadError)) throw err;
        this.record({ kind: 'refused', at, cmdGroup: req.cmdGroup, cmd: req.cmd, reason: err.message });
        this.reply(port, req, BX_CMD.nack, SIM_CMD_ERROR_BAD_PAYLOAD, new Uint8Array());
        return;
      }
      this.reply(port, req, BX_CMD.ack, 0, new Uint8Array());
    } else if (is(BX_CMD.clear)) {
      this.shown.clear();
      this.record({ kind: 'clear', at });
      this.reply(port, req, BX_CMD.ack, 0, new Uint8Array());
    } else if (is(BX_CMD.status)) {
      this.reply(port, req, BX_CMD.ack, 0, buildStatusData(this.status));
    } else if (is(BX_CMD.ping)) {
      this.reply(port, req, BX_CMD.ack, 0, new Uint8Array());
    } else {
      this.record({ kind: 'refused', at, cmdGroup: req.cmdGroup, cmd: req.cmd, reason: 'unknown command' });
      this.reply(port, req, BX_CMD.nack, SIM_CMD_ERROR_UNKNOWN_COMMAND, new Uint8Array());
    }
  }

  private checkFits(a: { areaId: number; x: number; y: number; width: number; height: number }): void {
    const screen = this.opts.screen;
    if (!screen) return;
    if (a.width === 0 || a.height === 0 || a.x + a.width > screen.width || a.y + a.height > screen.height) {
      throw new BxPayloadError(
        `area ${a.areaId} at ${a.x},${a.y} size ${a.width}×${a.height} px does not fit the ${screen.width}×${screen.height} screen`,
      );
    }
  }

  private record(ev: BxSimulatorEvent): void {
    this.events.push(ev);
    for (const l of [...this.listeners]) l(ev);
  }

  private reply(port: SerialPort, req: BxPacket, code: BxCommandCode, cmdError: number, data: Uint8Array): void {
    if (req.flag !== FLAG_REPLY_REQUIRED) return;
    this.counts.replies++;
    if (this.behaviour.kind === 'noisy') port.write(Buffer.from(this.behaviour.noise));
    port.write(
      encodeFrame({
        dst: req.src,
        src: this.address,
        devType: req.devType,
        protoVer: req.protoVer,
        cmdGroup: code.cmdGroup,
        cmd: code.cmd,
        flag: cmdError,
        data,
      }),
    );
  }
}
