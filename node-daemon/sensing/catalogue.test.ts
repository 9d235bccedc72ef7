import { describe, expect, it } from 'vitest';
import { CATALOGUE } from './catalogue.js';
import { decodeRegisters } from './decode.js';
import { encodeLevel } from './encode.js';
import { BYTE_ORDERS, DATA_TYPES, profileSchema, type DataType, type Profile, type ProfileInput } from './profile-schema.js';
import { loadCatalogue, parseProfile } from './profiles.js';
import { planRead } from './read-plan.js';
import { shortestFloat32, typeRange } from './register-codec.js';
import { METRE_RESOLUTION, toMetres } from './units.js';
import { mulberry32 } from '../../test/helpers/seeded-random.js';

const catalogue = Object.entries(CATALOGUE).map(([name, input]) => ({ name, profile: profileSchema.parse(input) }));

describe('catalogue test vectors', () => {
  it('every profile parses, plans one read and passes its vectors', () => {
    expect([...loadCatalogue().keys()]).toEqual(Object.keys(CATALOGUE));
  });

  const vectors = catalogue.flatMap(({ name, profile }) => profile.testVectors.map((v, i) => ({ name, profile, i, ...v })));
  it.each(vectors)('$name vector $i: $registers -> $expected', ({ profile, registers, expected, quality }) => {
    const d = decodeRegisters(profile, registers);
    expect(d.value).toBe(expected);
    expect(d.quality).toBe(quality ?? (expected === null ? 'stale' : 'good'));
    if (d.quality !== 'good') expect(d.detail).toEqual(expect.any(String));
  });

  it('every profile ships at least one good and one non-good vector', () => {
    for (const { name, profile } of catalogue) {
      const qualities = profile.testVectors.map((v) => v.quality ?? (v.expected === null ? 'stale' : 'good'));
      expect(qualities, name).toContain('good');
      expect(qualities.some((q) => q !== 'good'), name).toBe(true);
    }
  });
});

/** Half the device's resolution at this block, in metres: what encode->decode may lose. */
function tolerance(profile: Profile, block: readonly number[], metres: number): number {
  const plan = planRead(profile);
  // float32 keeps 24 bits; the shortest decimal of the float may sit up to one more half-step away.
  if (profile.value.type === 'float32') return Math.abs(metres) * 2 ** -23 + 1e-9;
  const decimals = plan.decimalsOffset !== undefined ? (block[plan.decimalsOffset] ?? 0) : 0;
  const code = plan.unitOffset !== undefined ? String(block[plan.unitOffset]) : undefined;
  const unit = (code !== undefined ? profile.unitRegister?.codes[code] : undefined) ?? profile.value.unit;
  return toMetres(Math.abs(profile.value.scale) / 10 ** decimals, unit) / 2 + 1e-9;
}

describe('encode -> decode round trip', () => {
  it.each(catalogue)('$name: levels across its range come back within the device resolution', ({ profile }) => {
    const random = mulberry32(0xf100d);
    const { min, max } = profile.range;
    const levels = [min, max, (min + max) / 2, ...Array.from({ length: 300 }, () => min + random() * (max - min))];
    let checked = 0;
    for (const metres of levels) {
      let block: number[];
      try {
        block = encodeLevel(profile, metres);
      } catch (err) {
        // Unsigned profiles cannot serve negative levels; anything else must encode.
        expect(metres < 0 && !profile.value.type.startsWith('int') && profile.value.type !== 'float32', String(err)).toBe(true);
        continue;
      }
      const d = decodeRegisters(profile, block);
      expect(d.quality, `${metres} m -> [${block.join(', ')}]`).toBe('good');
      expect(Math.abs((d.value ?? NaN) - metres), `${metres} m -> [${block.join(', ')}] -> ${d.value}`).toBeLessThanOrEqual(tolerance(profile, block, metres));
      checked++;
    }
    expect(checked).toBeGreaterThan(250);
  });

  it.each(catalogue)('$name: "no value" encodes to a block that decodes stale', ({ profile }) => {
    expect(decodeRegisters(profile, encodeLevel(profile, null))).toMatchObject({ value: null, quality: 'stale' });
  });

  const cases = DATA_TYPES.flatMap((type) => BYTE_ORDERS.map((order) => ({ type, order })));
  it.each(cases)('$type $order: raw values round-trip exactly', ({ type, order }) => {
    // Scale 1: integers are millimetres and must come back exactly; floats are metres and come back as the same float32.
    const unit = type === 'float32' ? 'm' : 'mm';
    const input: ProfileInput = { functionCode: 4, addressBase: 1, value: { address: 10, type, order, unit }, range: { min: -1e40, max: 1e40 } };
    const profile = parseProfile(`${type}-${order}`, input).profile;
    const random = mulberry32(type.length * 31 + order.charCodeAt(0));
    for (const raw of rawSamples(type, random)) {
      const block = encodeLevel(profile, type === 'float32' ? raw : raw / 1000);
      expect(block).toHaveLength(type.endsWith('16') ? 1 : 2);
      const d = decodeRegisters(profile, block);
      expect(d.quality).toBe('good');
      const what = `${raw} -> [${block.join(', ')}] -> ${d.value}`;
      // Levels are rounded to METRE_RESOLUTION (1e-9 m); beyond a million metres nothing is rounded.
      if (type === 'float32') expect(Math.abs((d.value ?? NaN) - raw), what).toBeLessThanOrEqual(METRE_RESOLUTION * 0.500001);
      else expect(Math.round((d.value ?? NaN) * 1000), what).toBe(raw);
    }
  });
});

function rawSamples(type: DataType, random: () => number): number[] {
  const { min, max } = typeRange(type);
  if (type === 'float32') {
    const fixed = [0, 1, -1, 3.75, 0.1, -123.456, 1e-3, 65535.5, 1e7, -1e9];
    const randoms = Array.from({ length: 200 }, () => shortestFloat32((random() - 0.5) * 10 ** Math.floor(random() * 12 - 4)));
    return [...fixed, ...randoms];
  }
  // Integers beyond 1e6 mm are not levels (roundMetres leaves them unrounded) but the codec must still carry them.
  const fixed = [min, max, 0, 1, min + 1, max - 1, ...(min < 0 ? [-1] : [])];
  const randoms = Array.from({ length: 200 }, () => Math.floor(min + random() * (max - min + 1)));
  return [...fixed, ...randoms];
}
