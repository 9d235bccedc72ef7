import { AtLineReader, type AtLineEvent } from './at-lines.js';
import { isBootBanner, isUrc, parseFinalResult, type FinalResult } from './at-responses.js';
import { SmsError } from './errors.js';

/**
 * One AT command in flight on a modem line: writes it, gathers its information lines until the final result code,
 * and hands everything else (URCs, two-line PDU URCs, a boot banner) to the caller. Knows nothing of SMS policy.
 */

export interface AtAnswer {
  readonly final: FinalResult;
  /** Information lines of the answer (URCs excluded), in order. */
  readonly lines: readonly string[];
}

export type AtUnsolicited = { readonly kind: 'line'; readonly text: string } | { readonly kind: 'pdu'; readonly header: string; readonly pdu: string };

export interface AtChannelOptions {
  /** Writes to the line; rejects when the port failed. */
  readonly write: (data: string) => Promise<void>;
  readonly onUnsolicited: (urc: AtUnsolicited) => void;
  /** The modem printed its boot banner: whatever was in flight failed, and the modem's settings are gone. */
  readonly onBootBanner: (line: string) => void;
  readonly bootBanners?: readonly string[];
}

interface InFlight {
  readonly command: string;
  readonly expectPrefix: string | undefined;
  readonly lines: string[];
  /** Set while AT+CMGS waits for `> `: what to write then. */
  payload: string | undefined;
  readonly answerTimeoutMs: number;
  readonly resolve: (a: AtAnswer) => void;
  readonly reject: (e: SmsError) => void;
  timer: NodeJS.Timeout | undefined;
}

const CTRL_Z = '\x1a';
const ESC = '\x1b';

export class AtChannel {
  private readonly reader = new AtLineReader();
  private inFlight: InFlight | undefined;

  constructor(private readonly opts: AtChannelOptions) {}

  /** Feeds bytes read from the port. */
  push(chunk: string): void {
    for (const ev of this.reader.push(chunk)) this.handle(ev);
    if (this.inFlight?.payload !== undefined) for (const ev of this.reader.flushPrompt()) this.handle(ev);
  }

  /** Runs one command (without the trailing CR) and resolves with its answer; rejects with SmsError 'timeout' etc. */
  command(command: string, opts: { readonly timeoutMs: number; readonly expectPrefix?: string }): Promise<AtAnswer> {
    return this.run(command, undefined, opts.expectPrefix, opts.timeoutMs, opts.timeoutMs);
  }

  /**
   * AT+CMGS in PDU mode: the command, then `> `, then the PDU and Ctrl-Z, then +CMGS: <mr> and OK (or an error).
   * Waits `promptTimeoutMs` for the prompt (cancelling with ESC if it does not come), then `answerTimeoutMs`.
   */
  submitPdu(command: string, pduHex: string, opts: { readonly promptTimeoutMs: number; readonly answerTimeoutMs: number }): Promise<AtAnswer> {
    return this.run(command, pduHex, '+CMGS:', opts.promptTimeoutMs, opts.answerTimeoutMs);
  }

  /** Fails whatever is in flight (port lost, driver closing) and forgets partial input. */
  fail(err: SmsError): void {
    this.reader.reset();
    this.settle()?.reject(err);
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  private run(command: string, payload: string | undefined, expectPrefix: string | undefined, firstTimeoutMs: number, answerTimeoutMs: number): Promise<AtAnswer> {
    if (this.inFlight) return Promise.reject(new SmsError('modem_error', `AT command ${command} issued while ${this.inFlight.command} is in flight`));
    return new Promise<AtAnswer>((resolve, reject) => {
      const flight: InFlight = { command, expectPrefix, lines: [], payload, answerTimeoutMs, resolve, reject, timer: undefined };
      this.inFlight = flight;
      this.arm(flight, firstTimeoutMs, payload !== undefined ? 'the > prompt' : 'an answer');
      this.opts.write(`${command}\r`).catch((err: unknown) => {
        if (this.inFlight === flight) this.fail(new SmsError('port_lost', `writing ${command} failed: ${String(err)}`));
      });
    });
  }

  private arm(flight: InFlight, ms: number, what: string): void {
    clearTimeout(flight.timer);
    flight.timer = setTimeout(() => {
      if (this.inFlight !== flight) return;
      // A modem left waiting for a PDU would take our next command as one: ESC cancels the message (TS 27.005 §3.5.1).
      if (flight.payload !== undefined) void this.opts.write(ESC).catch(() => undefined);
      this.settle()?.reject(new SmsError('timeout', `no ${what} to ${flight.command} within ${ms} ms`));
    }, ms);
  }

  private settle(): InFlight | undefined {
    const f = this.inFlight;
    this.inFlight = undefined;
    if (f) clearTimeout(f.timer);
    return f;
  }

  private handle(ev: AtLineEvent): void {
    const f = this.inFlight;
    if (ev.kind === 'pdu-urc') {
      this.opts.onUnsolicited({ kind: 'pdu', header: ev.header, pdu: ev.pdu });
      return;
    }
    if (ev.kind === 'prompt') {
      if (f?.payload === undefined) return;
      const payload = f.payload;
      f.payload = undefined;
      this.arm(f, f.answerTimeoutMs, 'answer');
      this.opts.write(payload + CTRL_Z).catch((err: unknown) => {
        if (this.inFlight === f) this.fail(new SmsError('port_lost', `writing the PDU failed: ${String(err)}`));
      });
      return;
    }
    const line = ev.text;
    if (isBootBanner(line, this.opts.bootBanners)) {
      this.reader.reset();
      this.settle()?.reject(new SmsError('modem_reset', `the modem restarted (printed ${JSON.stringify(line)})${f ? ` during ${f.command}` : ''}`));
      this.opts.onBootBanner(line);
      return;
    }
    if (!f) {
      this.opts.onUnsolicited({ kind: 'line', text: line });
      return;
    }
    // With echo on (before ATE0 takes effect) the modem repeats what we wrote.
    if (line === f.command) return;
    const final = parseFinalResult(line);
    if (final) {
      // A final result while still waiting for the prompt is the refusal of AT+CMGS itself.
      this.settle()?.resolve({ final, lines: f.lines });
      return;
    }
    if (isUrc(line, f.expectPrefix)) {
      this.opts.onUnsolicited({ kind: 'line', text: line });
      return;
    }
    f.lines.push(line);
  }
}
