import { describe, expect, it } from 'vitest';
import { CATALOGUE } from './catalogue.js';
import { decodeRegisters } from './decode.js';
import { encodeLevel } from './encode.js';
import { profileSchema, type LengthUnit, type Profile, type ProfileInput } from './profile-schema.js';
import { planRead } from './read-plan.js';
import { rawToWords, typeRange, wordCount } from './register-codec.js';
import { fromMetres, toMetres } from './units.js';
import { mulberry32 } from '../../test/helpers/seeded-random.js';

/** Profiles that are not in the catalogue but exercise sentinels the catalogue's do not: aliases, 0, a float. */
const extra: Record<string, ProfileInput> = {
  'int16, decimals, sentinel 65535 (= -1)': {
    functionCode: 3,
    addressBase: 0,
    value: { address: 0, type: 'int16', scale: 0.01, unit: 'm' },
    decimalsRegister: { address: 1, max: 3 },
    sentinels: [65535],
    range: { min: -5, max: 5 },
  },
  'uint16 BA, decimals, sentinels 0xffff and 0': {
    functionCode: 4,
    addressBase: 1,
    value: { address: 1, type: 'uint16', order: 'BADC', unit: 'cm' },
    decimalsRegister: { address: 2, max: 2 },
    sentinels: [0xffff, 0],
    range: { min: 0, max: 600 },
  },
  'int32 CDAB mm, offset, sentinels -1 and 0x7fffffff': {
    functionCode: 3,
    addressBase: 0,
    value: { address: 0, type: 'int32', order: 'CDAB', unit: 'mm', offset: -500 },
    decimalsRegister: { address: 2, max: 3 },
    sentinels: [-1, 0x7fffffff],
    range: { min: -10, max: 100 },
  },
  'float32, sentinel -9999.9': {
    functionCode: 3,
    addressBase: 0,
    value: { address: 0, type: 'float32', unit: 'm' },
    sentinels: [-9999.9],
    range: { min: -10, max: 10 },
  },
};

const profiles = [...Object.entries(CATALOGUE), ...Object.entries(extra)].map(([name, input]) => ({ name, profile: profileSchema.parse(input) }));

/** Each unit code the profile lists (undefined: the profile has no unit register). */
function unitCodes(profile: Profile): (number | undefined)[] {
  return profile.unitRegister ? Object.keys(profile.unitRegister.codes).map(Number) : [undefined];
}

function unitOf(profile: Profile, code: number | undefined): LengthUnit {
  return (code !== undefined ? profile.unitRegister?.codes[String(code)] : undefined) ?? profile.value.unit;
}

/** Decimal places the device could serve, most first. */
function decimalChoices(profile: Profile): number[] {
  if (profile.value.type === 'float32') return [0];
  const max = profile.decimalsRegister?.max ?? 0;
  return Array.from({ length: max + 1 }, (_, i) => max - i);
}

/** Every raw value the type can carry that the daemon reads as one of the profile's sentinels (either signedness). */
function sentinelRaws(profile: Profile): number[] {
  const { type } = profile.value;
  if (type === 'float32') return [...profile.sentinels];
  const { min, max } = typeRange(type);
  const span = 2 ** (16 * wordCount(type));
  return profile.sentinels.flatMap((s) => [s, s + span, s - span]).filter((r) => Number.isInteger(r) && r >= min && r <= max);
}

/**
 * What a device with this profile could serve for `metres`: for each decimal choice (most first) the block carrying
 * the nearest raw value, kept only when the daemon's own decoder does not read it as "no value". Undefined when none.
 */
function bestBlock(profile: Profile, metres: number, unitCode: number | undefined): number[] | undefined {
  const plan = planRead(profile);
  const { type, order, scale, offset } = profile.value;
  const unscaled = (fromMetres(metres, unitOf(profile, unitCode)) - offset) / scale;
  const { min, max } = typeRange(type);
  for (const d of decimalChoices(profile)) {
    const raw = type === 'float32' ? unscaled : Math.round(unscaled * 10 ** d);
    if (type === 'float32' ? !Number.isFinite(Math.fround(raw)) : raw < min || raw > max) continue;
    const block = new Array<number>(plan.count).fill(0);
    if (plan.unitOffset !== undefined && unitCode !== undefined) block[plan.unitOffset] = unitCode;
    if (plan.decimalsOffset !== undefined) block[plan.decimalsOffset] = d;
    rawToWords(raw, type, order).forEach((w, i) => (block[plan.valueOffset + i] = w));
    if (decodeRegisters(profile, block, plan).quality !== 'stale') return block;
  }
  return undefined;
}

