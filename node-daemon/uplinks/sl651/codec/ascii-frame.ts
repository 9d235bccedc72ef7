import { crc16 } from './crc.js';
import { CONTROL, Sl651Error, type Sl651Frame } from './model.js';
import { checkFrameFields, DIRECTION_NIBBLE, directionOf, END_BYTE, toHex, wholeFrame, type HeaderResult } from './frame-fields.js';

/**
 * The ASCII frame: `SOH | addresses (12 hex chars: centre 2 + station 10 up, station 10 + centre 2 down) | password
 * (4) | fn (2) | direction+length (4: the direction nibble 0/8 and 3 hex digits) | STX, or SYN + packet (6 hex chars:
 * 3 total, 3 sequence) | body | end | CRC (4 hex chars, high byte first)`. The length counts the body's characters and,
 * after SYN, the packet header's 6. The CRC covers SOH up to and including the end mark. Hex is written upper case
 * and read in either case.
 */
const HEADER = 24;
const PACKET = 6;
const TRAILER = 5;
const LENGTH_AT = 19;

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const isHexChar = (b: number | undefined): boolean => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
const text = (bytes: Uint8Array, from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));

export function encodeAsciiFrame(f: Sl651Frame): Uint8Array {
  const { station, length } = checkFrameFields(f, PACKET);
  const centre = toHex(f.centre, 2);
  const addresses = f.direction === 'up' ? centre + station : station + centre;
  const head: number[] = [CONTROL.SOH];
  head.push(...ascii(addresses + toHex(f.password, 4) + toHex(f.fn, 2) + toHex(DIRECTION_NIBBLE[f.direction], 1) + toHex(length, 3)));
  head.push(f.packet === undefined ? CONTROL.STX : CONTROL.SYN);
  if (f.packet !== undefined) head.push(...ascii(toHex(f.packet.total, 3) + toHex(f.packet.seq, 3)));
  const out = new Uint8Array(head.length + f.body.length + TRAILER);
  out.set(head);
  out.set(f.body, head.length);
  const endAt = head.length + f.body.length;
  out[endAt] = END_BYTE[f.end];
  out.set(ascii(toHex(crc16(out.subarray(0, endAt + 1)), 4)), endAt + 1);
  return out;
}

/** Whether `bytes` at `at` starts an ASCII frame, and how long it is. */
export function parseAsciiHeader(bytes: Uint8Array, at: number): HeaderResult {
  const available = Math.min(bytes.length - at, HEADER);
  if (available >= 1 && bytes[at] !== CONTROL.SOH) return { error: new Sl651Error('start', 'an ASCII frame starts with SOH') };
  for (let i = 1; i < Math.min(available, LENGTH_AT + 4); i++) {
    if (!isHexChar(bytes[at + i])) return { error: new Sl651Error(i > LENGTH_AT ? 'length' : 'start', `ASCII header character ${i} is not a hex digit`) };
  }
  if (available >= LENGTH_AT + 1 && directionOf(parseInt(text(bytes, at + LENGTH_AT, at + LENGTH_AT + 1), 16)) === undefined) {
    return { error: new Sl651Error('start', 'the direction digit is neither 0 (up) nor 8 (down)') };
  }
  if (available < HEADER) return { need: HEADER };
  const start = bytes[at + HEADER - 1];
  if (start !== CONTROL.STX && start !== CONTROL.SYN) return { error: new Sl651Error('start', `start mark ${toHex(start ?? 0, 2)} is neither STX nor SYN`) };
  const field = (from: number, chars: number): number => parseInt(text(bytes, at + from, at + from + chars), 16);
  const direction = directionOf(field(LENGTH_AT, 1)) ?? 'up';
  const length = field(LENGTH_AT + 1, 3);
  const multi = start === CONTROL.SYN;
  if (multi && length < PACKET) return { error: new Sl651Error('length', `a SYN frame's length ${length} cannot hold its packet header`) };
  let packet: { total: number; seq: number } | undefined;
  let packetProblem: string | undefined;
  if (multi) {
    if (bytes.length - at < HEADER + PACKET) return { need: HEADER + PACKET };
    const chars = text(bytes, at + HEADER, at + HEADER + PACKET);
    // Judged after the CRC: the frame's size comes from the length field alone, so a damaged packet header is a
    // damaged frame (crc), and a reader skips the whole of it.
    if (/^[0-9A-Fa-f]{6}$/.test(chars)) packet = { total: parseInt(chars.slice(0, 3), 16), seq: parseInt(chars.slice(3), 16) };
    else packetProblem = 'the packet header is not 6 hex digits';
  }
  const addresses = text(bytes, at + 1, at + 13).toUpperCase();
  const bodyStart = HEADER + (multi ? PACKET : 0);
  const bodyLength = length - (multi ? PACKET : 0);
  return {
    header: {
      direction,
      centre: parseInt(direction === 'up' ? addresses.slice(0, 2) : addresses.slice(10), 16),
      station: direction === 'up' ? addresses.slice(2) : addresses.slice(0, 10),
      password: field(13, 4),
      fn: field(17, 2),
      ...(packet === undefined ? {} : { packet }),
      ...(packetProblem === undefined ? {} : { packetProblem }),
      bodyStart,
      bodyLength,
      size: bodyStart + bodyLength + TRAILER,
    },
  };
}

export function decodeAsciiFrame(bytes: Uint8Array): Sl651Frame {
  return wholeFrame(bytes, parseAsciiHeader(bytes, 0), 'ascii', (endAt) => {
    const sentText = text(bytes, endAt + 1, endAt + 5);
    const crc = crc16(bytes.subarray(0, endAt + 1));
    return /^[0-9A-Fa-f]{4}$/.test(sentText) && parseInt(sentText, 16) === crc ? undefined : `CRC ${JSON.stringify(sentText)} sent, ${toHex(crc, 4)} computed`;
  });
}
