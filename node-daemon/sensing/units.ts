import type { LengthUnit } from './profile-schema.js';

/** Resolution values are rounded to, in metres: far below any level sensor's, far above binary noise. */
export const METRE_RESOLUTION = 1e-9;
const STEPS_PER_METRE = 1e9;

/**
 * Rounds away binary noise (1.2340000000000002 -> 1.234). Dividing an integer by a power of ten gives the double
 * nearest the decimal, so the result prints as the decimal it is. Huge values (no real level) are left alone.
 */
export function roundMetres(m: number): number {
  if (!Number.isFinite(m) || Math.abs(m) > 1e6) return m;
  const r = Math.round(m * STEPS_PER_METRE) / STEPS_PER_METRE;
  return r === 0 ? 0 : r;
}

/** `value` in `unit`, as metres (1 ft = 0.3048 m exactly). Not rounded. */
export function toMetres(value: number, unit: LengthUnit): number {
  switch (unit) {
    case 'm':
      return value;
    case 'cm':
      return value / 100;
    case 'mm':
      return value / 1000;
    case 'ft':
      return value * 0.3048;
  }
}

/** Metres as a value in `unit`. Not rounded. */
export function fromMetres(metres: number, unit: LengthUnit): number {
  switch (unit) {
    case 'm':
      return metres;
    case 'cm':
      return metres * 100;
    case 'mm':
      return metres * 1000;
    case 'ft':
      return metres / 0.3048;
  }
}
