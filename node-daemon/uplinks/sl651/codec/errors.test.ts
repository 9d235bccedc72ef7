import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../test/helpers/seeded-random.js';
import { decodeFrame, encodeFrame } from './frames.js';
import { decodeHead, decodePeriodQuery, decodeReport, decodeStationAddress } from './messages.js';
import { Sl651Error, type Sl651ErrorCode, type Sl651Frame } from './model.js';
import { FUJIAN_FRAMES } from './public-frames.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const GOOD = bytes(FUJIAN_FRAMES.timed12345678.hex);
const BODY = decodeFrame(GOOD).body;
const ASCII: Sl651Frame = { encoding: 'ascii', direction: 'up', centre: 1, station: '0012345678', password: 0x1234, fn: 0x32, body: Uint8Array.from('0003140612020000 ST 0012345678 H TT 1406120200 Z 2.345', (c) => c.charCodeAt(0)), end: 'ETX' };

function codeOf(f: () => unknown): Sl651ErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (e instanceof Sl651Error) return e.code;
    throw e;
  }
}
const withByte = (b: Uint8Array, at: number, v: number): Uint8Array => {
  const out = b.slice();
  out[at < 0 ? out.length + at : at] = v;
  return out;
};
/** The report body with the 20 element's value (bytes 25..27 of the body) replaced. */
const withRainValue = (hex: string): Uint8Array => Uint8Array.from([...BODY.subarray(0, 25), ...bytes(hex), ...BODY.subarray(28)]);

describe('frame errors', () => {
  it.each([
    ['a CRC error', withByte(GOOD, -1, GOOD[GOOD.length - 1]! ^ 1), 'crc'],
    ['a truncated frame', GOOD.subarray(0, GOOD.length - 1), 'truncated'],
    ['a bare header', GOOD.subarray(0, 10), 'truncated'],
    ['no bytes', new Uint8Array(), 'truncated'],
    ['a bad start', withByte(GOOD, 0, 0x7f), 'start'],
    ['a bad start mark', withByte(GOOD, 13, 0x07), 'start'],
    ['a bad end mark', withByte(GOOD, -3, 0x09), 'end'],
    ['a byte past the length', Uint8Array.from([...GOOD, 0x7e]), 'length'],
  ] as const)('HEX: %s', (_what, frame, code) => {
    expect(codeOf(() => decodeFrame(frame))).toBe(code);
  });

  it('ASCII: CRC, truncation, end mark and a non-hex header', () => {
    const wire = encodeFrame(ASCII);
    expect(codeOf(() => decodeFrame(withByte(wire, -1, 0x30 + ((wire[wire.length - 1]! - 0x30 + 1) % 10))))).toBe('crc');
    expect(codeOf(() => decodeFrame(wire.subarray(0, wire.length - 2)))).toBe('truncated');
    expect(codeOf(() => decodeFrame(withByte(wire, -5, 0x09)))).toBe('end');
    expect(codeOf(() => decodeFrame(withByte(wire, 3, 0x47)))).toBe('start');
    expect(codeOf(() => decodeFrame(withByte(wire, 21, 0x47)))).toBe('length');
  });
});

describe('body errors', () => {
  it('an unknown element is kept raw', () => {
    const els = decodeReport(Uint8Array.from([...BODY.subarray(0, 23), 0x77, 0x10, 0x12, 0x34]), 'hex').groups[0]?.elements;
    expect(els).toEqual([{ kind: 'raw', id: 0x77, definition: 0x10, bytes: Uint8Array.from([0x12, 0x34]) }]);
  });

  it('a bad BCD digit and a value overrunning the body are element errors', () => {
    expect(codeOf(() => decodeReport(withRainValue('000A55'), 'hex'))).toBe('element');
    expect(codeOf(() => decodeReport(BODY.subarray(0, 27), 'hex'))).toBe('element');
    expect(codeOf(() => decodeReport(Uint8Array.from([...BODY.subarray(0, 23), 0x39, 0x00]), 'hex'))).toBe('element');
  });

  it('a negative value and a missing one', () => {
    const els = decodeReport(withRainValue('FF0055'), 'hex').groups[0]?.elements;
    expect(els?.[0]).toEqual({ kind: 'number', id: 0x20, definition: 0x19, value: -5.5 });
    expect(decodeReport(withRainValue('FFFFFF'), 'hex').groups[0]?.elements[0]).toEqual({ kind: 'number', id: 0x20, definition: 0x19, value: null });
  });

  it('bodies that do not fit their layout are body errors', () => {
    expect(codeOf(() => decodeHead(BODY.subarray(0, 7), 'hex'))).toBe('body');
    expect(codeOf(() => decodeReport(withByte(BODY, 8, 0xf2), 'hex'))).toBe('body');
    expect(codeOf(() => decodeReport(withByte(BODY, 3, 0x13), 'hex'))).toBe('body');
    expect(codeOf(() => decodeStationAddress(BODY, 'hex'))).toBe('body');
    expect(codeOf(() => decodePeriodQuery(BODY, 'hex'))).toBe('body');
    expect(codeOf(() => decodeReport(Uint8Array.from('0003140612020000 ST 0012345678 H TT 1406120200 Z 2.3x', (c) => c.charCodeAt(0)), 'ascii'))).toBe('element');
    expect(codeOf(() => decodeReport(Uint8Array.from('0003140612020000 XX', (c) => c.charCodeAt(0)), 'ascii'))).toBe('body');
  });

  it('an unknown ASCII identifier is kept raw as its text', () => {
    const m = decodeReport(Uint8Array.from('0003140612020000 ST 0012345678 H TT 1406120200 QQ 12 Z 1.000', (c) => c.charCodeAt(0)), 'ascii');
    expect(m.groups[0]?.elements).toEqual([
      { kind: 'raw', id: 0, definition: 0, bytes: Uint8Array.from('QQ 12', (c) => c.charCodeAt(0)) },
      { kind: 'number', id: 0x39, definition: 0x23, value: 1 },
    ]);
  });

  it('random corruption of frames and bodies only ever throws Sl651Error', () => {
    const r = mulberry32(1234);
    const sources = [GOOD, encodeFrame(ASCII), ...Object.values(FUJIAN_FRAMES).map((f) => bytes(f.hex))];
    for (let i = 0; i < 3000; i++) {
      const src = sources[Math.floor(r() * sources.length)]!;
      const b = src.slice(0, Math.max(1, Math.floor(src.length * (0.5 + r()))));
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      codeOf(() => decodeFrame(b));
      const enc = r() < 0.5 ? 'hex' : 'ascii';
      for (const decode of [decodeHead, decodeReport, decodeStationAddress, decodePeriodQuery]) codeOf(() => decode(b.subarray(Math.floor(r() * 20)), enc));
    }
  });
});
