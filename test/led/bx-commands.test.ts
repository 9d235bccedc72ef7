import { describe, expect, it } from 'vitest';
import {
  BxPayloadError,
  buildDynamicTextData,
  buildStatusData,
  encodeText,
  parseDynamicTextData,
  parseStatusData,
  type BxDynamicText,
} from '../../drivers/led/bx-commands.js';
import { encodeFrame } from '../../drivers/led/bx-frame.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');

const base: BxDynamicText = {
  areaId: 0,
  x: 0,
  y: 0,
  width: 128,
  height: 32,
  unit: 'pixel',
  displayMode: 'static',
  runMode: 'loop',
  timeoutSeconds: 10,
  lineSpacing: 0,
  singleLine: false,
  autoWrap: false,
  exitMode: 0,
  speed: 2,
  stayTime: 10,
  text: '欢迎光临',
  encoding: 'gb2312',
};

describe('GB2312 text', () => {
  it.each([
    ['洪水预警', 'BA E9 CB AE D4 A4 BE AF'],
    ['立即转移', 'C1 A2 BC B4 D7 AA D2 C6'],
  ])('%s → %s', (text, bytes) => {
    expect(toHex(encodeText(text, 'gb2312'))).toBe(bytes);
  });

  it('names characters GB2312 cannot carry, and lets GBK carry them', () => {
    // 堃 is a GBK-only character common in names; 😀 is in neither.
    expect(() => encodeText('堃村', 'gb2312')).toThrow(/堃 \(U\+5803\)/);
    expect(toHex(encodeText('堃', 'gbk'))).toBe('88 D2');
    expect(() => encodeText('水😀', 'gbk')).toThrow(BxPayloadError);
  });
});

describe('A3 06 dynamic area text', () => {
  it('reproduces the published BX-6K3 example frame (欢迎光临, 128×32, CRC 3C 49) byte for byte', () => {
    const frame = encodeFrame({ dst: 0xfffe, src: 0x8000, devType: 0xfe, protoVer: 0x02, cmdGroup: 0xa3, cmd: 0x06, flag: 0x01, data: buildDynamicTextData(base) });
    expect(toHex(frame)).toBe(
      'A5 A5 A5 A5 A5 A5 A5 A5 FE FF 00 80 00 00 00 00 00 00 FE 02 2C 00 A3 06 01 00 00 00 01 23 00 00 00 80 00 00 80 80 20 00 00 00 00 0A 00 00 00 00 02 01 01 00 02 0A 08 00 00 00 BB B6 D3 AD B9 E2 C1 D9 3C 49 5A',
    );
  });

  it('parses back what it builds', () => {
    const area: BxDynamicText = { ...base, areaId: 3, x: 16, y: 8, width: 64, height: 16, unit: 'byte', displayMode: 'scrollLeft', runMode: 'holdLast', autoWrap: true, singleLine: true, speed: 4, stayTime: 5, text: '洪水预警 立即转移', align: 'right', verticalAlign: 'middle' };
    const update = parseDynamicTextData(buildDynamicTextData(area), 'gb2312');
    expect(update.deleteAreaIds).toEqual([]);
    expect(update.areas).toHaveLength(1);
    const { areaType, textBytes, soundMode, extendParaLen, extendedParams, rawGeometry, ...back } = update.areas[0]!;
    expect(areaType).toBe(0);
    expect(toHex(textBytes)).toBe('BA E9 CB AE D4 A4 BE AF 20 C1 A2 BC B4 D7 AA D2 C6');
    expect({ soundMode, extendParaLen, extendedParams: [...extendedParams] }).toEqual({ soundMode: 'off', extendParaLen: 0, extendedParams: [] });
    expect(rawGeometry).toEqual({ x: 2, y: 8, width: 8, height: 16 });
    expect(back).toEqual(area);
  });

  it('reads an area without alignment as left/top (what the driver sent before it knew the byte)', () => {
    const { align, verticalAlign } = parseDynamicTextData(buildDynamicTextData(base), 'gb2312').areas[0]!;
    expect({ align, verticalAlign }).toEqual({ align: 'left', verticalAlign: 'top' });
  });

  it('refuses geometry it cannot express', () => {
    expect(() => buildDynamicTextData({ ...base, unit: 'byte', x: 3 })).toThrow(/multiple of 8/);
    expect(() => buildDynamicTextData({ ...base, areaId: 256 })).toThrow(/areaId/);
  });

  it('refuses a payload whose lengths disagree', () => {
    const data = buildDynamicTextData(base);
    expect(() => parseDynamicTextData(data.subarray(0, data.length - 1), 'gb2312')).toThrow(BxPayloadError);
    expect(() => parseDynamicTextData(Buffer.concat([data, Buffer.from([0])]), 'gb2312')).toThrow(/stray/);
  });
});

