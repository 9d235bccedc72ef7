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
    const area: BxDynamicText = { ...base, areaId: 3, x: 16, y: 8, width: 64, height: 16, unit: 'byte', displayMode: 'scrollLeft', runMode: 'holdLast', autoWrap: true, singleLine: true, speed: 4, stayTime: 5, text: '洪水预警 立即转移' };
    const update = parseDynamicTextData(buildDynamicTextData(area), 'gb2312');
    expect(update.deleteAreaIds).toEqual([]);
    expect(update.areas).toHaveLength(1);
    const { areaType, textBytes, ...back } = update.areas[0]!;
    expect(areaType).toBe(0);
    expect(toHex(textBytes)).toBe('BA E9 CB AE D4 A4 BE AF 20 C1 A2 BC B4 D7 AA D2 C6');
    expect(back).toEqual(area);
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

describe('status reply', () => {
  it('round-trips', () => {
    expect(parseStatusData(buildStatusData({ screenOn: true, brightness: 9 }))).toMatchObject({ screenOn: true, brightness: 9 });
    expect(() => parseStatusData(new Uint8Array([1]))).toThrow(BxPayloadError);
  });
});
