/**
 * Splits what a modem sends into lines (TS 27.007 §4.1: verbose responses are framed by CR LF), the `> ` prompt of
 * AT+CMGS (which is not followed by a line end), and the two-line URCs of PDU mode, where a header line is followed
 * by a PDU line (TS 27.005 §3.4.1: `+CDS: <length>` then `<pdu>`, `+CMT: [<alpha>],<length>` then `<pdu>`).
 */

export type AtLineEvent =
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'prompt' }
  | { readonly kind: 'pdu-urc'; readonly header: string; readonly pdu: string };

const TWO_LINE_URC = /^\+(CDS|CMT): /;
/** Bytes kept of a line that never ends (line noise): a modem line is far shorter. */
const MAX_LINE = 4_096;

export class AtLineReader {
  private partial = '';
  private pendingHeader: string | undefined;

  push(chunk: string): AtLineEvent[] {
    const out: AtLineEvent[] = [];
    for (const ch of chunk) {
      if (ch === '\r' || ch === '\n') {
        this.endLine(out);
      } else {
        this.partial += ch;
        if (this.partial.length > MAX_LINE) this.partial = this.partial.slice(-MAX_LINE);
        // The prompt is `> ` (or a bare `>` on some modems) at the start of a line, with no line end after it.
        if (this.partial === '> ' && this.pendingHeader === undefined) {
          this.partial = '';
          out.push({ kind: 'prompt' });
        }
      }
    }
    return out;
  }

  /** A bare `>` with nothing after it is a prompt too; call when the line has gone quiet. */
  flushPrompt(): AtLineEvent[] {
    if (this.partial === '>' && this.pendingHeader === undefined) {
      this.partial = '';
      return [{ kind: 'prompt' }];
    }
    return [];
  }

  reset(): void {
    this.partial = '';
    this.pendingHeader = undefined;
  }

  private endLine(out: AtLineEvent[]): void {
    const text = this.partial.trim();
    this.partial = '';
    if (text === '') return;
    if (this.pendingHeader !== undefined) {
      const header = this.pendingHeader;
      this.pendingHeader = undefined;
      if (/^[0-9A-Fa-f]+$/.test(text)) {
        out.push({ kind: 'pdu-urc', header, pdu: text });
        return;
      }
      // Not a PDU after all: hand both over as plain lines.
      out.push({ kind: 'line', text: header });
    }
    if (TWO_LINE_URC.test(text)) {
      this.pendingHeader = text;
      return;
    }
    out.push({ kind: 'line', text });
  }
}
