import type { Sl651Frame } from './codec/model.js';

/**
 * Multi-packet messages as the centre simulator receives them, pure: packets (SYN start, `total`/`seq`) of one
 * station's message under one function code, collected until the last one (end ETX) has arrived with every other.
 * A packet sent again (after a NAK) replaces the copy held.
 */
export interface Packet {
  readonly frame: Sl651Frame;
  readonly raw: Uint8Array;
}

export type PacketOutcome =
  /** More to come: nothing to confirm yet. */
  | { readonly kind: 'pending'; readonly seq: number; readonly total: number; readonly held: number }
  /** Every packet is here: in order, ready for joinPackets. */
  | { readonly kind: 'complete'; readonly packets: readonly Packet[] }
  /** The last packet came but these are missing: ask for them again. */
  | { readonly kind: 'missing'; readonly total: number; readonly missing: readonly number[] };

/** Collects multi-packet messages of one connection. */
export class PacketAssembler {
  private readonly open = new Map<string, { total: number; packets: Map<number, Packet>; sawLast: boolean }>();

  /** Takes one packet (a frame with `packet` set). */
  add(frame: Sl651Frame, raw: Uint8Array): PacketOutcome {
    const packet = frame.packet;
    if (packet === undefined) throw new Error('PacketAssembler.add: a frame without a packet field');
    const key = `${frame.station}/${frame.fn}`;
    let message = this.open.get(key);
    // Packet 1 again, or another total: a new message (the station gave up on the last one, or restarted).
    if (message === undefined || message.total !== packet.total || (packet.seq === 1 && message.packets.has(1))) {
      message = { total: packet.total, packets: new Map(), sawLast: false };
      this.open.set(key, message);
    }
    message.packets.set(packet.seq, { frame, raw });
    const last = frame.end === 'ETX' || packet.seq === packet.total;
    message.sawLast ||= last;
    const missing: number[] = [];
    for (let seq = 1; seq <= message.total; seq++) if (!message.packets.has(seq)) missing.push(seq);
    // A packet sent again after the last one came completes the message once none is missing.
    if (!message.sawLast || (missing.length > 0 && !last)) return { kind: 'pending', seq: packet.seq, total: packet.total, held: message.packets.size };
    if (missing.length > 0) return { kind: 'missing', total: message.total, missing };
    this.open.delete(key);
    const packets: Packet[] = [];
    for (let seq = 1; seq <= message.total; seq++) packets.push(message.packets.get(seq)!);
    return { kind: 'complete', packets };
  }
}
