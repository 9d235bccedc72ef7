import { describe, expect, it } from 'vitest';
import { parseWavHeader } from '../../drivers/audio/wav-format.js';

/** A 44-byte PCM header followed by `dataBytes` of zeros, declaring `declared` bytes of data. */
function wav(rate: number, channels: number, dataBytes: number, declared = dataBytes): Buffer {
  const b = Buffer.alloc(44 + dataBytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(Math.min(36 + declared, 0xffffffff), 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(channels, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * channels * 2, 28);
  b.writeUInt16LE(channels * 2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(declared, 40);
  return b;
}

describe('parseWavHeader', () => {
  it('computes the duration from the data chunk', () => {
    expect(parseWavHeader(wav(8_000, 1, 16_000))).toEqual({ rate: 8_000, channels: 1, bits: 16, dataBytes: 16_000, durationMs: 1_000 });
    expect(parseWavHeader(wav(22_050, 2, 22_050 * 4)).durationMs).toBe(1_000);
  });

  it('trusts the file length when a killed writer left a placeholder size', () => {
    expect(parseWavHeader(wav(8_000, 1, 8_000, 0xffffffff)).durationMs).toBe(500);
  });

  it('rejects what is not a PCM WAV', () => {
    expect(() => parseWavHeader(Buffer.from('ID3 not a wav at all'))).toThrow(/no RIFF\/WAVE header/);
    expect(() => parseWavHeader(wav(8_000, 1, 0).subarray(0, 36))).toThrow(/no data chunk/);
  });
});
