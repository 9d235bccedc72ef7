import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { AtChannel, type AtAnswer, type AtUnsolicited } from './at-channel.js';
import { isRegistered, parseCmgs, parseCpin, parseCsq, parseRegistration, type FinalResult, type Registration, type SignalQuality } from './at-responses.js';
import { CME, cmeMeaning, cmsMeaning } from './cms-errors.js';
import { DeliveryTracker, type DeliveryOutcome } from './delivery-tracker.js';
import { SmsError } from './errors.js';
import type { SimStatus, SmsModem, SmsModemStatus, SmsSendOptions, SmsSendResult } from './sms-modem.js';
import { MAX_PARTS, planParts } from './split-text.js';
import { decodeStatusReport } from './status-report.js';
import { encodeSubmitPdu, PHONE_NUMBER } from './submit-pdu.js';
import { closeQuietly } from '../close-quietly.js';

export interface AtSmsModemOptions {
  readonly path: string;
  /** USB modems ignore it (the ACM/option port is virtual); 115200 is what their manuals quote. */
  readonly baudRate?: number;
  /** SIM PIN, entered when the SIM asks for it. Never retried after the SIM refused it. */
  readonly pin?: string;
  readonly commandTimeoutMs?: number;
  /** Wait for `> ` after AT+CMGS. */
  readonly promptTimeoutMs?: number;
  /** Wait for +CMGS after the PDU: the network answers, which can take tens of seconds. */
  readonly submitTimeoutMs?: number;
  /** Background reopen after a loss: first delay, doubled on each failure up to the max. */
  readonly reopenBackoffMs?: { readonly initial: number; readonly max: number };
  readonly presenceCheckMs?: number;
  /** How long a message waits for its delivery reports. */
  readonly deliveryTrackingMs?: number;
  /** Refuse to send (no_network) when neither +CREG nor +CEREG says registered. Default true. */
  readonly checkRegistration?: boolean;
  readonly bootBanners?: readonly string[];
  readonly logger?: Logger;
  readonly now?: () => number;
}

const DEFAULTS = {
  baudRate: 115_200,
  commandTimeoutMs: 5_000,
  promptTimeoutMs: 5_000,
  submitTimeoutMs: 60_000,
  reopenBackoffMs: { initial: 1_000, max: 60_000 },
  presenceCheckMs: 500,
  deliveryTrackingMs: 3 * 24 * 3600_000,
};

/** Errors no reopen can cure: a person has to act (enter the PUK, fix the PIN in the config). */
const NEEDS_A_PERSON = new Set(['pin_wrong', 'puk_required', 'pin_required', 'closed']);
const TRANSPORT = new Set(['timeout', 'modem_reset', 'port_lost', 'port_unavailable']);

/**
 * An SMS modem speaking AT commands (3GPP TS 27.005/27.007) in PDU mode on one serial port. One command in flight at
 * a time; the port is opened and the init dialogue run on first use, and again (with backoff) after the port was lost
 * or the modem restarted.
 */
export class AtSmsModem implements SmsModem {
  private readonly o: AtSmsModemOptions & typeof DEFAULTS;
  private readonly now: () => number;
  private port: SerialPort | undefined;
  private deviceId: number | undefined;
  private presenceTimer: NodeJS.Timeout | undefined;
  private channel: AtChannel | undefined;
  private ready = false;
  private sim: SimStatus = 'unknown';
  private signal: SignalQuality | undefined;
  private registration: { cs: Registration; eps: Registration } = { cs: 'unknown', eps: 'unknown' };
  private lastError: SmsError | undefined;
  private pinRefused = false;
  private queue: Promise<unknown> = Promise.resolve();
  private reopenTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private concatReference = Math.floor(Math.random() * 256);
  private messageSeq = 0;
  private readonly tracker: DeliveryTracker;
  private readonly listeners = new Set<(o: DeliveryOutcome) => void>();
  private closed = false;

