import { frameHeaderAt, type FrameHead } from './codec/frames.js';
import { decodeHead } from './codec/messages.js';
import type { WireOptions } from './codec/model.js';

/**
 * The header of a frame the codec refused (a CRC error), read as far as it goes, pure: enough for the centre
 * simulator to answer NAK ("send it again") to the right station with the right function code and, when the body's
 * head still reads, serial (the codec's header parsers, which the stream reader uses too). Nothing here is trusted beyond that: the bytes failed their check.
 */
export type PeekedHeader = FrameHead & {
  readonly packet?: { readonly total: number; readonly seq: number };
  /** The serial, when the body's head decodes. */
  readonly serial?: number;
};

/** Reads the header of raw frame bytes (HEX or ASCII); undefined when even that does not parse. */
export function peekHeader(raw: Uint8Array, opts?: WireOptions): PeekedHeader | undefined {
  const found = frameHeaderAt(raw, 0);
  if (found === undefined || !('header' in found.parsed)) return undefined;
  const { encoding, parsed } = found;
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
