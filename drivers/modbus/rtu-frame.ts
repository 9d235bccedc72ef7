// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- the one pure module allowed createRequire: it loads only modbus-serial's CRC (plain arithmetic, CommonJS without types)
import { createRequire } from 'node:module';

/**
 * Modbus RTU frames for register reads (FC 3/4), pure: build a request, find its reply in whatever bytes came
 * back. The CRC is modbus-serial's. Framing never trusts position alone: a reply is a run of bytes with the
 * request's unit id, function code and byte count whose CRC holds, wherever it starts in the buffer, so junk
 * before it (line noise, the tail of an earlier frame) is skipped rather than failing the transaction.
 */
const crc16 = createRequire(import.meta.url)('modbus-serial/utils/crc16') as (buf: Buffer) => number;

export interface RtuRead {
  readonly slave: number;
  readonly functionCode: 3 | 4;
  readonly address: number;
  readonly count: number;
}

export const REQUEST_BYTES = 8;
export const EXCEPTION_BYTES = 5;

/** A Modbus RTU frame: the payload with its CRC appended (low byte first). */
export function withCrc(payload: Buffer | readonly number[]): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const out = Buffer.alloc(body.length + 2);
  body.copy(out);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
}

/** Whether the last two bytes of `frame` are the CRC of the rest. */
export function crcOk(frame: Buffer): boolean {
  return frame.length >= 4 && crc16(frame.subarray(0, frame.length - 2)) === frame.readUInt16LE(frame.length - 2);
}

export function buildReadRequest(req: RtuRead): Buffer {
  const body = Buffer.alloc(REQUEST_BYTES - 2);
  body.writeUInt8(req.slave, 0);
  body.writeUInt8(req.functionCode, 1);
  body.writeUInt16BE(req.address, 2);
  body.writeUInt16BE(req.count, 4);
  return withCrc(body);
}

export function replyBytes(count: number): number {
  return 5 + 2 * count;
}

function crcHolds(buf: Buffer, start: number, length: number): boolean {
  return start + length <= buf.length && crcOk(buf.subarray(start, start + length));
}

/** A whole frame some unit sent for a register read: a reply or an exception, CRC checked. */
export interface FoundFrame {
  readonly start: number;
  readonly end: number;
  readonly slave: number;
  readonly functionCode: number;
  /** Registers of a normal reply. */
  readonly values?: number[];
  /** Exception code of an exception reply. */
  readonly exceptionCode?: number;
}

function frameAt(buf: Buffer, i: number): FoundFrame | undefined {
  const slave = buf[i];
  const fc = buf[i + 1];
  if (slave === undefined || fc === undefined) return undefined;
  if ((fc === 0x83 || fc === 0x84) && crcHolds(buf, i, EXCEPTION_BYTES)) {
    return { start: i, end: i + EXCEPTION_BYTES, slave, functionCode: fc, exceptionCode: buf[i + 2] ?? 0 };
  }
  if (fc !== 3 && fc !== 4) return undefined;
  const byteCount = buf[i + 2];
  if (byteCount === undefined || byteCount === 0 || byteCount % 2 !== 0 || byteCount > 250) return undefined;
  const length = byteCount + 5;
  if (!crcHolds(buf, i, length)) return undefined;
  const values: number[] = [];
  for (let k = 0; k < byteCount; k += 2) values.push(buf.readUInt16BE(i + 3 + k));
  return { start: i, end: i + length, slave, functionCode: fc, values };
}

/** Every whole read reply or exception in `buf`, left to right, not overlapping. */
export function findFrames(buf: Buffer): FoundFrame[] {
  const frames: FoundFrame[] = [];
  let i = 0;
  while (i + EXCEPTION_BYTES <= buf.length) {
    const f = frameAt(buf, i);
    if (f) {
      frames.push(f);
      i = f.end;
    } else i++;
  }
  return frames;
}

/** Whether `frame` answers `req`: same unit and function, and as many registers as asked. */
export function answers(frame: FoundFrame, req: RtuRead): boolean {
  if (frame.slave !== req.slave) return false;
  if (frame.exceptionCode !== undefined) return frame.functionCode === (req.functionCode | 0x80);
  return frame.functionCode === req.functionCode && frame.values?.length === req.count;
}

/** Whether the bytes hold the start of something `req`'s slave sent (its unit id then its function code). */
export function hasHeaderOf(buf: Buffer, req: RtuRead): boolean {
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === req.slave && (buf[i + 1] === req.functionCode || buf[i + 1] === (req.functionCode | 0x80))) return true;
  }
  return false;
}

/** Line timing of one serial setting. */
export interface CharFormat {
  readonly baudRate: number;
  readonly dataBits: number;
  readonly parity: 'none' | 'even' | 'odd';
  readonly stopBits: number;
}

/** Time on the wire of `n` characters (start + data + parity + stop bits), in ms. */
export function charsMs(fmt: CharFormat, n: number): number {
  const bits = 1 + fmt.dataBits + (fmt.parity === 'none' ? 0 : 1) + fmt.stopBits;
  return (n * bits * 1000) / fmt.baudRate;
}

/** The 3.5-character silence that separates frames; fixed at 1.75 ms above 19200 baud (Modbus over serial line). */
export function interFrameMs(fmt: CharFormat): number {
  return fmt.baudRate > 19_200 ? 1.75 : charsMs(fmt, 3.5);
}
