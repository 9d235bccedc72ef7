/**
 * Framing of the Onbon BX-5K/BX-6K serial protocol (pure: no I/O).
 *
 * On the wire: `A5`×8, then the escaped packet, then `5A`. The packet (before escaping) is
 *   dst(2 LE) src(2 LE) reserved(6) devType(1) protoVer(1) dataLen(2 LE) | cmdGroup cmd flag reserved(2) data… | crc(2 LE)
 * where dataLen counts the bytes from cmdGroup to the end of data, and the CRC (CRC-16/ARC) covers everything
 * before it. Inside the escaped part A5, A6, 5A and 5B never appear raw, so A5 always starts a frame and 5A always
 * ends one: a reader can resynchronise on those two bytes alone.
 */

export const PREAMBLE_BYTE = 0xa5;
export const PREAMBLE_LENGTH = 8;
export const END_BYTE = 0x5a;

export const DEFAULT_DST = 0x0001;
/** The address the PC side uses; boards answer to it. */
export const DEFAULT_SRC = 0x8000;
/** Wildcard device type. */
export const DEFAULT_DEV_TYPE = 0xfe;
export const DEFAULT_PROTO_VER = 0x02;
/** Destination address every board accepts. */
export const BROADCAST_ADDRESS = 0xfffe;

/** In a request, the flag byte asks for a reply (0x01) or not (0x02). In a reply it carries the board's CmdError. */
export const FLAG_REPLY_REQUIRED = 0x01;
export const FLAG_NO_REPLY = 0x02;

/** dst, src, reserved, devType, protoVer, dataLen. */
const ADDRESS_HEADER_LENGTH = 14;
/** cmdGroup, cmd, flag, reserved(2). */
const COMMAND_HEADER_LENGTH = 5;
const CRC_LENGTH = 2;
export const MIN_PACKET_LENGTH = ADDRESS_HEADER_LENGTH + COMMAND_HEADER_LENGTH + CRC_LENGTH;
/** Serial (non-network) controllers take at most about 1 KiB per packet; anything much longer is noise. */
export const MAX_PACKET_LENGTH = 4096;

export interface BxPacket {
  readonly dst: number;
  readonly src: number;
  readonly devType: number;
  readonly protoVer: number;
  readonly cmdGroup: number;
  readonly cmd: number;
  /** Request: FLAG_REPLY_REQUIRED / FLAG_NO_REPLY. Reply: CmdError (0 = no error). */
  readonly flag: number;
  readonly data: Uint8Array;
}

export class BxFrameError extends Error {
  constructor(
    readonly reason: 'bad_crc' | 'bad_escape' | 'bad_length' | 'too_long' | 'truncated',
    message: string,
  ) {
    super(message);
    this.name = 'BxFrameError';
  }
}

/** CRC-16/ARC: polynomial 0x8005 reflected (0xA001), initial value 0, no final xor. */
export function crc16Arc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

const ESCAPES: ReadonlyMap<number, readonly [number, number]> = new Map([
  [0xa5, [0xa6, 0x02]],
  [0xa6, [0xa6, 0x01]],
  [0x5a, [0x5b, 0x02]],
  [0x5b, [0x5b, 0x01]],
]);

export function escapeBytes(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (const byte of bytes) {
    const pair = ESCAPES.get(byte);
    if (pair) out.push(pair[0], pair[1]);
    else out.push(byte);
  }
  return Buffer.from(out);
}

export function unescapeBytes(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte !== 0xa6 && byte !== 0x5b) {
      out.push(byte);
      continue;
    }
    const next = bytes[i + 1];
    if (next !== 0x01 && next !== 0x02) {
      throw new BxFrameError('bad_escape', `escape byte ${hex(byte)} followed by ${next === undefined ? 'nothing' : hex(next)}`);
    }
    // A6 01 → A6, A6 02 → A5, 5B 01 → 5B, 5B 02 → 5A.
    out.push(next === 0x01 ? byte : byte - 1);
    i++;
  }
  return Buffer.from(out);
}

/** The unescaped packet with its CRC appended. */
export function encodePacket(p: BxPacket): Buffer {
  const dataLen = COMMAND_HEADER_LENGTH + p.data.length;
  const body = Buffer.alloc(ADDRESS_HEADER_LENGTH + dataLen + CRC_LENGTH);
  body.writeUInt16LE(p.dst, 0);
  body.writeUInt16LE(p.src, 2);
  // bytes 4..9 reserved, zero
  body.writeUInt8(p.devType, 10);
  body.writeUInt8(p.protoVer, 11);
  body.writeUInt16LE(dataLen, 12);
  body.writeUInt8(p.cmdGroup, 14);
  body.writeUInt8(p.cmd, 15);
  body.writeUInt8(p.flag, 16);
  // bytes 17..18 reserved, zero
  body.set(p.data, 19);
  const crcAt = body.length - CRC_LENGTH;
  body.writeUInt16LE(crc16Arc(body.subarray(0, crcAt)), crcAt);
  return body;
}

