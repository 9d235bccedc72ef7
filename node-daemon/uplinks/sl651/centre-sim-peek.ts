import { parseAsciiHeader } from './codec/ascii-frame.js';
import type { HeaderResult } from './codec/frame-fields.js';
import { parseHexHeader } from './codec/hex-frame.js';
import { decodeHead } from './codec/messages.js';
import { CONTROL, type Direction, type Sl651Encoding, type WireOptions } from './codec/model.js';

/**
 * The header of a frame the codec refused (a CRC error), read as far as it goes, pure: enough for the centre
 * simulator to answer NAK ("send it again") to the right station with the right function code and, when the body's
 * head still reads, serial (the codec's header parsers, which the stream reader uses too). Nothing here is trusted beyond that: the bytes failed their check.
 */
export interface PeekedHeader {
  readonly encoding: Sl651Encoding;
  readonly direction: Direction;
  readonly centre: number;
  readonly station: string;
  readonly password: number;
  readonly fn: number;
  readonly packet?: { readonly total: number; readonly seq: number };
  /** The serial, when the body's head decodes. */
  readonly serial?: number;
}

/** Reads the header of raw frame bytes (HEX or ASCII); undefined when even that does not parse. */
export function peekHeader(raw: Uint8Array, opts?: WireOptions): PeekedHeader | undefined {
  const encoding: Sl651Encoding | undefined = raw[0] === 0x7e ? 'hex' : raw[0] === CONTROL.SOH ? 'ascii' : undefined;
  if (encoding === undefined) return undefined;
  const parsed: HeaderResult = encoding === 'hex' ? parseHexHeader(raw, 0) : parseAsciiHeader(raw, 0);
  if (!('header' in parsed)) return undefined;
  const h = parsed.header;
  const packet = h.packet !== undefined && h.packet.seq >= 1 && h.packet.seq <= h.packet.total ? h.packet : undefined;
  // Only a message's first packet starts with the head (serial, send time).
  let serial: number | undefined;
  if (h.packet === undefined || h.packet.seq === 1) {
    try {
      serial = decodeHead(raw.subarray(h.bodyStart, Math.min(raw.length, h.bodyStart + h.bodyLength)), encoding, opts).serial;
    } catch {
      serial = undefined;
    }
  }
  return {
    encoding,
    direction: h.direction,
    centre: h.centre,
    station: h.station,
    password: h.password,
    fn: h.fn,
    ...(packet === undefined ? {} : { packet }),
    ...(serial === undefined ? {} : { serial }),
  };
}