/** Half the resolution of the representation in `block`, in metres: what encode -> decode may lose. */
function tolerance(profile: Profile, block: readonly number[], metres: number): number {
  if (profile.value.type === 'float32') return Math.abs(metres) * 2 ** -23 + 1e-9;
  const plan = planRead(profile);
  const decimals = plan.decimalsOffset !== undefined ? (block[plan.decimalsOffset] ?? 0) : 0;
  const code = plan.unitOffset !== undefined ? block[plan.unitOffset] : undefined;
  return toMetres(Math.abs(profile.value.scale) / 10 ** decimals, unitOf(profile, code)) / 2 + 1e-9;
}

/** Levels whose raw value, at some decimal choice and unit, is a sentinel or rounds to one or sits next to one. */
function levelsNearSentinels(profile: Profile, unitCode: number | undefined): number[] {
  const { scale, offset } = profile.value;
  const unit = unitOf(profile, unitCode);
  const steps = profile.value.type === 'float32' ? [0, -0.05, 0.05] : [0, -1, 1, -0.5, 0.5, -0.4, 0.4, -0.6, 0.6];
  return sentinelRaws(profile).flatMap((s) =>
    decimalChoices(profile).flatMap((d) => steps.map((k) => toMetres(((s + k) / 10 ** d) * scale + offset, unit))),
  );
}

describe('encodeLevel never serves a sentinel for a level', () => {
  it('submersible-level: 3.2767 m is served at 3 decimals as 3277 and read back as 3.277 m, good', () => {
    const profile = profileSchema.parse(CATALOGUE['submersible-level']);
    const block = encodeLevel(profile, 3.2767);
    expect(block).toEqual([7, 3, 3277]);
    expect(decodeRegisters(profile, block)).toEqual({ value: 3.277, quality: 'good' });
    // Its negative twin would be -32768 at 4 decimals, the other sentinel (and is below the profile's range).
    expect(encodeLevel(profile, -3.2768)).toEqual([7, 3, 0x10000 - 3277]);
    expect(decodeRegisters(profile, encodeLevel(profile, -3.2768))).toMatchObject({ value: -3.277, quality: 'out_of_range' });
  });

  it('refuses a level that the decimals the caller fixed can only carry as a sentinel', () => {
    const profile = profileSchema.parse(CATALOGUE['submersible-level']);
    expect(() => encodeLevel(profile, 3.2767, { decimals: 4 })).toThrow(/sentinel/);
    expect(encodeLevel(profile, 3.2767, { decimals: 3 })).toEqual([7, 3, 3277]);
  });

  const cases = profiles.flatMap(({ name, profile }) => unitCodes(profile).map((unitCode) => ({ name, profile, unitCode })));
  it.each(cases)('$name, unit code $unitCode: levels near every sentinel and across the range round-trip or are refused', ({ profile, unitCode }) => {
    const random = mulberry32(0x7fff + (unitCode ?? 0));
    const { min, max } = profile.range;
    const levels = [...levelsNearSentinels(profile, unitCode), min, max, ...Array.from({ length: 300 }, () => min + random() * (max - min))];
    let served = 0;
    for (const metres of levels) {
      const best = bestBlock(profile, metres, unitCode);
      let block: number[];
      try {
        block = encodeLevel(profile, metres, unitCode !== undefined ? { unitCode } : {});
      } catch (err) {
        expect(err, `${metres} m`).toBeInstanceOf(RangeError);
        expect(best, `${metres} m was refused (${String(err)}) but can be served`).toBeUndefined();
        continue;
      }
      const d = decodeRegisters(profile, block);
      const what = `${metres} m -> [${block.join(', ')}] -> ${String(d.value)} (${d.quality}${d.detail !== undefined ? `: ${d.detail}` : ''})`;
      expect(d.quality, what).not.toBe('stale');
      expect(Math.abs((d.value ?? Number.NaN) - metres), what).toBeLessThanOrEqual(tolerance(profile, block, metres));
      const tol = tolerance(profile, block, metres);
      if (metres >= min + tol && metres <= max - tol) expect(d.quality, what).toBe('good');
      // The most precise representation that is not a sentinel.
      expect(block, what).toEqual(best);
      served++;
    }
    // mmH2O in an int16 stops at 32.767 m, so fewer than half of submersible-level's levels fit unit code 8.
    expect(served).toBeGreaterThan(150);
  });
});
