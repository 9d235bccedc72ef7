import { describe, expect, it } from 'vitest';
import { decodeRegisters } from './decode.js';
import { encodeLevel } from './encode.js';
import { profileSchema, type Profile, type ProfileInput } from './profile-schema.js';
import { planRead } from './read-plan.js';
import { rawToWords, wordsToRaw } from './register-codec.js';

type ValueInput = ProfileInput['value'];

function profile(value: Partial<ValueInput> = {}, extra: Partial<ProfileInput> = {}): Profile {
  return profileSchema.parse({
    functionCode: 3,
    addressBase: 0,
    value: { address: 0, type: 'uint16', ...value },
    range: { min: -1000, max: 1000 },
    ...extra,
  });
}

describe('byte orders on the wire', () => {
  it('places bytes A..D of a 32-bit value as the order names them', () => {
    expect(rawToWords(0x11223344, 'uint32', 'ABCD')).toEqual([0x1122, 0x3344]);
    expect(rawToWords(0x11223344, 'uint32', 'CDAB')).toEqual([0x3344, 0x1122]);
    expect(rawToWords(0x11223344, 'uint32', 'BADC')).toEqual([0x2211, 0x4433]);
    expect(rawToWords(0x11223344, 'uint32', 'DCBA')).toEqual([0x4433, 0x2211]);
    expect(wordsToRaw([0x4433, 0x2211], 'uint32', 'DCBA')).toBe(0x11223344);
    expect(wordsToRaw([0x0000, 0x4070], 'float32', 'CDAB')).toBe(3.75);
    expect(wordsToRaw([0xffff, 0xfffe], 'int32', 'ABCD')).toBe(-2);
  });

  it('reads 16-bit types big-endian for AB.. and CD.., byte-swapped for BA.. and DC..', () => {
    expect(wordsToRaw([0x1122], 'uint16', 'ABCD')).toBe(0x1122);
    expect(wordsToRaw([0x1122], 'uint16', 'CDAB')).toBe(0x1122);
    expect(wordsToRaw([0x1122], 'uint16', 'BADC')).toBe(0x2211);
    expect(wordsToRaw([0x1122], 'uint16', 'DCBA')).toBe(0x2211);
    expect(wordsToRaw([0xfeff], 'int16', 'BADC')).toBe(-2);
  });

  it('refuses values that are not registers or do not fit the type', () => {
    expect(() => wordsToRaw([0x10000], 'uint16', 'ABCD')).toThrow(RangeError);
    expect(() => wordsToRaw([1], 'uint32', 'ABCD')).toThrow(/needs 2 register/);
    expect(() => rawToWords(40000, 'int16', 'ABCD')).toThrow(/does not fit a int16/);
    expect(() => rawToWords(1.5, 'uint16', 'ABCD')).toThrow(RangeError);
  });
});

describe('decodeRegisters', () => {
  it('applies decimals, then scale and offset, then converts the unit to metres', () => {
    const p = profile({ type: 'int16', scale: 2, offset: -10, unit: 'cm' }, { decimalsRegister: { address: 1, max: 3 } });
    // 1234 / 10^2 = 12.34; * 2 - 10 = 14.68 cm
    expect(decodeRegisters(p, [1234, 2])).toEqual({ value: 0.1468, quality: 'good' });
  });

  it('converts feet with 0.3048 m exactly and millimetres and centimetres without binary noise', () => {
    expect(decodeRegisters(profile({ unit: 'ft' }), [1000]).value).toBe(304.8);
    expect(decodeRegisters(profile({ unit: 'ft' }), [1]).value).toBe(0.3048);
    expect(decodeRegisters(profile({ unit: 'ft', scale: 0.001 }), [1234]).value).toBe(0.3761232);
    expect(decodeRegisters(profile({ unit: 'mm' }), [1234]).value).toBe(1.234);
    expect(decodeRegisters(profile({ unit: 'cm', scale: 0.1 }), [3]).value).toBe(0.003);
    expect(decodeRegisters(profile({ unit: 'm', scale: 0.1 }), [3]).value).toBe(0.3);
  });

  it('divides by 10^n from the decimals register and flags n above max as out_of_range without a value', () => {
    const p = profile({ type: 'int16' }, { decimalsRegister: { address: 1, max: 3 } });
    expect(decodeRegisters(p, [1234, 3])).toEqual({ value: 1.234, quality: 'good' });
    expect(decodeRegisters(p, [1234, 0])).toMatchObject({ value: 1234, quality: 'out_of_range' });
    const bad = decodeRegisters(p, [1234, 4]);
    expect(bad).toMatchObject({ value: null, quality: 'out_of_range' });
    expect(bad.detail).toMatch(/decimal places register holds 4, above the profile's max of 3/);
  });

  it('selects the unit from the unit register and rejects codes it does not list', () => {
    const p = profile({ unit: 'm' }, { unitRegister: { address: 1, codes: { '1': 'cm', '2': 'ft' } } });
    expect(decodeRegisters(p, [250, 1]).value).toBe(2.5);
    expect(decodeRegisters(p, [10, 2]).value).toBe(3.048);
    const bad = decodeRegisters(p, [250, 3]);
    expect(bad).toMatchObject({ value: null, quality: 'out_of_range' });
    expect(bad.detail).toMatch(/unit code 3 .*1 = cm, 2 = ft/);
  });

  it('treats sentinels (compared before scaling, either signedness of the bits) as stale', () => {
    const signed = profile({ type: 'int16', scale: 0.01 }, { sentinels: [65535] });
    expect(decodeRegisters(signed, [0xffff])).toMatchObject({ value: null, quality: 'stale' });
    expect(decodeRegisters(signed, [0xfffe])).toEqual({ value: -0.02, quality: 'good' });
    const unsigned = profile({ type: 'uint16', scale: 0.01 }, { sentinels: [-1] });
    expect(decodeRegisters(unsigned, [0xffff]).quality).toBe('stale');
    // A sentinel is a raw value: 100 after scaling is not the sentinel 100.
    const scaled = profile({ type: 'uint16', scale: 0.01 }, { sentinels: [100] });
    expect(decodeRegisters(scaled, [10000])).toEqual({ value: 100, quality: 'good' });
    expect(decodeRegisters(scaled, [100]).quality).toBe('stale');
    const float = profile({ type: 'float32' }, { sentinels: [-9999.9] });
    expect(decodeRegisters(float, rawToWords(-9999.9, 'float32', 'ABCD'))).toMatchObject({ value: null, quality: 'stale' });
  });

  it('reads NaN and infinities from a float32 as stale with no value', () => {
    const p = profile({ type: 'float32', order: 'DCBA' });
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const d = decodeRegisters(p, rawToWords(x, 'float32', 'DCBA'));
      expect(d).toMatchObject({ value: null, quality: 'stale' });
      expect(d.detail).toEqual(expect.any(String));
    }
  });

  it('checks the range after conversion, inclusive, keeping the value when out of range', () => {
    const p = profileSchema.parse({ functionCode: 3, addressBase: 0, value: { address: 0, type: 'int16', unit: 'cm' }, range: { min: 0, max: 5 } });
    expect(decodeRegisters(p, [500])).toEqual({ value: 5, quality: 'good' });
    expect(decodeRegisters(p, [0])).toEqual({ value: 0, quality: 'good' });
    expect(decodeRegisters(p, [501])).toMatchObject({ value: 5.01, quality: 'out_of_range' });
    expect(decodeRegisters(p, [0xffff])).toMatchObject({ value: -0.01, quality: 'out_of_range', detail: expect.stringMatching(/outside/) });
  });

  it('rounds float32 values to the decimal the device meant', () => {
    const p = profile({ type: 'float32', order: 'CDAB' });
    expect(decodeRegisters(p, rawToWords(3.7, 'float32', 'CDAB')).value).toBe(3.7);
    expect(decodeRegisters(p, rawToWords(0.1, 'float32', 'CDAB')).value).toBe(0.1);
  });

  it('throws on a block shorter than the plan or holding non-register values', () => {
    const p = profile({ type: 'uint32' });
    expect(() => decodeRegisters(p, [1])).toThrow(/expected 2 registers, got 1/);
    expect(() => decodeRegisters(p, [1, -1])).toThrow(RangeError);
  });
});