/** Offset in the A3 06 payload of the byte after the 2-byte timeout: 4 (counts, length) + 14 (area header up to timeout). */
const AFTER_TIMEOUT = 4 + 14;

describe('the three bytes after timeout: SoundMode, ExtendParaLen, TextAlignment (protocol §9.1)', () => {
  it.each([
    ['left', 'top', '00 00 00'],
    ['right', 'top', '00 00 01'],
    ['center', 'top', '00 00 02'],
    ['left', 'bottom', '00 00 04'],
    ['center', 'middle', '00 00 0A'],
    ['right', 'bottom', '00 00 05'],
  ] as const)('align %s, vertical %s → %s', (align, verticalAlign, bytes) => {
    const data = buildDynamicTextData({ ...base, align, verticalAlign });
    expect(toHex(data.subarray(AFTER_TIMEOUT, AFTER_TIMEOUT + 3))).toBe(bytes);
    expect(parseDynamicTextData(data, 'gb2312').areas[0]).toMatchObject({ align, verticalAlign, soundMode: 'off', extendParaLen: 0 });
  });

  it('left alignment is the default and leaves the published frame as it was', () => {
    expect(buildDynamicTextData({ ...base, align: 'left', verticalAlign: 'top' })).toEqual(buildDynamicTextData(base));
  });

  it('reads the sound and extension fields a voice board or a newer SDK sends before TextAlignment', () => {
    const text = encodeText('水位', 'gb2312');
    const speech = encodeText('请转移', 'gb2312');
    const le16 = (n: number): number[] => [n & 0xff, n >> 8];
    const le32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
    const area = Buffer.from([
      0x00, ...le16(0x8000), ...le16(0), ...le16(0x8080), ...le16(32), // type, x 0 px, y 0, width 128 px, height 32
      0x01, 0x00, 0x00, ...le16(10), // area 1, line spacing, run mode loop, timeout 10 s
      0x02, 0x23, 0x07, 0x04, ...le32(speech.length), ...speech, // SoundMode 2: speaker 3 ×2, volume 7, speed 4, SoundData
      0x02, 0x01, 0x02, // ExtendParaLen 2: TypeSetting 1, Font_sizes 2
      0x0a, // TextAlignment: centre, vertical centre
      0x01, 0x02, 0x01, 0x00, 0x00, 0x0a, ...le32(text.length), ...text,
    ]);
    const data = Buffer.concat([Buffer.from([0x00, 0x01, ...le16(area.length)]), area]);
    const [a] = parseDynamicTextData(data, 'gb2312').areas;
    expect(a).toMatchObject({ areaId: 1, x: 0, width: 128, height: 32, unit: 'pixel', soundMode: 'speakSoundData', extendParaLen: 2, align: 'center', verticalAlign: 'middle', text: '水位' });
    expect(a!.sound).toMatchObject({ personRepeat: 0x23, volume: 7, speed: 4 });
    expect(a!.sound?.data).toEqual(speech);
    expect([...a!.extendedParams]).toEqual([0x01, 0x02]);
  });

  it('refuses alignment, sound mode and extension values it cannot read', () => {
    const patched = (at: number, byte: number): Buffer => {
      const d = buildDynamicTextData(base);
      d.writeUInt8(byte, at);
      return d;
    };
    expect(() => parseDynamicTextData(patched(AFTER_TIMEOUT + 2, 0x03), 'gb2312')).toThrow(/horizontal text alignment/);
    expect(() => parseDynamicTextData(patched(AFTER_TIMEOUT + 2, 0x0c), 'gb2312')).toThrow(/vertical text alignment/);
    expect(() => parseDynamicTextData(patched(AFTER_TIMEOUT + 2, 0x10), 'gb2312')).toThrow(/undefined bits/);
    expect(() => parseDynamicTextData(patched(AFTER_TIMEOUT, 0x03), 'gb2312')).toThrow(/sound mode/);
    // An extension length that runs into the rest of the header leaves the text length unmatched.
    expect(() => parseDynamicTextData(patched(AFTER_TIMEOUT + 1, 0x05), 'gb2312')).toThrow(BxPayloadError);
  });
});

