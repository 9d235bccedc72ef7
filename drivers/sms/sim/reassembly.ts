/**
 * Puts concatenated SMS parts back together the way a phone does: by sender-side reference, part count and
 * recipient; a message is complete when every part 1..total has arrived, whatever the order.
 */

export interface ReceivedPart {
  readonly number: string;
  readonly text: string;
  readonly encoding: 'gsm7' | 'ucs2' | '8bit';
  /** Present for a part of a concatenated message. */
  readonly concat?: { readonly reference: number; readonly total: number; readonly sequence: number };
  readonly statusReportRequested: boolean;
  /** TP-MR the simulated network gave this part. */
  readonly messageReference: number;
  readonly at: number;
}

export interface ReassembledMessage {
  readonly number: string;
  readonly text: string;
  /** The parts in sequence order. */
  readonly parts: readonly ReceivedPart[];
  readonly encoding: ReceivedPart['encoding'];
  /** When the last part arrived. */
  readonly completedAt: number;
}

export class Reassembler {
  private readonly open = new Map<string, ReceivedPart[]>();

  /** Adds a part; returns the message when this part completed it. */
  add(part: ReceivedPart): ReassembledMessage | undefined {
    if (!part.concat) return { number: part.number, text: part.text, parts: [part], encoding: part.encoding, completedAt: part.at };
    const key = `${part.number}/${part.concat.reference}/${part.concat.total}`;
    const parts = (this.open.get(key) ?? []).filter((p) => p.concat?.sequence !== part.concat?.sequence);
    parts.push(part);
    this.open.set(key, parts);
    if (parts.length < part.concat.total) return undefined;
    this.open.delete(key);
    const ordered = [...parts].sort((a, b) => (a.concat?.sequence ?? 0) - (b.concat?.sequence ?? 0));
    return { number: part.number, text: ordered.map((p) => p.text).join(''), parts: ordered, encoding: part.encoding, completedAt: part.at };
  }

  /** Parts of messages still incomplete. */
  incomplete(): ReceivedPart[] {
    return [...this.open.values()].flat();
  }
}
