import { describe, expect, it } from 'vitest';
import {
  CURRENT_RAIN,
  encodeElement,
  encodeHourlyReport,
  encodeTimedReport,
  SL651_FUNCTION,
  VOLTAGE,
  WATER_LEVEL,
  type Sl651Station,
} from './frame.js';
import { Sl651Error } from './codec/model.js';

// The public examples of Fujian's SL 651 profile (福建省水文监测数据接入规定 V1.0), as published with the wainshine/SL651
// toolkit (examples/fujian_messages.txt). Three of them end with a stray `7E` after the CRC, not part of the frame
// (the length field and the CRC both end before it); it is left out here.
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
/** Beijing wall time as UTC ms. */
const bj = (y: number, mo: number, d: number, h: number, mi: number, s = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi, s);

const STATION_12345678: Sl651Station = { centre: 0x10, station: '0012345678', password: 0x1234, stationType: 0x48 };
const STATION_1000000006: Sl651Station = { centre: 0x01, station: '1000000006', password: 0x0000, stationType: 0x48 };

describe('SL 651-2014 uplink frames against published examples', () => {
  it('定时报 (0x32), station 0012345678: rain, element 07, voltage', () => {
    const frame = encodeTimedReport(STATION_12345678, { serial: 3, sentAt: bj(2014, 6, 12, 2, 0, 0), observedAt: bj(2014, 6, 12, 2, 0) }, [
      { format: CURRENT_RAIN, value: 5.5 },
      { format: { id: 0x07, bytes: 3, decimals: 1 }, value: 21.5 },
      { format: VOLTAGE, value: 12.9 },
    ]);
    expect(hex(frame)).toBe('7E7E1000123456781234320025020003140612020000F1F1001234567848F0F014061202002019000055071900021538121290033D9E');
  });

  it('定时报 (0x32), station 1000000006: rain, accumulated rain, water level 39 23, voltage', () => {
    const frame = encodeTimedReport(STATION_1000000006, { serial: 0x2f7c, sentAt: bj(2022, 12, 2, 13, 37, 16), observedAt: bj(2022, 12, 2, 13, 35) }, [
      { format: CURRENT_RAIN, value: 0 },
      { format: { id: 0x26, bytes: 3, decimals: 1 }, value: 319.6 },
      { format: WATER_LEVEL, value: 28.96 },
      { format: VOLTAGE, value: 13.12 },
    ]);
    expect(hex(frame)).toBe('7E7E011000000006000032002B022F7C221202133716F1F1100000000648F0F02212021335201900000026190031963923000289603812131203367C');
  });

  it('加报报 (0x33): the same elements in another order', () => {
    const frame = encodeTimedReport(
      STATION_1000000006,
      { serial: 0x2f7a, sentAt: bj(2022, 12, 2, 13, 10, 27), observedAt: bj(2022, 12, 2, 13, 10) },
      [
        { format: WATER_LEVEL, value: 28.96 },
        { format: CURRENT_RAIN, value: 0 },
        { format: { id: 0x26, bytes: 3, decimals: 1 }, value: 319.6 },
        { format: VOLTAGE, value: 13.17 },
      ],
      SL651_FUNCTION.added,
    );
    expect(hex(frame)).toBe('7E7E011000000006000033002B022F7A221202131027F1F1100000000648F0F02212021310392300028960201900000026190031963812131703DAF1');
  });

  it('小时报 (0x34): twelve 5-minute levels (two present, ten missing), the level 39 1A and the voltage', () => {
    const frame = encodeHourlyReport(STATION_12345678, { serial: 3, sentAt: bj(2014, 6, 12, 2, 0, 0), observedAt: bj(2014, 6, 12, 2, 0) }, {
      fiveMinuteLevelsM: [27.3, 27.3, null, null, null, null, null, null, null, null, null, null],
      current: [
        { format: { id: 0x39, bytes: 3, decimals: 2 }, value: 27.3 },
        { format: VOLTAGE, value: 12.9 },
      ],
      // Fujian's examples write F5's definition byte as 5C where SL 651-2014 has C0 (24 bytes): a provincial profile.
      fiveMinuteDefinition: 0x5c,
    });
    expect(hex(frame)).toBe(
      '7E7E100012345678123434003A020003140612020000F1F1001234567848F0F01406120200F55C0AAA0AAAFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF391A0027303812129003ADF7',
    );
    expect(frame).toHaveLength(75);
  });
});

describe('SL 651 elements and limits', () => {
  it('a missing value is all FF; the definition byte is length and decimals', () => {
    expect(encodeElement({ format: WATER_LEVEL, value: null })).toEqual([0x39, 0x23, 0xff, 0xff, 0xff, 0xff]);
    expect(encodeElement({ format: WATER_LEVEL, value: 2.345 })).toEqual([0x39, 0x23, 0x00, 0x00, 0x23, 0x45]);
  });

  it('a negative value is FF then the magnitude in the remaining bytes', () => {
    expect(encodeElement({ format: WATER_LEVEL, value: -0.5 })).toEqual([0x39, 0x23, 0xff, 0x00, 0x05, 0x00]);
  });

  it('refuses what it cannot encode: too many digits, a bad station address, a wrong count of 5-minute levels', () => {
    expect(() => encodeElement({ format: VOLTAGE, value: -1.5 })).toThrow(Sl651Error);
    expect(() => encodeElement({ format: VOLTAGE, value: 123.45 })).toThrow(/does not fit/);
    const times = { serial: 1, sentAt: bj(2025, 7, 1, 8, 0), observedAt: bj(2025, 7, 1, 8, 0) };
    expect(() => encodeTimedReport({ ...STATION_12345678, station: '12345' }, times, [])).toThrow(/10 hex digits/);
    expect(() => encodeHourlyReport(STATION_12345678, times, { fiveMinuteLevelsM: [1, 2], current: [] })).toThrow(/twelve/);
  });

  it('the standard F5 definition byte is C0 unless a profile says otherwise', () => {
    const frame = encodeHourlyReport(STATION_12345678, { serial: 1, sentAt: bj(2025, 7, 1, 8, 0), observedAt: bj(2025, 7, 1, 8, 0) }, { fiveMinuteLevelsM: new Array<null>(12).fill(null), current: [] });
    const body = hex(frame);
    expect(body).toContain('F5C0' + 'FFFF'.repeat(12));
  });
});
