import { parse, Submit, utils } from 'node-pdu';
import type { SerialPort } from 'serialport';
import { closeSimPort, openSimPort } from '../../sim/sim-port.js';
import { Reassembler, type ReassembledMessage, type ReceivedPart } from './reassembly.js';
import { buildStatusReportPdu } from './status-report-pdu.js';

/**
 * A USB SMS modem at the byte level, on the far end of a serial line (usually a socat pty). It answers the AT
 * dialogue of 3GPP TS 27.005/27.007 in PDU mode, decodes each SMS-SUBMIT with node-pdu (not with the driver's
 * encoder), reassembles concatenated parts and records the messages. It can fail the ways real modems do.
 */

export interface SmsModemSimOptions {
  readonly path: string;
  readonly baudRate?: number;
  /** When set the SIM starts locked and wants this PIN. */
  readonly pin?: string;
  readonly simPresent?: boolean;
  /** <stat> of +CREG/+CEREG: 1 home, 5 roaming, 0 not registered, 2 searching, 3 denied. */
  readonly registration?: number;
  /** <rssi> of +CSQ, 0–31 or 99. */
  readonly rssi?: number;
  readonly bootBanner?: string;
  readonly now?: () => number;
}

export type SmsModemSimEvent =
  | { readonly kind: 'command'; readonly at: number; readonly command: string }
  | { readonly kind: 'part'; readonly at: number; readonly part: ReceivedPart }
  | { readonly kind: 'message'; readonly at: number; readonly message: ReassembledMessage }
  | { readonly kind: 'refused'; readonly at: number; readonly cms: number; readonly reason: string }
  | { readonly kind: 'report'; readonly at: number; readonly reference: number; readonly status: number }
  | { readonly kind: 'reset'; readonly at: number; readonly mode: 'banner' | 'drop' };

export interface SmsModemSimFaults {
  /** Answer +CMS ERROR: <cms> to the Nth PDU from now (1 = the next one). */
  readonly cmsOnPdu?: { readonly nth: number; readonly cms: number };
  /** Answer +CMS ERROR: <cms> to every PDU (credit exhausted, barred). */
  readonly cmsOnEveryPdu?: number;
  /** Restart on the Nth PDU from now: print the boot banner and forget every setting, or drop the line. */
  readonly resetOnPdu?: { readonly nth: number; readonly mode: 'banner' | 'drop' };
  /** Never answer the PDU (the +CMGS answer goes missing). */
  readonly silentAfterPdu?: boolean;
  /** Answer nothing at all. */
  readonly silent?: boolean;
  /** Delay every answer. */
  readonly answerDelayMs?: number;
  /** URC lines written inside every answer, before its final result code (and before the `> ` prompt). */
  readonly interleavedUrcs?: readonly string[];
  /** After each PDU that asks for a report, send +CDS with this TP-ST after delayMs. */
  readonly autoReport?: { readonly status: number; readonly delayMs: number };
}

interface ModemSettings {
  echo: boolean;
  cmee: number;
  cmgf: number;
  pinLocked: boolean;
  pinTriesLeft: number;
}

export class SmsModemSim {
  private port: SerialPort | undefined;
  private input = '';
  /** Set while AT+CMGS waits for its PDU: the length it declared. */
  private pduLength: number | undefined;
  private settings: ModemSettings;
  private simPresent: boolean;
  private registration: number;
  private rssi: number;
  private faults: SmsModemSimFaults = {};
  private pduCount = 0;
  private nextMr = 0;
  private readonly reassembler = new Reassembler();
  private readonly events: SmsModemSimEvent[] = [];
  private readonly listeners = new Set<(ev: SmsModemSimEvent) => void>();
  private readonly now: () => number;

  private constructor(private readonly opts: SmsModemSimOptions) {
    this.now = opts.now ?? Date.now;
    this.simPresent = opts.simPresent ?? true;
    this.registration = opts.registration ?? 1;
    this.rssi = opts.rssi ?? 20;
    this.settings = this.bootSettings();
  }

  static async open(opts: SmsModemSimOptions): Promise<SmsModemSim> {
    const sim = new SmsModemSim(opts);
    await sim.openPort();
    return sim;
  }

  /** Replaces the fault set; counts (`nth`) start from now. */
  setFaults(f: SmsModemSimFaults): void {
    this.faults = f;
    this.pduCount = 0;
  }

  setSimPresent(present: boolean): void {
    this.simPresent = present;
  }

  setRegistration(stat: number): void {
    this.registration = stat;
  }

  setSignal(rssi: number): void {
    this.rssi = rssi;
  }

  /** Writes one URC line now, whatever is going on. */
  sendUrc(line: string): void {
    this.write(`\r\n${line}\r\n`);
  }

