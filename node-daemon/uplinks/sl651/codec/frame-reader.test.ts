import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameReadResult } from './frame-reader.js';
import { encodeFrame } from './frames.js';
import type { Sl651Frame } from './model.js';
import { BEIJING_FRAMES, FUJIAN_FRAMES } from './public-frames.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const A = bytes(FUJIAN_FRAMES.timed.hex);
const B = bytes(BEIJING_FRAMES.hourly.hex);
const ASCII_FRAME: Sl651Frame = { encoding: 'ascii', direction: 'down', centre: 1, station: '0012345678', password: 0, fn: 0x2f, body: Uint8Array.from('0003140612020000', (c) => c.charCodeAt(0)), end: 'ESC' };
const C = encodeFrame(ASCII_FRAME);
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const summary = (rs: readonly FrameReadResult[]): string[] => rs.map((r) => (r.ok ? `ok ${r.frame.encoding} ${r.frame.fn.toString(16)}` : `error ${r.error.code} ${r.raw.length}`));

describe('FrameReader', () => {
  it('several frames of both encodings in one chunk', () => {
    expect(summary(new FrameReader().push(cat(A, C, B)))).toEqual(['ok hex 32', 'ok ascii 2f', 'ok hex 34']);
  });

  it('frames split across chunks, byte by byte', () => {
    const reader = new FrameReader();
    const out: FrameReadResult[] = [];
    for (const b of cat(A, C, B)) out.push(...reader.push(Uint8Array.of(b)));
    expect(summary(out)).toEqual(['ok hex 32', 'ok ascii 2f', 'ok hex 34']);
    expect(out[0]?.raw).toEqual(A);
  });

  it('garbage before a frame is skipped and reported once, even across chunks', () => {
    const reader = new FrameReader();
    const first = reader.push(Uint8Array.of(0x00, 0x7e, 0x41, 0x01, 0x99));
    expect(first).toEqual([]);
    // The 7E just before the frame reads 7E 7E 7E: it starts no frame either, so the run is 7 bytes.
    expect(summary([...first, ...reader.push(cat(Uint8Array.of(0x55, 0x7e), A))])).toEqual(['error start 7', 'ok hex 32']);
  });

  it('a CRC error is reported and the reader goes on after that frame', () => {
    const bad = A.slice();
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0xff;
    expect(summary(new FrameReader().push(cat(bad, B, C)))).toEqual(['error crc ' + A.length, 'ok hex 34', 'ok ascii 2f']);
  });

  it('a bad end mark is reported and the reader goes on', () => {
    const bad = A.slice();
    bad[bad.length - 3] = 0x09;
    expect(summary(new FrameReader().push(cat(bad, B)))).toEqual(['error end ' + A.length, 'ok hex 34']);
  });

  it('a length pointing past what arrived waits for more', () => {
    const reader = new FrameReader();
    expect(reader.push(A.subarray(0, 20))).toEqual([]);
    expect(reader.push(A.subarray(20, A.length - 1))).toEqual([]);
    expect(summary(reader.push(A.subarray(A.length - 1)))).toEqual(['ok hex 32']);
  });

  it('a frame over the reader bound is reported as length and skipped, and good frames after it still come', () => {
    const reader = new FrameReader(B.length);
    const long = A.slice();
    long[11] = 0x0f; // length 0xF2B: far more than this reader accepts
    expect(summary(reader.push(cat(long, B)))).toEqual(['error length 17', 'error start ' + (A.length - 17), 'ok hex 34']);
  });

  it('a garbage run longer than the bound is reported without waiting for a frame', () => {
    const reader = new FrameReader(64);
    expect(summary(reader.push(new Uint8Array(100).fill(0x20)))).toEqual(['error start 64']);
  });
});
