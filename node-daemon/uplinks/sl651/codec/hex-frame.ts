import { crc16 } from './crc.js';
import { CONTROL, Sl651Error, type Sl651Frame } from './model.js';
import { checkFrameFields, DIRECTION_NIBBLE, directionOf, END_BYTE, packPacket, toHex, unpackPacket, wholeFrame, type HeaderResult } from './frame-fields.js';

/**
 * The HEX/BCD frame: `7E 7E | addresses(6) | password(2) | fn(1) | direction(4 bits) length(12 bits) | STX or SYN
 * + packet(3) | body | end(1) | CRC(2, high byte first)`. Uplink addresses are centre then station, downlink station
 * then centre. The length counts the body and, after SYN, the packet header.
 */
const FRAME_START = 0x7e;
const HEADER = 14;
const PACKET = 3;
const TRAILER = 3;

export function encodeHexFrame(f: Sl651Frame): Uint8Array {
  const { station, length } = checkFrameFields(f, PACKET);
  const stationBytes = Array.from({ length: 5 }, (_, i) => parseInt(station.slice(i * 2, i * 2 + 2), 16));
  const addresses = f.direction === 'up' ? [f.centre, ...stationBytes] : [...stationBytes, f.centre];
  const lengthField = (DIRECTION_NIBBLE[f.direction] << 12) | length;
  const head = [FRAME_START, FRAME_START, ...addresses, f.password >> 8, f.password & 0xff, f.fn, lengthField >> 8, lengthField & 0xff];
  head.push(f.packet === undefined ? CONTROL.STX : CONTROL.SYN);
  if (f.packet !== undefined) head.push(...packPacket(f.packet));
  const out = new Uint8Array(head.length + f.body.length + TRAILER);
  out.set(head);
  out.set(f.body, head.length);
  out[head.length + f.body.length] = END_BYTE[f.end];
  const crc = crc16(out.subarray(0, out.length - 2));
  out[out.length - 2] = crc >> 8;
  out[out.length - 1] = crc & 0xff;
  return out;
}

/** Whether `bytes` at `at` starts a HEX frame, and how long it is. */
export function parseHexHeader(bytes: Uint8Array, at: number): HeaderResult {
  const b = (i: number): number => bytes[at + i] ?? 0;
  const available = bytes.length - at;
  if (available >= 1 && b(0) !== FRAME_START) return { error: new Sl651Error('start', 'a HEX frame starts with 7E 7E') };
  if (available >= 2 && b(1) !== FRAME_START) return { error: new Sl651Error('start', 'a HEX frame starts with 7E 7E') };
  if (available < HEADER) return { need: HEADER };
  const direction = directionOf(b(11) >> 4);
  if (direction === undefined) return { error: new Sl651Error('start', `direction bits ${toHex(b(11) >> 4, 1)} are neither 0 (up) nor 8 (down)`) };
  const start = b(13);
  if (start !== CONTROL.STX && start !== CONTROL.SYN) return { error: new Sl651Error('start', `start mark ${toHex(start, 2)} is neither STX nor SYN`) };
  const length = ((b(11) & 0x0f) << 8) | b(12);
  const multi = start === CONTROL.SYN;
  if (multi && length < PACKET) return { error: new Sl651Error('length', `a SYN frame's length ${length} cannot hold its packet header`) };
  const addresses = Array.from({ length: 6 }, (_, i) => b(2 + i));
  const [centre, stationBytes] = direction === 'up' ? [addresses[0] ?? 0, addresses.slice(1)] : [addresses[5] ?? 0, addresses.slice(0, 5)];
  if (multi && available < HEADER + PACKET) return { need: HEADER + PACKET };
  const packet = multi ? unpackPacket(b(14), b(15), b(16)) : undefined;
  const bodyStart = HEADER + (multi ? PACKET : 0);
  const bodyLength = length - (multi ? PACKET : 0);
  return {
    header: {
      direction,
      centre,
      station: stationBytes.map((x) => toHex(x, 2)).join(''),
      password: (b(8) << 8) | b(9),
      fn: b(10),
      ...(packet === undefined ? {} : { packet }),
      bodyStart,
      bodyLength,
      size: bodyStart + bodyLength + TRAILER,
    },
  };
}

export function decodeHexFrame(bytes: Uint8Array): Sl651Frame {
  return wholeFrame(bytes, parseHexHeader(bytes, 0), 'hex', (endAt) => {
    const crc = crc16(bytes.subarray(0, endAt + 1));
    const sent = ((bytes[endAt + 1] ?? 0) << 8) | (bytes[endAt + 2] ?? 0);
    return crc === sent ? undefined : `CRC ${toHex(sent, 4)} sent, ${toHex(crc, 4)} computed`;
  });
}