  /** Sends a status report (+CDS, TS 27.005 §3.4.1) for a message reference. */
  sendDeliveryReport(reference: number, status = 0x00, recipient?: string): void {
    const to = recipient ?? this.partsReceived().find((p) => p.messageReference === reference)?.number ?? '10086';
    const pdu = buildStatusReportPdu({ reference, recipient: to, status, at: new Date(this.now()) });
    this.record({ kind: 'report', at: this.now(), reference, status });
    this.write(`\r\n+CDS: ${pdu.tpduLength}\r\n${pdu.hex}\r\n`);
  }

  /** Whole messages received, in the order they completed. */
  messages(): ReassembledMessage[] {
    return this.events.flatMap((e) => (e.kind === 'message' ? [e.message] : []));
  }

  partsReceived(): ReceivedPart[] {
    return this.events.flatMap((e) => (e.kind === 'part' ? [e.part] : []));
  }

  commands(): string[] {
    return this.events.flatMap((e) => (e.kind === 'command' ? [e.command] : []));
  }

  history(): readonly SmsModemSimEvent[] {
    return [...this.events];
  }

  /** Calls `listener` with each event as it is recorded. Returns a function that removes it. */
  onEvent(listener: (ev: SmsModemSimEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens the device again (after the line was recreated); the modem boots as if power-cycled. */
  async reopen(): Promise<void> {
    await this.closePort();
    this.settings = this.bootSettings();
    this.input = '';
    this.pduLength = undefined;
    await this.openPort();
  }

  close(): Promise<void> {
    return this.closePort();
  }

  private bootSettings(): ModemSettings {
    return { echo: true, cmee: 0, cmgf: 1, pinLocked: this.opts.pin !== undefined, pinTriesLeft: 3 };
  }

  private async openPort(): Promise<void> {
    const port = await openSimPort(this.opts.path, this.opts.baudRate ?? 115_200, (p, chunk) => {
      if (p === this.port) this.onData(chunk.toString('latin1'));
    });
    this.port = port;
  }

  private closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    return closeSimPort(port);
  }


  private write(s: string): void {
    this.port?.write(Buffer.from(s, 'latin1'));
  }

  private record(ev: SmsModemSimEvent): void {
    this.events.push(ev);
    for (const l of [...this.listeners]) l(ev);
  }

  private onData(chunk: string): void {
    if (this.faults.silent) return;
    for (const ch of chunk) {
      if (this.pduLength !== undefined) {
        if (ch === '\x1a') this.onPdu(this.input.trim());
        else if (ch === '\x1b') {
          this.pduLength = undefined;
          this.input = '';
          this.answer([], 'OK');
        } else this.input += ch;
        continue;
      }
      if (this.settings.echo) this.write(ch);
      if (ch === '\r') {
        const line = this.input.trim();
        this.input = '';
        if (line) this.onCommand(line);
      } else if (ch !== '\n' && ch !== '\x1b') this.input += ch;
    }
  }

  /** Writes information lines, the interleaved URCs, then the final result code, after the configured delay. */
  private answer(lines: readonly string[], final: string): void {
    const text = [...lines, ...(this.faults.interleavedUrcs ?? []), final].map((l) => `\r\n${l}\r\n`).join('');
    const delay = this.faults.answerDelayMs ?? 0;
    if (delay > 0) setTimeout(() => this.write(text), delay);
    else this.write(text);
  }

  private cme(code: number): string {
    return this.settings.cmee === 0 ? 'ERROR' : `+CME ERROR: ${code}`;
  }

  private onCommand(raw: string): void {
    this.record({ kind: 'command', at: this.now(), command: raw });
    const cmd = raw.toUpperCase();
    const s = this.settings;
    const simProblem = !this.simPresent ? 10 : s.pinLocked ? 11 : undefined;
    if (cmd === 'AT') return this.answer([], 'OK');
    if (cmd === 'ATE0' || cmd === 'ATE1') {
      s.echo = cmd === 'ATE1';
      return this.answer([], 'OK');
    }
    let m = /^AT\+CMEE=(\d)$/.exec(cmd);
    if (m) {
      s.cmee = Number(m[1]);
      return this.answer([], 'OK');
    }
    if (cmd === 'AT+CPIN?') {
      if (!this.simPresent) return this.answer([], this.cme(10));
      const state = !s.pinLocked ? 'READY' : s.pinTriesLeft > 0 ? 'SIM PIN' : 'SIM PUK';
      return this.answer([`+CPIN: ${state}`], 'OK');
    }
    m = /^AT\+CPIN="?(\d+)"?$/.exec(cmd);
    if (m) {
      if (!this.simPresent) return this.answer([], this.cme(10));
      if (!s.pinLocked) return this.answer([], this.cme(3));
      if (s.pinTriesLeft <= 0) return this.answer([], this.cme(12));
      if (m[1] === this.opts.pin) {
        s.pinLocked = false;
        return this.answer([], 'OK');
      }
      s.pinTriesLeft--;
      return this.answer([], this.cme(16));
    }
    m = /^AT\+CMGF=(\d)$/.exec(cmd);
    if (m) {
      s.cmgf = Number(m[1]);
      return this.answer([], 'OK');
    }
    if (/^AT\+CNMI=[\d,]*$/.test(cmd) || /^AT\+C(E)?REG=\d$/.test(cmd)) return this.answer([], 'OK');
    if (cmd === 'AT+CSQ') return this.answer([`+CSQ: ${this.rssi},99`], 'OK');
    m = /^AT\+(CREG|CEREG)\?$/.exec(cmd);
    if (m) {
      const stat = simProblem !== undefined ? 0 : this.registration;
      return this.answer([`+${m[1]}: 0,${stat}`], 'OK');
    }
    m = /^AT\+CMGS=(\d+)$/.exec(cmd);
    if (m) {
      if (simProblem !== undefined) return this.answer([], `+CMS ERROR: ${simProblem === 10 ? 310 : 311}`);
      if (s.cmgf !== 0) return this.answer([], '+CMS ERROR: 302');
      this.pduLength = Number(m[1]);
      this.input = '';
      for (const u of this.faults.interleavedUrcs ?? []) this.write(`\r\n${u}\r\n`);
      this.write('\r\n> ');
      return;
    }
    return this.answer([], 'ERROR');
  }

  private onPdu(hex: string): void {
    const declared = this.pduLength ?? 0;
    this.pduLength = undefined;
    this.input = '';
    this.pduCount++;
    const f = this.faults;
    const at = this.now();
    if (f.resetOnPdu && f.resetOnPdu.nth === this.pduCount) return this.restart(f.resetOnPdu.mode);
    if (f.silentAfterPdu) return;
    const refuse = (cms: number, reason: string): void => {
      this.record({ kind: 'refused', at, cms, reason });
      this.answer([], `+CMS ERROR: ${cms}`);
    };
    if (f.cmsOnEveryPdu !== undefined) return refuse(f.cmsOnEveryPdu, 'told to refuse every PDU');
    if (f.cmsOnPdu && f.cmsOnPdu.nth === this.pduCount) return refuse(f.cmsOnPdu.cms, `told to refuse PDU ${this.pduCount}`);
    if (this.registration !== 1 && this.registration !== 5) return refuse(331, 'not registered');
    let part: ReceivedPart;
    try {
      part = this.decodePart(hex, declared, at);
    } catch (err) {
      return refuse(304, `unreadable PDU: ${(err as Error).message}`);
    }
    this.record({ kind: 'part', at, part });
    const message = this.reassembler.add(part);
    if (message) this.record({ kind: 'message', at, message });
    this.answer([`+CMGS: ${part.messageReference}`], 'OK');
    const auto = f.autoReport;
    if (auto && part.statusReportRequested) setTimeout(() => this.sendDeliveryReport(part.messageReference, auto.status, part.number), auto.delayMs);
  }

  private decodePart(hex: string, declared: number, at: number): ReceivedPart {
    if (!/^([0-9A-Fa-f]{2})+$/.test(hex)) throw new Error('not hex');
    const scaOctets = 1 + parseInt(hex.slice(0, 2), 16);
    const tpduOctets = hex.length / 2 - scaOctets;
    // TS 27.005 §3.5.1: <length> counts the TPDU only; a mismatch is how modems catch a botched PDU.
    if (tpduOctets !== declared) throw new Error(`AT+CMGS=${declared} but the TPDU has ${tpduOctets} octets`);
    const pdu = parse(hex);
    if (!(pdu instanceof Submit)) throw new Error('not an SMS-SUBMIT');
    const header = pdu.data.parts[0]?.header ?? null;
    const alphabet = pdu.dataCodingScheme.textAlphabet;
    const total = header?.getSegments();
    const sequence = header?.getCurrent();
    const reference = header?.getPointer();
    const phone = pdu.address.phone ?? '';
    const international = pdu.address.type.type === utils.SCAType.TYPE_INTERNATIONAL;
    const mr = this.nextMr;
    this.nextMr = (this.nextMr + 1) & 0xff;
    return {
      number: international ? `+${phone.replace(/^\+/, '')}` : phone,
      text: pdu.data.getText(),
      encoding: alphabet === utils.DCS.ALPHABET_UCS2 ? 'ucs2' : alphabet === utils.DCS.ALPHABET_8BIT ? '8bit' : 'gsm7',
      ...(header && total !== undefined && sequence !== undefined && reference !== undefined ? { concat: { reference, total, sequence } } : {}),
      statusReportRequested: pdu.type.statusReportRequest === 1,
      messageReference: mr,
      at,
    };
  }

  private restart(mode: 'banner' | 'drop'): void {
    this.record({ kind: 'reset', at: this.now(), mode });
    this.settings = this.bootSettings();
    this.input = '';
    this.pduLength = undefined;
    this.faults = { ...this.faults, resetOnPdu: undefined };
    if (mode === 'drop') {
      void this.closePort();
      return;
    }
    setTimeout(() => this.write(`\r\n${this.opts.bootBanner ?? 'RDY'}\r\n`), 50);
  }
}
