import type { Quality } from '../core/types.js';
import type { LengthUnit, Profile } from './profile-schema.js';
import { planRead, type ReadPlan } from './read-plan.js';
import { otherSignedness, shortestFloat32, wordsToRaw } from './register-codec.js';
import { roundMetres, toMetres } from './units.js';

/** Qualities a decoded block can have; `comm_fail` belongs to the poller (no block arrived). */
export type DecodedQuality = Exclude<Quality, 'comm_fail'>;

export interface Decoded {
  /** Metres on the transmitter's own zero (before the sensor's datumOffsetM), or null when there is no value. */
  readonly value: number | null;
  readonly quality: DecodedQuality;
  /** Why the quality is not `good`. */
  readonly detail?: string;
}

/**
 * Whether `raw` (the value as its type reads it off the wire; a float32 as its shortest decimal) is one of the
 * profile's sentinels, in either signedness of the same bits (0xffff is -1 for an int16). Compared before scaling.
 */
export function isSentinel(profile: Profile, raw: number): boolean {
  const alias = otherSignedness(raw, profile.value.type);
  return profile.sentinels.some((s) => s === raw || s === alias);
}

/**
 * Decodes the block of registers planned by planRead(profile) (registers[0] is the block's first register).
 * Pure. Throws a RangeError when the block is shorter than the plan or holds a non-register value.
 */
export function decodeRegisters(profile: Profile, registers: readonly number[], plan: ReadPlan = planRead(profile)): Decoded {
  if (registers.length < plan.count) throw new RangeError(`expected ${plan.count} registers, got ${registers.length}`);
  const at = (offset: number): number => {
    const w = registers[offset];
    if (w === undefined || !Number.isInteger(w) || w < 0 || w > 0xffff) {
      throw new RangeError(`register ${offset} of the block is ${String(w)}; registers are integers 0-65535`);
    }
    return w;
  };

  let unit: LengthUnit = profile.value.unit;
  if (profile.unitRegister && plan.unitOffset !== undefined) {
    const code = at(plan.unitOffset);
    const mapped = profile.unitRegister.codes[String(code)];
    if (mapped === undefined) {
      const known = Object.entries(profile.unitRegister.codes)
        .map(([c, u]) => `${c} = ${u}`)
        .join(', ');
      return { value: null, quality: 'out_of_range', detail: `unit code ${code} is not a length unit of this profile (${known})` };
    }
    unit = mapped;
  }

  let decimals = 0;
  if (profile.decimalsRegister && plan.decimalsOffset !== undefined) {
    decimals = at(plan.decimalsOffset);
    if (decimals > profile.decimalsRegister.max) {
      return {
        value: null,
        quality: 'out_of_range',
        detail: `decimal places register holds ${decimals}, above the profile's max of ${profile.decimalsRegister.max}`,
      };
    }
  }

  const { type, order, scale, offset } = profile.value;
  const words = registers.slice(plan.valueOffset, plan.valueOffset + plan.valueWords);
  words.forEach((_, i) => at(plan.valueOffset + i));
  const wire = wordsToRaw(words, type, order);
  if (Number.isNaN(wire)) return { value: null, quality: 'stale', detail: 'the device sent NaN (no value)' };
  if (!Number.isFinite(wire)) return { value: null, quality: 'stale', detail: `the device sent ${wire} (no value)` };
  const raw = type === 'float32' ? shortestFloat32(wire) : wire;

  if (isSentinel(profile, raw)) {
    return { value: null, quality: 'stale', detail: `raw value ${raw} is a sentinel: the device has no value` };
  }

  const inUnit = (raw / 10 ** decimals) * scale + offset;
  const metres = roundMetres(toMetres(inUnit, unit));
  if (!Number.isFinite(metres)) {
    return { value: null, quality: 'out_of_range', detail: `raw value ${raw} scales to ${metres}` };
  }
  const { min, max } = profile.range;
  if (metres < min || metres > max) {
    return { value: metres, quality: 'out_of_range', detail: `${metres} m is outside the plausible range ${min}..${max} m` };
  }
  return { value: metres, quality: 'good' };
}