  constructor(opts: AtSmsModemOptions) {
    this.o = { ...DEFAULTS, ...opts };
    this.now = opts.now ?? Date.now;
    this.backoffMs = this.o.reopenBackoffMs.initial;
    this.tracker = new DeliveryTracker(this.o.deliveryTrackingMs);
  }

  send(number: string, text: string, opts: SmsSendOptions = {}): Promise<SmsSendResult> {
    const invalid = (msg: string): Promise<SmsSendResult> =>
      Promise.resolve({ ok: false, error: new SmsError('invalid_input', msg), partsSent: 0, partsTotal: 0 });
    if (!PHONE_NUMBER.test(number)) return invalid(`not a phone number: ${JSON.stringify(number)}`);
    if (text.length === 0) return invalid('empty message');
    const plan = planParts(text, opts.encoding);
    if (plan.parts.length > MAX_PARTS) return invalid(`message needs ${plan.parts.length} parts, at most ${MAX_PARTS} can be linked`);
    return this.enqueue(async (): Promise<SmsSendResult> => {
      const partsTotal = plan.parts.length;
      const failed = (error: SmsError, partsSent: number): SmsSendResult => ({ ok: false, error, partsSent, partsTotal });
      try {
        await this.ensureReady();
        if (this.o.checkRegistration !== false) await this.refreshNetwork();
      } catch (err) {
        return failed(asSmsError(err), 0);
      }
      if (this.o.checkRegistration !== false && !isRegistered(this.bestRegistration())) {
        return failed(new SmsError('no_network', `modem not registered on a network (CS ${this.registration.cs}, EPS ${this.registration.eps})`), 0);
      }
      const reference = this.concatReference;
      this.concatReference = (this.concatReference + 1) & 0xff;
      const references: number[] = [];
      for (const [i, part] of plan.parts.entries()) {
        const pdu = encodeSubmitPdu({
          number,
          encoding: plan.encoding,
          text: part,
          requestReport: opts.requestReport ?? false,
          ...(partsTotal > 1 ? { concat: { reference, total: partsTotal, sequence: i + 1 } } : {}),
        });
        try {
          const answer = await this.requireChannel().submitPdu(`AT+CMGS=${pdu.tpduLength}`, pdu.hex, {
            promptTimeoutMs: this.o.promptTimeoutMs,
            answerTimeoutMs: this.o.submitTimeoutMs,
          });
          const mr = answer.lines.map(parseCmgs).find((r) => r !== undefined);
          if (answer.final.kind !== 'ok') return failed(errorOf(answer.final, `sending part ${i + 1}/${partsTotal}`), i);
          if (mr === undefined) return failed(new SmsError('modem_error', `modem answered OK without +CMGS for part ${i + 1}/${partsTotal}`), i);
          references.push(mr);
        } catch (err) {
          const e = asSmsError(err);
          this.lost(e);
          return failed(e, i);
        }
      }
      const messageId = `sms-${this.now()}-${++this.messageSeq}`;
      if (opts.requestReport) this.tracker.track(messageId, references, this.now());
      this.o.logger?.info({ event: 'sms.sent', path: this.o.path, messageId, parts: partsTotal, references }, 'SMS sent');
      return { ok: true, messageId, encoding: plan.encoding, references };
    });
  }

  status(): Promise<SmsModemStatus> {
    return this.enqueue(async () => {
      try {
        await this.ensureReady();
        await this.refreshNetwork();
      } catch (err) {
        this.lastError = asSmsError(err);
      }
      return this.snapshot();
    });
  }

  /** What the driver knows now, without asking the modem. */
  snapshot(): SmsModemStatus {
    return { ready: this.ready, sim: this.sim, signal: this.signal, registration: this.bestRegistration(), lastError: this.ready ? undefined : this.lastError };
  }

