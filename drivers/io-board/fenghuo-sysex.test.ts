import { describe, expect, it } from 'vitest';
import {
  FirmataFrameReader,
  decodeFenghuoReply,
  encodeEvacuate,
  encodeFailsafeConfig,
  encodeFailsafeConfigQuery,
  encodeHeartbeat,
  encodePulseConfig,
  encodePulseCountQuery,
  encodeRelayConfig,
  encodeRelayConfigQuery,
  encodeStatusQuery,
  encodeTestHang,
} from './fenghuo-sysex.js';

const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

describe('fenghuo sysex encoder', () => {
  it('encodes every command as documented in firmware/PROTOCOL.md', () => {
    expect(hex(encodeHeartbeat())).toBe('f0 01 f7');
    expect(hex(encodeRelayConfig(7, { activeLow: false, role: 'plain' }))).toBe('f0 02 07 00 f7');
    expect(hex(encodeRelayConfig(8, { activeLow: true, role: 'siren' }))).toBe('f0 02 08 03 f7');
    expect(hex(encodeRelayConfig(9, { activeLow: false, role: 'hold' }))).toBe('f0 02 09 04 f7');
    expect(hex(encodeRelayConfig(9, null))).toBe('f0 02 09 7f f7');
    expect(hex(encodeRelayConfigQuery(9))).toBe('f0 02 09 f7');
    // 300 s = 0x12C -> 2c 02; 1000 ms = 0x3E8 -> 68 07
    expect(hex(encodeFailsafeConfig({ silenceS: 10, onMs: 1000, offMs: 500, boundS: 300 }))).toBe(
      'f0 03 0a 00 68 07 74 03 2c 02 f7',
    );
    expect(hex(encodeFailsafeConfigQuery())).toBe('f0 03 f7');
    expect(hex(encodeEvacuate(true))).toBe('f0 04 01 f7');
    expect(hex(encodeEvacuate(false))).toBe('f0 04 00 f7');
    expect(hex(encodePulseConfig(2, { edge: 'falling', minGapMs: 5 }))).toBe('f0 05 02 01 05 00 f7');
    expect(hex(encodePulseCountQuery(3))).toBe('f0 06 03 f7');
    expect(hex(encodeStatusQuery())).toBe('f0 07 f7');
    expect(hex(encodeTestHang())).toBe('f0 0e 48 41 4e 47 f7');
  });

  it('rejects values that do not fit the wire format', () => {
    expect(() => encodeFailsafeConfig({ silenceS: 16_384, onMs: 1, offMs: 1, boundS: 1 })).toThrow(RangeError);
    expect(() => encodeFailsafeConfig({ silenceS: 1.5, onMs: 1, offMs: 1, boundS: 1 })).toThrow(RangeError);
    expect(() => encodePulseCountQuery(4)).toThrow(/INT0/);
    expect(() => encodeRelayConfig(128, { activeLow: false, role: 'plain' })).toThrow(RangeError);
  });
});

describe('fenghuo sysex decoder', () => {
  it('decodes replies', () => {
    expect(decodeFenghuoReply(0x02, [8, 3])).toEqual({ kind: 'relay-config', pin: 8, config: { activeLow: true, role: 'siren' } });
    expect(decodeFenghuoReply(0x02, [8, 0x7f])).toEqual({ kind: 'relay-config', pin: 8, config: null });
    expect(decodeFenghuoReply(0x03, [0x0a, 0, 0x68, 0x07, 0x74, 0x03, 0x2c, 0x02])).toEqual({
      kind: 'failsafe-config',
      config: { silenceS: 10, onMs: 1000, offMs: 500, boundS: 300 },
    });
    expect(decodeFenghuoReply(0x05, [2, 1, 5, 0])).toEqual({ kind: 'pulse-config', pin: 2, config: { edge: 'falling', minGapMs: 5 } });
    // 0xFFFFFFFF in five 7-bit groups
    expect(decodeFenghuoReply(0x06, [2, 0x7f, 0x7f, 0x7f, 0x7f, 0x0f])).toEqual({ kind: 'pulse-count', pin: 2, count: 0xffffffff });
    expect(decodeFenghuoReply(0x06, [3, 50, 0, 0, 0, 0])).toEqual({ kind: 'pulse-count', pin: 3, count: 50 });
    const status = decodeFenghuoReply(0x07, [0b111, 2, 0b1010, 1, 0x2f, 0x02, 0, 0, 0, 3, 0]);
    expect(status).toEqual({
      kind: 'status',
      status: {
        hostArmed: true,
        evacuateArmed: true,
        testBuild: true,
        state: 'evacuating',
        resetCause: { powerOn: false, external: true, brownOut: false, watchdog: true },
        watchdogResets: 1,
        uptimeMs: 303,
        evacuateElapsedS: 3,
      },
    });
    expect(decodeFenghuoReply(0x07, [1, 2])).toBeUndefined();
    expect(decodeFenghuoReply(0x79, [1, 0])).toBeUndefined();
  });
});

describe('FirmataFrameReader', () => {
  it('splits sysex frames and 3-byte messages, across chunk boundaries, skipping garbage', () => {
    const r = new FirmataFrameReader();
    const frames = [
      ...r.push([0x00, 0x42, 0xf9, 0x02]),
      ...r.push([0x05, 0xf0, 0x07, 0x01]),
      ...r.push([0x02, 0xf7, 0x91, 0x04, 0x00, 0xf0, 0x6e, 0x90, 0x01, 0x00]),
    ];
    expect(frames).toEqual([
      { kind: 'message', bytes: [0xf9, 0x02, 0x05] },
      { kind: 'sysex', command: 0x07, data: [0x01, 0x02] },
      { kind: 'message', bytes: [0x91, 0x04, 0x00] },
      // the broken sysex (f0 6e without f7) gives way to the digital message that interrupted it
      { kind: 'message', bytes: [0x90, 0x01, 0x00] },
    ]);
  });
});