describe('planRead', () => {
  it('covers value, unit and decimals in one block, in protocol addresses', () => {
    const p = profile({ address: 41, type: 'float32' }, { addressBase: 1, functionCode: 4, unitRegister: { address: 45, codes: { '0': 'm' } }, decimalsRegister: { address: 40, max: 2 } });
    expect(planRead(p)).toEqual({ functionCode: 4, address: 39, count: 6, valueOffset: 1, valueWords: 2, unitOffset: 5, decimalsOffset: 0 });
  });

  it('refuses addresses outside the protocol, overlapping fields and spans above 125 registers', () => {
    expect(() => planRead(profile({ address: 0 }, { addressBase: 1 }))).toThrow(/value register 0 \(addressBase 1\) is outside/);
    expect(() => planRead(profile({ address: 65535, type: 'int32' }))).toThrow(/outside the protocol's 0-65535 for its 2 registers/);
    expect(() => planRead(profile({ address: 0, type: 'int32' }, { decimalsRegister: { address: 1, max: 2 } }))).toThrow(/overlap/);
    expect(() => planRead(profile({ address: 0 }, { decimalsRegister: { address: 125, max: 2 } }))).toThrow(/span 126 registers/);
    expect(planRead(profile({ address: 0 }, { decimalsRegister: { address: 124, max: 2 } })).count).toBe(125);
  });
});

describe('encodeLevel', () => {
  const submersible = profile({ address: 4, type: 'int16' }, { unitRegister: { address: 2, codes: { '7': 'm', '8': 'mm' } }, decimalsRegister: { address: 3, max: 4 }, sentinels: [32767] });

  it('serves the first unit code and the most decimals that fit the type', () => {
    expect(encodeLevel(submersible, 1.234)).toEqual([7, 4, 12340]);
    expect(encodeLevel(submersible, 5)).toEqual([7, 3, 5000]);
    expect(encodeLevel(submersible, -0.01)).toEqual([7, 4, 0x10000 - 100]);
    expect(encodeLevel(submersible, 2.5, { unitCode: 8 })).toEqual([8, 1, 25000]);
    expect(encodeLevel(submersible, 2.5, { unitCode: 8, decimals: 0 })).toEqual([8, 0, 2500]);
  });

  it('serves the first sentinel (or NaN) for no value and refuses what the type cannot hold', () => {
    expect(encodeLevel(submersible, null)).toEqual([7, 0, 32767]);
    expect(Number.isNaN(wordsToRaw(encodeLevel(profile({ type: 'float32' }), null), 'float32', 'ABCD'))).toBe(true);
    expect(() => encodeLevel(profile({ type: 'uint16' }), null)).toThrow(/no sentinel/);
    expect(() => encodeLevel(submersible, 40_000)).toThrow(/does not fit a int16/);
    expect(() => encodeLevel(profile({ type: 'uint16' }), -1)).toThrow(RangeError);
  });
});
