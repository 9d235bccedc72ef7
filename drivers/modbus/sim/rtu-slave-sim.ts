import { crcOk, withCrc } from '../rtu-frame.js';

/**
 * A byte-level Modbus RTU slave (one or more unit ids behind one RS-485 drop) for the simulated line in
 * paced-line.ts. It does no I/O and reads no clock: the line hands it each chunk with the times the chunk occupied
 * the wire, and it answers with the bytes to send and the earliest time they may start on the wire. All times are
 * nanoseconds on the caller's clock.
 *
 * What it does, as a real slave does:
 * - frames a request by its expected length (8 bytes for FC1-6; 9 + byte count for FC15/16) and CRC; a frame of
 *   another function code ends at 3.5 characters of silence (the line calls `silence()`);
 * - drops a frame whose characters are more than 1.5 characters apart, or whose CRC is wrong;
 * - answers 3.5 characters after the end of the request (the end-of-frame silence a real slave waits for);
 * - FC3/FC4: the registers, exception 2 if any asked register is not defined, exception 3 for a count outside
 *   1..125; any other function code: exception 1;
 * - stays silent for units it does not have and for broadcasts (unit 0).
 * With `strictSilence` (the Modbus serial-line state machine) it is also deaf until 3.5 characters of silence
 * after its own reply: characters that start earlier are lost and each one restarts the wait, so a master that
 * does not leave the inter-frame silence loses its request.
 */

/** Start address (decimal) -> consecutive 16-bit words, as in the pymodbus test slave's map. */
export type SimRegisterBlocks = Record<string, readonly number[]>;

export interface SimUnit {
  readonly holding?: SimRegisterBlocks;
  readonly input?: SimRegisterBlocks;
}

/** Unit id (1..247) -> its registers. Units not listed never answer. */
export type SimUnitMap = Record<string, SimUnit>;

export type SimRegisterTable = 'holding' | 'input';

export interface RtuSlaveSimOptions {
  readonly units: SimUnitMap;
  /** Wire time of one character (bits per character / baud), in ns. */
  readonly charNs: number;
  /** Be deaf for 3.5 characters after each own reply (see above). Default false: such requests are only counted. */
  readonly strictSilence?: boolean;
}

export interface RtuSlaveStats {
  /** Well-formed request frames with a good CRC, to any unit. */
  requests: number;
  /** Normal replies sent. */
  replies: number;
  /** Exception replies sent. */
  exceptions: number;
  /** Frames dropped for a bad CRC. */
  crcErrors: number;
  /** Frames dropped for a gap of more than 1.5 characters inside them, or cut short by silence. */
  brokenFrames: number;
  /** Good requests to a unit this slave does not have, or broadcasts: no answer. */
  ignored: number;
  /** Requests whose first character started less than 3.5 characters after this slave's previous reply ended. */
  earlyRequests: number;
  /** Characters lost because they arrived while deaf (strictSilence only). */
  lostChars: number;
}

export interface SlaveReply {
  readonly bytes: Buffer;
  /** Earliest start on the wire: 3.5 characters after the request's last character. */
  readonly notBeforeNs: number;
}

export function zeroSlaveStats(): RtuSlaveStats {
  return { requests: 0, replies: 0, exceptions: 0, crcErrors: 0, brokenFrames: 0, ignored: 0, earlyRequests: 0, lostChars: 0 };
}

type Table = Map<number, number>;

function tablesOf(unit: SimUnit): { holding: Table; input: Table } {
  const build = (blocks: SimRegisterBlocks | undefined): Table => {
    const t: Table = new Map();
    for (const [start, words] of Object.entries(blocks ?? {})) {
      const base = Number(start);
      if (!Number.isInteger(base) || base < 0 || base > 0xffff) throw new Error(`bad register address "${start}"`);
      words.forEach((w, i) => t.set(base + i, w & 0xffff));
    }
    return t;
  };
  return { holding: build(unit.holding), input: build(unit.input) };
}

/** Request length from its first bytes, or undefined while not yet known; 'silence' = ends only at silence. */
function expectedLength(buf: Buffer): number | 'silence' | undefined {
  if (buf.length < 2) return undefined;
  const fc = buf[1]!;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length < 7 ? undefined : 9 + buf[6]!;
  return 'silence';
}

export class RtuSlaveSim {
  private readonly units = new Map<number, { holding: Table; input: Table }>();
  private readonly charNs: number;
  private readonly strict: boolean;
  private buf: Buffer = Buffer.alloc(0);
  /** End of the last character received (ns), -Infinity before any. */
  private lastCharEndNs = -Infinity;
  /** Start of the first character of the frame being received. */
  private frameStartNs = 0;
  /** End of this slave's last reply on the wire. */
  private lastReplyEndNs = -Infinity;
  /** strictSilence: characters starting before this are lost. */
  private deafUntilNs = -Infinity;
  private counts = zeroSlaveStats();

  constructor(opts: RtuSlaveSimOptions) {
    this.charNs = opts.charNs;
    this.strict = opts.strictSilence ?? false;
    this.setUnits(opts.units);
  }