/** Everything that goes on the wire for one packet. */
export function encodeFrame(p: BxPacket): Buffer {
  return Buffer.concat([Buffer.alloc(PREAMBLE_LENGTH, PREAMBLE_BYTE), escapeBytes(encodePacket(p)), Buffer.from([END_BYTE])]);
}

/** Decodes an unescaped packet (CRC included); throws BxFrameError when it is not a whole, intact packet. */
export function decodePacket(body: Uint8Array): BxPacket {
  if (body.length < MIN_PACKET_LENGTH) {
    throw new BxFrameError('truncated', `packet of ${body.length} bytes is shorter than the minimum ${MIN_PACKET_LENGTH}`);
  }
  const buf = Buffer.from(body.buffer, body.byteOffset, body.length);
  const crcAt = buf.length - CRC_LENGTH;
  const expected = crc16Arc(buf.subarray(0, crcAt));
  const received = buf.readUInt16LE(crcAt);
  if (expected !== received) {
    throw new BxFrameError('bad_crc', `CRC mismatch: received ${hex16(received)}, computed ${hex16(expected)}`);
  }
  const dataLen = buf.readUInt16LE(12);
  if (dataLen !== crcAt - ADDRESS_HEADER_LENGTH || dataLen < COMMAND_HEADER_LENGTH) {
    throw new BxFrameError('bad_length', `dataLen field says ${dataLen}, packet carries ${crcAt - ADDRESS_HEADER_LENGTH}`);
  }
  return {
    dst: buf.readUInt16LE(0),
    src: buf.readUInt16LE(2),
    devType: buf.readUInt8(10),
    protoVer: buf.readUInt8(11),
    cmdGroup: buf.readUInt8(14),
    cmd: buf.readUInt8(15),
    flag: buf.readUInt8(16),
    data: Buffer.from(buf.subarray(19, crcAt)),
  };
}

export type BxParseEvent =
  | { readonly kind: 'packet'; readonly packet: BxPacket }
  | { readonly kind: 'rejected'; readonly error: BxFrameError }
  /** Bytes outside any frame (line noise, a frame whose start was lost). */
  | { readonly kind: 'garbage'; readonly bytes: number };

/**
 * Byte-by-byte frame reader. Feed it whatever the port delivers; it returns the packets and the reasons frames
 * were thrown away. Any A5 starts a frame (even in the middle of another one, which is then dropped as truncated),
 * so one damaged frame never costs the next one.
 */
export class BxFrameParser {
  private state: 'hunt' | 'preamble' | 'body' = 'hunt';
  private body: number[] = [];
  private garbage = 0;

  constructor(private readonly maxPacketLength = MAX_PACKET_LENGTH) {}

  push(chunk: Uint8Array): BxParseEvent[] {
    const events: BxParseEvent[] = [];
    const flushGarbage = (): void => {
      if (this.garbage > 0) events.push({ kind: 'garbage', bytes: this.garbage });
      this.garbage = 0;
    };
    for (const byte of chunk) {
      if (byte === PREAMBLE_BYTE) {
        if (this.state === 'body') {
          events.push({ kind: 'rejected', error: new BxFrameError('truncated', 'frame interrupted by a new preamble') });
        }
        flushGarbage();
        this.state = 'preamble';
        this.body = [];
        continue;
      }
      if (this.state === 'hunt') {
        this.garbage++;
        continue;
      }
      if (byte === END_BYTE) {
        if (this.state === 'preamble') {
          events.push({ kind: 'rejected', error: new BxFrameError('truncated', 'empty frame') });
        } else {
          events.push(this.finish());
        }
        this.state = 'hunt';
        this.body = [];
        continue;
      }
      this.state = 'body';
      this.body.push(byte);
      // Escaped length is at most twice the packet length.
      if (this.body.length > this.maxPacketLength * 2) {
        events.push({ kind: 'rejected', error: new BxFrameError('too_long', `frame longer than ${this.maxPacketLength} bytes`) });
        this.state = 'hunt';
        this.body = [];
      }
    }
    flushGarbage();
    return events;
  }

  private finish(): BxParseEvent {
    try {
      return { kind: 'packet', packet: decodePacket(unescapeBytes(Uint8Array.from(this.body))) };
    } catch (err) {
      if (err instanceof BxFrameError) return { kind: 'rejected', error: err };
      throw err;
    }
  }
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function hex16(n: number): string {
  return `${hex(n & 0xff)} ${hex(n >>> 8)}`;
}