  onDelivery(listener: (outcome: DeliveryOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    const closed = new SmsError('closed', 'SMS modem driver closed');
    this.channel?.fail(closed);
    await this.queue;
    await this.dropPort(closed);
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private bestRegistration(): Registration {
    const { cs, eps } = this.registration;
    if (cs === 'home' || eps === 'home') return 'home';
    if (cs === 'roaming' || eps === 'roaming') return 'roaming';
    return cs === 'unknown' ? eps : cs;
  }

  private requireChannel(): AtChannel {
    if (!this.channel) throw new SmsError('port_lost', `serial port ${this.o.path} is not open`);
    return this.channel;
  }

  private async at(command: string, expectPrefix?: string): Promise<AtAnswer> {
    return this.requireChannel().command(command, { timeoutMs: this.o.commandTimeoutMs, ...(expectPrefix ? { expectPrefix } : {}) });
  }

  /** Runs a command that must answer OK. */
  private async atOk(command: string, expectPrefix?: string): Promise<AtAnswer> {
    const a = await this.at(command, expectPrefix);
    if (a.final.kind !== 'ok') throw errorOf(a.final, command);
    return a;
  }

  // ---- opening and the init dialogue ----

  private async ensureReady(): Promise<void> {
    if (this.closed) throw new SmsError('closed', 'SMS modem driver is closed');
    if (this.ready && this.port) return;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    try {
      if (!this.port) await this.openPort();
      await this.initialise();
      this.ready = true;
      this.lastError = undefined;
      this.backoffMs = this.o.reopenBackoffMs.initial;
      this.o.logger?.info({ event: 'sms.modem_ready', path: this.o.path, sim: this.sim, registration: this.bestRegistration() }, 'SMS modem ready');
    } catch (err) {
      const e = asSmsError(err);
      this.lastError = e;
      if (TRANSPORT.has(e.code)) this.lost(e);
      else this.scheduleReopen();
      throw e;
    }
  }

  private async initialise(): Promise<void> {
    this.ready = false;
    // A modem that just enumerated may miss the first AT, and one left in the PDU prompt needs an ESC first.
    await this.channelWrite('\x1b');
    let synced: AtAnswer | undefined;
    for (let i = 0; i < 3 && !synced; i++) {
      synced = await this.at('AT').catch((e: unknown) => {
        if (asSmsError(e).code !== 'timeout' || i === 2) throw e;
        return undefined;
      });
    }
    await this.atOk('ATE0');
    await this.atOk('AT+CMEE=1');
    await this.unlockSim();
    await this.atOk('AT+CMGF=0');
    // ds=1: status reports straight to us as +CDS; modems that cannot do that store them (ds=2, +CDSI).
    const cnmi = await this.at('AT+CNMI=2,1,0,1,0');
    if (cnmi.final.kind !== 'ok') await this.atOk('AT+CNMI=2,1,0,2,0');
    await this.refreshNetwork();
  }

  private async unlockSim(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const a = await this.at('AT+CPIN?', '+CPIN:');
      if (a.final.kind === 'cme' && (a.final.code === CME.simNotInserted || a.final.code === CME.simFailure)) {
        this.sim = 'absent';
        throw new SmsError('no_sim', `no usable SIM: ${cmeMeaning(a.final.code).meaning}`, { cme: { code: a.final.code, ...cmeMeaning(a.final.code) } });
      }
      if (a.final.kind === 'cme' && a.final.code === CME.simBusy && attempt < 5) {
        await sleep(500);
        continue;
      }
      if (a.final.kind !== 'ok') throw errorOf(a.final, 'AT+CPIN?');
      const state = a.lines.map(parseCpin).find((s) => s !== undefined) ?? 'other_lock';
      this.sim = state;
      if (state === 'ready') return;
      if (state === 'puk_required') throw new SmsError('puk_required', 'the SIM is locked: it needs its PUK');
      if (state !== 'pin_required') throw new SmsError('modem_error', `SIM locked in a way the driver cannot unlock (${a.lines.join(' ')})`);
      if (this.o.pin === undefined) throw new SmsError('pin_required', 'the SIM asks for a PIN and none is configured');
      if (this.pinRefused) throw new SmsError('pin_wrong', 'the SIM refused the configured PIN before; not trying it again');
      if (attempt > 5) throw new SmsError('modem_error', 'the SIM still asks for its PIN after it was accepted');
      const entered = await this.at(`AT+CPIN="${this.o.pin}"`);
      if (entered.final.kind === 'cme' && entered.final.code === CME.incorrectPassword) {
        this.pinRefused = true;
        throw new SmsError('pin_wrong', 'the SIM refused the configured PIN', { cme: { code: CME.incorrectPassword, ...cmeMeaning(CME.incorrectPassword) } });
      }
      if (entered.final.kind !== 'ok') throw errorOf(entered.final, 'AT+CPIN=<pin>');
    }
  }

  private async refreshNetwork(): Promise<void> {
    const csq = await this.at('AT+CSQ', '+CSQ:');
    this.signal = csq.lines.map(parseCsq).find((s) => s !== undefined) ?? this.signal;
    const creg = await this.at('AT+CREG?', '+CREG:');
    this.registration.cs = creg.lines.map((l) => parseRegistration(l, 'answer')?.state).find((s) => s !== undefined) ?? 'unknown';
    // 2G/3G-only modems answer ERROR to +CEREG?.
    const cereg = await this.at('AT+CEREG?', '+CEREG:');
    this.registration.eps = cereg.lines.map((l) => parseRegistration(l, 'answer')?.state).find((s) => s !== undefined) ?? 'unknown';
  }

  // ---- unsolicited results ----

  private onUnsolicited(urc: AtUnsolicited): void {
    if (urc.kind === 'pdu') {
      if (urc.header.startsWith('+CDS:')) this.onStatusReport(urc.pdu);
      return;
    }
    const reg = parseRegistration(urc.text, 'urc');
    if (reg) {
      if (reg.command === 'CREG') this.registration.cs = reg.state;
      if (reg.command === 'CEREG') this.registration.eps = reg.state;
      return;
    }
    const stored = /^\+CDSI:\s*"?(\w+)"?\s*,\s*(\d+)$/.exec(urc.text);
    if (stored) {
      void this.enqueue(() => this.fetchStoredReport(stored[1] ?? 'SM', Number(stored[2])));
      return;
    }
    this.o.logger?.debug({ event: 'sms.urc', path: this.o.path, line: urc.text }, 'unsolicited result');
  }

  private async fetchStoredReport(memory: string, index: number): Promise<void> {
    if (!this.ready) return;
    try {
      await this.atOk(`AT+CPMS="${memory}"`);
      const read = await this.atOk(`AT+CMGR=${index}`, '+CMGR:');
      const pdu = read.lines.find((l) => /^[0-9A-Fa-f]+$/.test(l));
      await this.at(`AT+CMGD=${index}`);
      if (pdu) this.onStatusReport(pdu);
    } catch (err) {
      this.o.logger?.warn({ event: 'sms.report_read_failed', path: this.o.path, index, err: String(err) }, 'could not read a stored status report');
    }
  }

  private onStatusReport(pdu: string): void {
    const report = decodeStatusReport(pdu);
    if (!report) {
      this.o.logger?.warn({ event: 'sms.bad_report', path: this.o.path, pdu }, 'unreadable status report');
      return;
    }
    const outcome = this.tracker.onReport(report, this.now());
    if (!outcome) return;
    for (const l of [...this.listeners]) l(outcome);
  }

  // ---- the port ----

  private channelWrite(data: string): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new SmsError('port_lost', `serial port ${this.o.path} is not open`));
    return new Promise<void>((resolve, reject) => {
      port.write(data, 'latin1', (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
    });
  }

  private async openPort(): Promise<void> {
    const port = new SerialPort({ path: this.o.path, baudRate: this.o.baudRate, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw new SmsError('port_unavailable', `cannot open ${this.o.path}: ${(err as Error).message}`);
    }
    this.deviceId = (await stat(this.o.path).catch(() => undefined))?.rdev;
    this.port = port;
    const channel = new AtChannel({
      write: (data) => (this.port === port ? this.channelWrite(data) : Promise.reject(new Error('port replaced'))),
      onUnsolicited: (u) => this.onUnsolicited(u),
      onBootBanner: (line) => this.onBootBanner(line),
      ...(this.o.bootBanners ? { bootBanners: this.o.bootBanners } : {}),
    });
    this.channel = channel;
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) channel.push(chunk.toString('latin1'));
    });
    // An 'error' without a listener would crash the process.
    port.on('error', (err) => {
      if (this.port === port) this.lost(new SmsError('port_lost', `serial port ${this.o.path} failed: ${err.message}`));
    });
    port.on('close', () => {
      if (this.port === port) this.lost(new SmsError('port_lost', `serial port ${this.o.path} closed`));
    });
    // A hung-up tty can leave serialport reading nothing for ever without an event: watch the device node.
    this.presenceTimer = setInterval(() => {
      void stat(this.o.path).then(
        (now) => {
          if (this.port === port && now.rdev !== this.deviceId) this.lost(new SmsError('port_lost', `serial device ${this.o.path} was replaced`));
        },
        () => {
          if (this.port === port) this.lost(new SmsError('port_lost', `serial device ${this.o.path} disappeared`));
        },
      );
    }, this.o.presenceCheckMs);
    this.presenceTimer.unref();
  }

  private onBootBanner(line: string): void {
    this.o.logger?.warn({ event: 'sms.modem_reset', path: this.o.path, line }, 'SMS modem restarted');
    this.ready = false;
    this.sim = 'unknown';
    this.lastError = new SmsError('modem_reset', `the modem restarted (printed ${JSON.stringify(line)})`);
    this.scheduleReopen();
  }

  /** The modem cannot be trusted to be where the init dialogue left it: start again (port too, when it went away). */
  private lost(err: SmsError): void {
    this.ready = false;
    this.lastError = err;
    if (err.code === 'port_lost' || err.code === 'port_unavailable') void this.dropPort(err);
    else this.scheduleReopen();
  }

  private async dropPort(reason: SmsError): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.deviceId = undefined;
    this.ready = false;
    clearInterval(this.presenceTimer);
    this.channel?.fail(reason);
    this.channel = undefined;
    if (port) {
      if (reason.code !== 'closed') this.o.logger?.warn({ event: 'sms.port_lost', path: this.o.path, err: reason.message }, 'SMS modem port lost');
      if (port.isOpen) await closeQuietly(port);
    }
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopenTimer || (this.lastError && NEEDS_A_PERSON.has(this.lastError.code))) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.reopenBackoffMs.max);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      void this.enqueue(() => this.ensureReady()).catch(() => undefined);
    }, delay);
    this.reopenTimer.unref();
  }
}

function errorOf(final: FinalResult, what: string): SmsError {
  switch (final.kind) {
    case 'cms': {
      const m = cmsMeaning(final.code);
      const code = final.code === 310 ? 'no_sim' : final.code === 331 ? 'no_network' : 'cms_error';
      return new SmsError(code, `${what}: +CMS ERROR ${final.code} (${m.meaning})`, { cms: { code: final.code, ...m } });
    }
    case 'cme': {
      const m = cmeMeaning(final.code);
      const code = final.code === CME.simNotInserted ? 'no_sim' : final.code === CME.simPinRequired ? 'pin_required' : final.code === CME.noNetworkService ? 'no_network' : 'modem_error';
      return new SmsError(code, `${what}: +CME ERROR ${final.code} (${m.meaning})`, { cme: { code: final.code, ...m } });
    }
    default:
      return new SmsError('modem_error', `${what}: the modem answered ERROR`);
  }
}

function asSmsError(err: unknown): SmsError {
  return err instanceof SmsError ? err : new SmsError('modem_error', String(err));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

