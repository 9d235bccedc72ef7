import { isSentinel } from './decode.js';
import type { LengthUnit, Profile } from './profile-schema.js';
import { planRead, type ReadPlan } from './read-plan.js';
import { otherSignedness, rawToWords, shortestFloat32, typeRange } from './register-codec.js';
import { fromMetres } from './units.js';

export interface EncodeOptions {
  /** Unit code to serve in the unit register; default the first code the profile lists. A code the profile does not list is served as is (the value is then encoded in `value.unit`). */
  readonly unitCode?: number;
  /**
   * Decimal places to serve in the decimals register; default the most (up to its `max`) that fit the type and do
   * not make the raw value one of the profile's sentinels, 0 for float32.
   */
  readonly decimals?: number;
}

/**
 * The block of registers (laid out as planRead(profile) reads it, gaps zero) that a device with this profile serves
 * when the level is `metres` (before any datum offset); `null` serves the profile's first sentinel, or NaN for float32.
 * The inverse of decodeRegisters up to the device's resolution: a level is never served as a sentinel (3.2767 m on
 * `submersible-level` is 3277 at 3 decimals, not 32767 at 4, which the daemon would read as "no value"). Throws a
 * RangeError when the level cannot be represented (too large for the type, a sentinel at every decimal choice that
 * fits, or null on an integer profile without sentinels).
 */
export function encodeLevel(profile: Profile, metres: number | null, opts: EncodeOptions = {}, plan: ReadPlan = planRead(profile)): number[] {
  const block = new Array<number>(plan.count).fill(0);
  const put = (offset: number | undefined, words: readonly number[]): void => {
    if (offset !== undefined) words.forEach((w, i) => (block[offset + i] = w));
  };

  let unit: LengthUnit = profile.value.unit;
  if (profile.unitRegister) {
    const codes = Object.keys(profile.unitRegister.codes).map(Number);
    const code = opts.unitCode ?? codes[0];
    if (code === undefined) throw new RangeError('the unit register lists no unit codes');
    if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new RangeError(`unit code ${code} is not a register value`);
    unit = profile.unitRegister.codes[String(code)] ?? unit;
    put(plan.unitOffset, [code]);
  }

  const { type, order, scale, offset } = profile.value;
  const maxDecimals = profile.decimalsRegister?.max ?? 0;
  let raw: number;
  let decimals = opts.decimals ?? 0;
  if (metres === null) {
    raw = noValueRaw(profile);
  } else {
    if (!Number.isFinite(metres)) throw new RangeError(`level ${metres} is not a number of metres`);
    const unscaled = (fromMetres(metres, unit) - offset) / scale;
    const candidates = opts.decimals !== undefined ? [opts.decimals] : type === 'float32' ? [0] : range(maxDecimals, 0);
    const fits = candidates.flatMap((n) => {
      const r = toRaw(unscaled * 10 ** n, type);
      return r === undefined ? [] : [{ n, raw: r }];
    });
    const fit = fits.find((c) => !readsAsNoValue(profile, c.raw));
    if (fit === undefined) {
      if (fits.length > 0) {
        const as = fits.map((c) => `${c.raw} at ${c.n} decimal places`).join(', ');
        throw new RangeError(`${metres} m would be served as ${as}: a sentinel of the profile (${profile.sentinels.join(', ')}), which the daemon reads as "no value"`);
      }
      const { min, max } = typeRange(type);
      throw new RangeError(`${metres} m is ${unscaled} ${unit} before scaling, which does not fit a ${type} (${min}..${max}) with ${candidates.join(' or ')} decimal places`);
    }
    raw = fit.raw;
    decimals = fit.n;
  }
  if (profile.decimalsRegister) {
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 0xffff) throw new RangeError(`${decimals} decimal places is not a register value`);
    put(plan.decimalsOffset, [decimals]);
  }
  put(plan.valueOffset, rawToWords(raw, type, order));
  return block;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n >= to; n--) out.push(n);
  return out;
}

/** Whether the daemon, reading `raw` off the wire, would take it for one of the profile's sentinels. */
function readsAsNoValue(profile: Profile, raw: number): boolean {
  return isSentinel(profile, profile.value.type === 'float32' ? shortestFloat32(Math.fround(raw)) : raw);
}

function toRaw(x: number, type: Profile['value']['type']): number | undefined {
  const { min, max } = typeRange(type);
  const raw = type === 'float32' ? x : Math.round(x);
  if (!Number.isFinite(raw) || raw < min || raw > max) return undefined;
  return raw === 0 ? 0 : raw;
}

/** The raw value a device sends when it has none: the first sentinel that fits the type, or NaN for float32. */
function noValueRaw(profile: Profile): number {
  const { type } = profile.value;
  const { min, max } = typeRange(type);
  for (const s of profile.sentinels) {
    if (type === 'float32') return s;
    const candidates = [s, otherSignedness(s, type === 'int16' ? 'uint16' : type === 'uint16' ? 'int16' : type === 'int32' ? 'uint32' : 'int32')];
    const fit = candidates.find((c) => c !== undefined && Number.isInteger(c) && c >= min && c <= max);
    if (fit !== undefined) return fit;
  }
  if (type === 'float32') return Number.NaN;
  throw new RangeError(`the profile has no sentinel that fits a ${type}, so "no value" cannot be encoded`);
}
