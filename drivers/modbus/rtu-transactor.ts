import type { LateReplyGuard } from './late-reply-guard.js';
import {
  answers,
  buildReadRequest,
  charsMs,
  EXCEPTION_BYTES,
  findFrames,
  hasHeaderOf,
  interFrameMs,
  REQUEST_BYTES,
  replyBytes,
  type CharFormat,
  type FoundFrame,
  type RtuRead,
} from './rtu-frame.js';
import { exceptionMessage } from './exception-message.js';
import { ModbusError } from './types.js';

export interface RtuTransactorOptions {
  readonly format: CharFormat;
  readonly timeoutMs: number;
  readonly guard: LateReplyGuard;
  /** Puts bytes on the line. */
  readonly write: (frame: Buffer) => void;
  /**
   * Whether bytes cross a real UART at the configured baud. Then a reply that is complete sooner than request and
   * reply could cross the wire was already on its way before the request: it is drained, never taken. A pty
   * delivers at memory speed, so there the check is off.
   */
  readonly physical: boolean;
  /** Monotonic milliseconds. */
  readonly now?: () => number;
  /** Told of frames drained with no request waiting for them, for logs. */
  readonly onStray?: (event: StrayFrameEvent) => void;
}

export interface StrayFrameEvent {
  readonly slave: number;
  readonly functionCode: number;
  /**
   * Why it was not taken. `damaged`: no whole frame, but bytes starting with the unit id of a slave whose late
   * answer was awaited, taken for that answer (`functionCode` is then the byte after the unit id).
   */
  readonly reason: 'no_request' | 'other_request' | 'too_early' | 'damaged';
  /** Set when it came after its slave's late-reply window (which has now been widened). */
  readonly lateByMs?: number;
}

/** Bytes kept while looking for a frame; a read reply is at most 255 bytes. */
const MAX_RX_BYTES = 1024;
/**
 * A frame in progress has gaps of at most 1.5 characters on the wire, but USB adapters and the OS hand bytes over
 * in bursts (an FTDI latency timer is 16 ms): a shorter silence than this does not end a frame here.
 */
const MIN_FRAME_GAP_MS = 20;

interface Current {
  readonly req: RtuRead;
  readonly deadline: number;
  /** Before this a whole reply cannot have crossed the wire (physical lines only). */
  readonly earliest: number;
  bytesSeen: number;
  /** Bytes starting with the slave's unit id came and made no frame: probably its answer, damaged. */
  heardDamaged: boolean;
  readonly settle: (outcome: { values: number[] } | { error: ModbusError }) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The master's side of one RTU line: one transaction at a time, each reply found by content (unit, function,
 * byte count, CRC) anywhere in what came back, a frame missing bytes judged by the silence after it, and every
 * byte that is nobody's answer drained and accounted to the late-reply guard.
 *
 * The answer of a slave the guard holds unconfirmed (its last window ran out unheard) may be that late answer:
 * it ends the transaction at once with kind `unconfirmed` (the line is free for other slaves) and is handed to the
 * guard, which keeps the slave aside until its second frame is drained or the request's window has passed; the
 * bus then asks again.
 */
export class RtuTransactor {
  private rx: Buffer = Buffer.alloc(0);
  private lastRxAt = -Infinity;
  private lineFreeAt = -Infinity;
  private current: Current | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly frameGapMs: number;
  private readonly t35Ms: number;

  constructor(private readonly opts: RtuTransactorOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.t35Ms = interFrameMs(opts.format);
    this.frameGapMs = Math.max(MIN_FRAME_GAP_MS, Math.ceil(this.t35Ms));
  }