  /** Replaces every unit. */
  setUnits(units: SimUnitMap): void {
    this.units.clear();
    for (const [id, unit] of Object.entries(units)) this.units.set(Number(id), tablesOf(unit));
  }

  /** Writes consecutive registers of a unit (creating the unit if needed). */
  setRegisters(unit: number, table: SimRegisterTable, address: number, values: readonly number[]): void {
    let u = this.units.get(unit);
    if (!u) {
      u = { holding: new Map(), input: new Map() };
      this.units.set(unit, u);
    }
    const t = u[table];
    values.forEach((v, i) => t.set(address + i, v & 0xffff));
  }

  /** Removes a unit: it stops answering. */
  removeUnit(unit: number): void {
    this.units.delete(unit);
  }

  stats(): RtuSlaveStats {
    return { ...this.counts };
  }

  resetStats(): void {
    this.counts = zeroSlaveStats();
  }

  /** Bytes of a frame still being received (the line then calls `silence()` once the wire is quiet). */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /** The time by which, if nothing more arrives, the pending frame ends by silence. */
  get silenceAtNs(): number {
    return this.lastCharEndNs + 3.5 * this.charNs;
  }

  /** Tells the slave when its reply's last character left the wire (the line may have started it late). */
  transmitted(endNs: number): void {
    this.lastReplyEndNs = Math.max(this.lastReplyEndNs, endNs);
    if (this.strict) this.deafUntilNs = Math.max(this.deafUntilNs, endNs + 3.5 * this.charNs);
  }

  /**
   * A chunk whose characters occupied the wire back to back from `startNs`. Returns the replies due (at most one
   * per complete request).
   */
  receive(chunk: Buffer, startNs: number): SlaveReply[] {
    const replies: SlaveReply[] = [];
    const c = this.charNs;
    for (let i = 0; i < chunk.length; i++) {
      const charStart = startNs + i * c;
      const charEnd = charStart + c;
      if (this.strict && charStart < this.deafUntilNs) {
        // Not idle yet: the character is lost and the 3.5-character wait starts again after it.
        this.counts.lostChars++;
        this.deafUntilNs = charEnd + 3.5 * c;
        this.dropPartial();
        this.lastCharEndNs = charEnd;
        continue;
      }
      if (this.buf.length > 0 && charStart - this.lastCharEndNs > 1.5 * c) {
        // The frame in progress ended by silence (or was broken by a gap): settle it before this character.
        const r = this.endBySilence();
        if (r) replies.push(r);
      }
      if (this.buf.length === 0) this.frameStartNs = charStart;
      this.buf = Buffer.concat([this.buf, chunk.subarray(i, i + 1)]);
      this.lastCharEndNs = charEnd;
      const want = expectedLength(this.buf);
      if (typeof want === 'number' && this.buf.length >= want) {
        const frame = this.buf;
        this.buf = Buffer.alloc(0);
        const r = this.handle(frame, charEnd);
        if (r) replies.push(r);
      }
    }
    return replies;
  }

  /** The wire has been quiet since the last character for at least 3.5 characters (`silenceAtNs`). */
  silence(): SlaveReply | undefined {
    if (this.buf.length === 0) return undefined;
    return this.endBySilence();
  }

  private endBySilence(): SlaveReply | undefined {
    const frame = this.buf;
    this.buf = Buffer.alloc(0);
    if (expectedLength(frame) === 'silence') return this.handle(frame, this.lastCharEndNs);
    // A frame of known length that stopped short: broken, dropped without a word.
    this.counts.brokenFrames++;
    return undefined;
  }

  private dropPartial(): void {
    if (this.buf.length > 0) this.counts.brokenFrames++;
    this.buf = Buffer.alloc(0);
  }

  private handle(frame: Buffer, endNs: number): SlaveReply | undefined {
    if (!crcOk(frame)) {
      this.counts.crcErrors++;
      return undefined;
    }
    this.counts.requests++;
    if (this.frameStartNs - this.lastReplyEndNs < 3.5 * this.charNs) this.counts.earlyRequests++;
    const unitId = frame[0]!;
    const fc = frame[1]!;
    const unit = this.units.get(unitId);
    if (unitId === 0 || !unit) {
      this.counts.ignored++;
      return undefined;
    }
    const notBeforeNs = endNs + 3.5 * this.charNs;
    const exception = (code: number): SlaveReply => {
      this.counts.exceptions++;
      return { bytes: withCrc([unitId, fc | 0x80, code]), notBeforeNs };
    };
    if (fc !== 3 && fc !== 4) return exception(1);
    const address = frame.readUInt16BE(2);
    const count = frame.readUInt16BE(4);
    if (count < 1 || count > 125) return exception(3);
    const table = fc === 3 ? unit.holding : unit.input;
    const body = Buffer.alloc(3 + 2 * count);
    body.writeUInt8(unitId, 0);
    body.writeUInt8(fc, 1);
    body.writeUInt8(2 * count, 2);
    for (let i = 0; i < count; i++) {
      const v = table.get(address + i);
      if (v === undefined) return exception(2);
      body.writeUInt16BE(v, 3 + 2 * i);
    }
    this.counts.replies++;
    return { bytes: withCrc(body), notBeforeNs };
  }
}
