import { CONTROL, Sl651Error, type Direction, type EndMark, type Sl651Frame } from './model.js';

/** The 12-bit length field's largest value. */
export const MAX_LENGTH = 0xfff;

export const END_BYTE: Readonly<Record<EndMark, number>> = {
  ETX: CONTROL.ETX,
  ETB: CONTROL.ETB,
  ENQ: CONTROL.ENQ,
  ACK: CONTROL.ACK,
  NAK: CONTROL.NAK,
  EOT: CONTROL.EOT,
  ESC: CONTROL.ESC,
};

const END_BY_BYTE: ReadonlyMap<number, EndMark> = new Map(Object.entries(END_BYTE).map(([k, v]) => [v, k as EndMark]));

export function endMarkOf(byte: number | undefined): EndMark | undefined {
  return byte === undefined ? undefined : END_BY_BYTE.get(byte);
}

export const DIRECTION_NIBBLE: Readonly<Record<Direction, number>> = { up: 0x0, down: 0x8 };

export function directionOf(nibble: number): Direction | undefined {
  return nibble === 0x0 ? 'up' : nibble === 0x8 ? 'down' : undefined;
}

/** A frame's fields as the header carries them; `size` is the whole frame's, CRC included. */
export interface FrameHeader {
  readonly direction: Direction;
  readonly centre: number;
  readonly station: string;
  readonly password: number;
  readonly fn: number;
  readonly packet?: { readonly total: number; readonly seq: number };
  /** An ASCII SYN frame whose packet header is not hex: refused once its CRC has been checked. */
  readonly packetProblem?: string;
  readonly bodyStart: number;
  readonly bodyLength: number;
  readonly size: number;
}

/** What a header parser says of the bytes at a position: a header, "need this many bytes", or not a frame. */
export type HeaderResult = { readonly header: FrameHeader } | { readonly need: number } | { readonly error: Sl651Error };

function checkRange(what: string, v: number, max: number, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new Sl651Error('encode', `${what} must be a whole number in ${min}..${max}, got ${v}`);
}

/** The frame's addressing fields checked for encoding; the station upper-cased. */
export function checkFrameFields(f: Sl651Frame, packetHeaderSize: number): { station: string; length: number } {
  checkRange('centre', f.centre, 0xff);
  checkRange('password', f.password, 0xffff);
  checkRange('function code', f.fn, 0xff);
  if (!/^[0-9A-Fa-f]{10}$/.test(f.station)) throw new Sl651Error('encode', `station must be 10 hex digits, got ${JSON.stringify(f.station)}`);
  if (f.packet !== undefined) {
    checkRange('packet total', f.packet.total, MAX_LENGTH, 1);
    checkRange('packet sequence', f.packet.seq, f.packet.total, 1);
  }
  const length = f.body.length + (f.packet === undefined ? 0 : packetHeaderSize);
  if (length > MAX_LENGTH) throw new Sl651Error('encode', `body of ${length} exceeds the 12-bit length (${MAX_LENGTH}); split it into packets`);
  return { station: f.station.toUpperCase(), length };
}

/** The 3-byte packet header: 12 bits total, 12 bits sequence. */
export function packPacket(p: { readonly total: number; readonly seq: number }): number[] {
  return [p.total >> 4, ((p.total & 0xf) << 4) | (p.seq >> 8), p.seq & 0xff];
}

export function unpackPacket(b0: number, b1: number, b2: number): { total: number; seq: number } {
  return { total: (b0 << 4) | (b1 >> 4), seq: ((b1 & 0xf) << 8) | b2 };
}

export const toHex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

/**
 * One whole frame as its header describes it: the bytes must be exactly the frame and end with a known end mark.
 * `crcHolds` checks the CRC in the encoding's own form (two bytes, or four hex characters); `checkAfterCrc` judges
 * what only a frame with a good CRC can be blamed for.
 */
export function wholeFrame(
  bytes: Uint8Array,
  parsed: HeaderResult,
  encoding: Sl651Frame['encoding'],
  crcHolds: (endAt: number) => string | undefined,
): Sl651Frame {
  if ('error' in parsed) throw parsed.error;
  if ('need' in parsed) throw new Sl651Error('truncated', `${bytes.length} bytes are less than a frame header`);
  const h = parsed.header;
  if (bytes.length < h.size) throw new Sl651Error('truncated', `the length field says ${h.size} bytes, ${bytes.length} arrived`);
  if (bytes.length > h.size) throw new Sl651Error('length', `the length field says ${h.size} bytes, the frame has ${bytes.length}`);
  const endAt = h.bodyStart + h.bodyLength;
  const end = endMarkOf(bytes[endAt]);
  if (end === undefined) throw new Sl651Error('end', `end mark ${toHex(bytes[endAt] ?? 0, 2)} is not one of ETX ETB ENQ ACK NAK EOT ESC`);
  const crcProblem = crcHolds(endAt);
  if (crcProblem !== undefined) throw new Sl651Error('crc', crcProblem);
  if (h.packetProblem !== undefined) throw new Sl651Error('start', h.packetProblem);
  return {
    encoding,
    direction: h.direction,
    centre: h.centre,
    station: h.station,
    password: h.password,
    fn: h.fn,
    ...(h.packet === undefined ? {} : { packet: h.packet }),
    body: bytes.slice(h.bodyStart, endAt),
    end,
  };
}