  /** Feed every byte the port receives. */
  receive(chunk: Buffer): void {
    this.lastRxAt = this.now();
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk]);
    if (this.rx.length > MAX_RX_BYTES) this.rx = this.rx.subarray(this.rx.length - MAX_RX_BYTES);
    if (this.current) this.current.bytesSeen += chunk.length;
    this.scan();
    this.armSilence();
  }

  async transact(read: RtuRead): Promise<number[]> {
    if (this.current) throw new ModbusError('other', 'RTU transactor: a transaction is already in flight');
    await this.waitForQuietLine();
    this.drainAll();
    const request = buildReadRequest(read);
    const sentAt = this.now();
    const deadline = sentAt + this.opts.timeoutMs;
    const wireMs = charsMs(this.opts.format, REQUEST_BYTES + Math.min(replyBytes(read.count), EXCEPTION_BYTES));
    this.lineFreeAt = sentAt + charsMs(this.opts.format, REQUEST_BYTES);
    this.opts.guard.sent(read.slave, deadline);
    return new Promise<number[]>((resolve, reject) => {
      this.current = {
        req: read,
        deadline,
        earliest: this.opts.physical ? sentAt + wireMs : -Infinity,
        bytesSeen: 0,
        heardDamaged: false,
        settle: (outcome) => {
          this.current = undefined;
          clearTimeout(this.deadlineTimer);
          if ('values' in outcome) resolve(outcome.values);
          else reject(outcome.error);
        },
      };
      this.deadlineTimer = setTimeout(() => this.onDeadline(), this.opts.timeoutMs);
      try {
        this.opts.write(request);
      } catch (err) {
        this.fail(new ModbusError('port', `write failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }

  /** Ends a transaction in flight (the port went away, or the bus stops). */
  abort(err: ModbusError): void {
    this.fail(err);
  }

  dispose(): void {
    clearTimeout(this.silenceTimer);
    clearTimeout(this.deadlineTimer);
  }

  // ---- receiving ----

  /**
   * Takes every whole frame out of the buffer: the answer to the request in flight, or strays to drain. Whole
   * frames after the answer are nobody's and drained at once: one may be the second answer a probe waits for.
   */
  private scan(): void {
    const frames = findFrames(this.rx);
    if (frames.length === 0) return;
    for (const f of frames) {
      const cur = this.current;
      if (cur && answers(f, cur.req)) {
        if (this.now() < cur.earliest) this.stray(f, 'too_early');
        else this.take(cur, f);
        continue;
      }
      this.stray(f, cur ? 'other_request' : 'no_request');
    }
    this.rx = this.rx.subarray(frames[frames.length - 1]?.end ?? 0);
  }

  private take(cur: Current, f: FoundFrame): void {
    const { guard } = this.opts;
    if (guard.unconfirmed(f.slave)) {
      // Possibly the answer owed from before the silence, not this request's: not believed (see LateReplyGuard).
      guard.probeAnswered(f.slave, this.now(), cur.deadline);
      cur.settle({
        error: new ModbusError(
          'unconfirmed',
          `slave ${f.slave} answered after a silence: maybe late, to an earlier request; asked again once that is settled`,
        ),
      });
      return;
    }
    if (f.exceptionCode !== undefined) {
      cur.settle({ error: new ModbusError('exception', exceptionMessage(f.exceptionCode), f.exceptionCode) });
    } else {
      cur.settle({ values: f.values ?? [] });
    }
  }

  private stray(f: FoundFrame, reason: StrayFrameEvent['reason']): void {
    // A too-early frame answers the request now in flight by its fields, so it is no proof its slave's late answer is in.
    const lateByMs = reason === 'too_early' ? undefined : this.opts.guard.strayFrom(f.slave, this.now());
    this.opts.onStray?.({ slave: f.slave, functionCode: f.functionCode, reason, ...(lateByMs === undefined ? {} : { lateByMs }) });
  }

  private armSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.onSilence(), this.frameGapMs);
  }

  /** The line fell quiet: whatever bytes are left can no longer become a whole frame. */
  private onSilence(): void {
    const cur = this.current;
    const left = this.rx;
    this.rx = Buffer.alloc(0);
    if (left.length === 0) return;
    if (cur && this.fromSlave(left, cur.req)) {
      // The slave answered (line time spent, the slave alive), but not with a whole, valid frame.
      cur.settle({ error: new ModbusError('crc', `bad or incomplete reply (${left.length} bytes, ${describe(left, cur.req)})`) });
      return;
    }
    // Otherwise noise, or another slave's damaged frame: keep waiting for ours until the deadline.
    if (cur && left[0] === cur.req.slave) cur.heardDamaged = true;
    else this.drainDamaged(left);
  }

  /**
   * Bytes left over that are no whole frame and not the request's in flight: when they start with the unit id of a
   * slave whose late answer the guard awaits, they are that answer, damaged on the line, and end the wait as a
   * whole frame would. Only the first byte counts: inside a frame, data bytes can look like anything.
   */
  private drainDamaged(bytes: Buffer): void {
    const [slave, fc] = bytes;
    if (slave === undefined || fc === undefined || bytes.length < 3) return;
    const counted = this.opts.guard.damagedFrom(slave, this.now());
    if (counted) this.opts.onStray?.({ slave, functionCode: fc, reason: 'damaged', ...counted });
  }

  private onDeadline(): void {
    const cur = this.current;
    if (!cur) return;
    const left = this.rx;
    if (left.length > 0 && this.fromSlave(left, cur.req)) {
      this.rx = Buffer.alloc(0);
      cur.settle({ error: new ModbusError('crc', `bad or incomplete reply before the timeout (${left.length} bytes)`) });
      return;
    }
    // Nothing of ours came: the answer may still be on its way, so this slave is left alone until it lands or cannot.
    this.opts.guard.unanswered(cur.req.slave, cur.deadline, cur.heardDamaged || left[0] === cur.req.slave);
    const stray = cur.bytesSeen > 0 ? ` (${cur.bytesSeen} stray bytes ignored)` : '';
    cur.settle({ error: new ModbusError('timeout', `no reply before timeout${stray}`) });
  }

  /** Whether leftover bytes are (a damaged copy of) a frame from the slave asked. */
  private fromSlave(bytes: Buffer, req: RtuRead): boolean {
    if (hasHeaderOf(bytes, req)) return true;
    // One damaged header byte: the length and the rest of the header still say whose it is.
    const whole = bytes.length === replyBytes(req.count) || bytes.length === EXCEPTION_BYTES;
    return whole && (bytes[0] === req.slave || bytes[1] === req.functionCode || bytes[2] === 2 * req.count);
  }

  private fail(err: ModbusError): void {
    this.current?.settle({ error: err });
  }

  // ---- sending ----

  /** Modbus needs 3.5 characters of silence before a frame; bytes still arriving put the request off. */
  private async waitForQuietLine(): Promise<void> {
    const giveUpAt = this.now() + this.opts.timeoutMs;
    for (;;) {
      const quietAt = Math.max(this.lastRxAt + this.t35Ms, this.lineFreeAt + this.t35Ms);
      const wait = quietAt - this.now();
      if (wait <= 0 || this.now() >= giveUpAt) return;
      await preciseSleep(wait);
    }
  }

  /** Before a request: bytes still held belong to nobody; whole frames among them are drained to the guard first. */
  private drainAll(): void {
    this.scan();
    const left = this.rx;
    this.rx = Buffer.alloc(0);
    this.drainDamaged(left);
  }
}

/** setTimeout is late by a millisecond or so; at 9600 baud a character is 1.04 ms, so the last stretch is polled. */
async function preciseSleep(ms: number): Promise<void> {
  const end = performance.now() + ms;
  if (ms > 2) await sleep(ms - 1.5);
  while (performance.now() < end) await new Promise<void>((r) => setImmediate(r));
}

function describe(bytes: Buffer, req: RtuRead): string {
  const expected = replyBytes(req.count);
  if (bytes.length < expected) return `${expected - bytes.length} missing`;
  return 'CRC error';
}
