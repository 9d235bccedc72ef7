import { MAX_LENGTH } from './frame-fields.js';
import { decodeFrame, frameHeaderAt } from './frames.js';
import { Sl651Error, type Sl651Frame } from './model.js';

export type FrameReadResult = { ok: true; frame: Sl651Frame; raw: Uint8Array } | { ok: false; error: Sl651Error; raw: Uint8Array };

/** The largest legal frame: an ASCII SYN frame with a full length field (SOH header 24, 4095, end 1, CRC 4). */
export const MAX_FRAME_BYTES = 24 + MAX_LENGTH + 5;
const HEADER_BYTES = { hex: 17, ascii: 30 } as const;

/**
 * Frames out of a TCP byte stream, both encodings: a frame may arrive in pieces or several in one chunk. Bytes that
 * start no frame are skipped and reported once per run, as 'start', when the next frame is found (or when the run
 * reaches `maxFrameBytes`). A frame whose CRC, end mark or length is wrong is reported and the reader goes on after
 * it. A header whose length field points past what arrived waits for more: at most `maxFrameBytes` (the largest legal
 * frame unless a link wants less, so that a corrupted length holds up fewer good frames); a header declaring more is
 * reported as 'length' and skipped.
 */
export class FrameReader {
  private buf = new Uint8Array(0);
  private skipped: number[] = [];

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  push(chunk: Uint8Array): FrameReadResult[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const buf = joined;
    const out: FrameReadResult[] = [];
    let at = 0;
    while (at < buf.length) {
      const found = frameHeaderAt(buf, at);
      if (found === undefined || ('error' in found.parsed && found.parsed.error.code === 'start')) {
        this.skip(buf[at] ?? 0, out);
        at++;
        continue;
      }
      const { encoding: kind, parsed } = found;
      if ('need' in parsed) break;
      const size = 'error' in parsed ? undefined : parsed.header.size;
      if (size === undefined || size > this.maxFrameBytes) {
        const skipBytes = Math.min(buf.length - at, HEADER_BYTES[kind]);
        const error = 'error' in parsed ? parsed.error : new Sl651Error('length', `a frame of ${size} bytes is over this reader's ${this.maxFrameBytes}`);
        this.report(out);
        out.push({ ok: false, error, raw: buf.slice(at, at + skipBytes) });
        at += skipBytes;
        continue;
      }
      if (buf.length - at < size) break;
      this.report(out);
      const raw = buf.slice(at, at + size);
      out.push(read(raw));
      at += size;
    }
    this.buf = buf.slice(at);
    return out;
  }

  private skip(byte: number, out: FrameReadResult[]): void {
    this.skipped.push(byte);
    if (this.skipped.length >= this.maxFrameBytes) this.report(out);
  }

  private report(out: FrameReadResult[]): void {
    if (this.skipped.length === 0) return;
    out.push({ ok: false, error: new Sl651Error('start', `${this.skipped.length} bytes before a frame start (7E 7E or SOH) skipped`), raw: Uint8Array.from(this.skipped) });
    this.skipped = [];
  }
}

function read(raw: Uint8Array): FrameReadResult {
  try {
    return { ok: true, frame: decodeFrame(raw), raw };
  } catch (e) {
    if (e instanceof Sl651Error) return { ok: false, error: e, raw };
    throw e;
  }
}
