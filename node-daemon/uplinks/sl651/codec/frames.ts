import { decodeAsciiFrame, encodeAsciiFrame, parseAsciiHeader } from './ascii-frame.js';
import { MAX_LENGTH, type HeaderResult } from './frame-fields.js';
import { decodeHexFrame, encodeHexFrame, parseHexHeader } from './hex-frame.js';
import { CONTROL, Sl651Error, type Sl651Encoding, type Sl651Frame } from './model.js';

/** A frame's fields but its body, end mark and packet position: what `splitPackets` puts on each packet. */
export type FrameHead = Omit<Sl651Frame, 'body' | 'end' | 'packet'>;

/** The header at `at`, read by the parser of the encoding its first byte names (7E: HEX, SOH: ASCII); undefined for neither. */
export function frameHeaderAt(bytes: Uint8Array, at: number): { readonly encoding: Sl651Encoding; readonly parsed: HeaderResult } | undefined {
  const first = bytes[at];
  if (first === 0x7e) return { encoding: 'hex', parsed: parseHexHeader(bytes, at) };
  if (first === CONTROL.SOH) return { encoding: 'ascii', parsed: parseAsciiHeader(bytes, at) };
  return undefined;
}

/** A frame on the wire, HEX or ASCII by `f.encoding`; an Sl651Error('encode') when a field does not fit. */
export function encodeFrame(f: Sl651Frame): Uint8Array {
  return f.encoding === 'hex' ? encodeHexFrame(f) : encodeAsciiFrame(f);
}

/** One whole frame (HEX if it starts 7E 7E, ASCII if SOH); throws Sl651Error start / truncated / length / end / crc. */
export function decodeFrame(bytes: Uint8Array): Sl651Frame {
  if (bytes[0] === CONTROL.SOH) return decodeAsciiFrame(bytes);
  if (bytes.length === 0) throw new Sl651Error('truncated', 'no bytes');
  return decodeHexFrame(bytes);
}

/** Packet header size in the length field: 3 bytes HEX, 6 characters ASCII. */
const packetHeaderSize = (head: FrameHead): number => (head.encoding === 'hex' ? 3 : 6);

/**
 * A message body as frames: one STX frame ending ETX when it fits `maxBody` (the length field's 4095 unless a link
 * wants smaller frames), else SYN packets of `maxBody` less the packet header each, ETB on all but the last, ETX
 * on the last.
 */
export function splitPackets(head: FrameHead, body: Uint8Array, maxBody = MAX_LENGTH): Sl651Frame[] {
  const per = maxBody - packetHeaderSize(head);
  if (!Number.isInteger(maxBody) || maxBody > MAX_LENGTH || per < 1) throw new Sl651Error('encode', `maxBody must be a whole number in ${packetHeaderSize(head) + 1}..${MAX_LENGTH}, got ${maxBody}`);
  if (body.length <= maxBody) return [{ ...head, body, end: 'ETX' }];
  const total = Math.ceil(body.length / per);
  if (total > MAX_LENGTH) throw new Sl651Error('encode', `a body of ${body.length} needs ${total} packets, more than ${MAX_LENGTH}`);
  return Array.from({ length: total }, (_, i): Sl651Frame => ({
    ...head,
    packet: { total, seq: i + 1 },
    body: body.subarray(i * per, (i + 1) * per),
    end: i + 1 === total ? 'ETX' : 'ETB',
  }));
}

/** The message body of a frame, or of every packet of a multi-packet message (in any order, each once). */
export function joinPackets(frames: readonly Sl651Frame[]): Uint8Array {
  const first = frames[0];
  if (first === undefined) throw new Sl651Error('body', 'no frames to join');
  if (first.packet === undefined) {
    if (frames.length !== 1) throw new Sl651Error('body', 'a message in one packet (STX) comes alone');
    return first.body;
  }
  const total = first.packet.total;
  const bySeq = new Map<number, Uint8Array>();
  for (const f of frames) {
    if (f.packet === undefined || f.packet.total !== total) throw new Sl651Error('body', `packets of different messages (totals ${total} and ${f.packet?.total ?? 'none'})`);
    if (f.packet.seq < 1 || f.packet.seq > total || bySeq.has(f.packet.seq)) throw new Sl651Error('body', `packet ${f.packet.seq} of ${total} is out of range or repeated`);
    bySeq.set(f.packet.seq, f.body);
  }
  if (bySeq.size !== total) throw new Sl651Error('body', `${bySeq.size} of ${total} packets`);
  const parts = Array.from({ length: total }, (_, i) => bySeq.get(i + 1) ?? new Uint8Array());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