describe('area geometry: the published reading (§9.1) and the plain-pixel one (Onbon Java sample, 2021)', () => {
  const region = { x: 16, y: 8, width: 64, height: 16 };
  const decode = (data: Buffer, geometry: 'published' | 'plain-pixels') => {
    const a = parseDynamicTextData(data, 'gb2312', { geometry }).areas[0]!;
    return { x: a.x, y: a.y, width: a.width, height: a.height, unit: a.unit, raw: a.rawGeometry };
  };

  it('BX-6K (pixels, bit 15 set) decodes to the same pixels under §9.1', () => {
    const data = buildDynamicTextData({ ...base, ...region, unit: 'pixel' });
    expect(toHex(data.subarray(5, 13))).toBe('10 80 08 00 40 80 10 00');
    expect(decode(data, 'published')).toEqual({ ...region, unit: 'pixel', raw: { x: 0x8010, y: 8, width: 0x8040, height: 16 } });
  });

  it('BX-5K (8-pixel units) decodes to the same pixels under §9.1', () => {
    const data = buildDynamicTextData({ ...base, ...region, unit: 'byte' });
    expect(toHex(data.subarray(5, 13))).toBe('02 00 08 00 08 00 10 00');
    expect(decode(data, 'published')).toEqual({ ...region, unit: 'byte', raw: { x: 2, y: 8, width: 8, height: 16 } });
  });

  it('a plain-pixel frame decodes right only under the plain-pixel reading; §9.1 puts it 8× further and wider', () => {
    // What the Java sample sends a 6K for x 16, width 64: the bare numbers, no bit 15 (= our byte unit of 128/512 px).
    const plain = buildDynamicTextData({ ...base, ...region, x: 128, width: 512, unit: 'byte' });
    expect(toHex(plain.subarray(5, 13))).toBe('10 00 08 00 40 00 10 00');
    expect(decode(plain, 'plain-pixels')).toMatchObject({ ...region, unit: 'pixel' });
    expect(decode(plain, 'published')).toMatchObject({ x: 128, width: 512, unit: 'byte' });
  });

  it('our frames read with the plain-pixel reading land off any real screen', () => {
    expect(decode(buildDynamicTextData({ ...base, ...region, unit: 'pixel' }), 'plain-pixels')).toMatchObject({ x: 0x8010, width: 0x8040 });
    expect(decode(buildDynamicTextData({ ...base, ...region, unit: 'byte' }), 'plain-pixels')).toMatchObject({ x: 2, width: 8 });
  });
});

describe('status reply', () => {
  it('round-trips', () => {
    expect(parseStatusData(buildStatusData({ screenOn: true, brightness: 9 }))).toMatchObject({ screenOn: true, brightness: 9 });
    expect(() => parseStatusData(new Uint8Array([1]))).toThrow(BxPayloadError);
  });
});
