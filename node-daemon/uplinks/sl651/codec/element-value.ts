import { elementHex } from './elements.js';
import { Sl651Error, type ElementId } from './model.js';

/** What both encodings share of a number element: its sign and its scaled magnitude's digits. */
export interface ScaledNumber {
  readonly negative: boolean;
  /** The value times 10^decimals, as decimal digits without padding. */
  readonly magnitude: string;
}

/** Beyond this many digits a double no longer holds every integer exactly. */
const MAX_DIGITS = 15;

export const valueBytes = (definition: number): number => definition >> 3;
export const valueDecimals = (definition: number): number => definition & 0x07;

/**
 * `value` scaled to its definition's decimals, checked to fit its bytes the HEX way: all digits BCD, or, negative,
 * `FF` then the magnitude in the remaining bytes. `-0` is negative, so that a wire `FF 00…` comes back the same.
 */
export function scaleNumber(id: ElementId, definition: number, value: number): ScaledNumber {
  const bytes = valueBytes(definition);
  const negative = value < 0 || Object.is(value, -0);
  const scaled = Math.round(Math.abs(value) * 10 ** valueDecimals(definition));
  const room = (negative ? bytes - 1 : bytes) * 2;
  if (bytes === 0 || !Number.isSafeInteger(scaled) || String(scaled).length > Math.min(room, MAX_DIGITS)) {
    throw new Sl651Error('encode', `element ${elementHex(id)}: ${value} does not fit definition ${definition.toString(16).toUpperCase()}`);
  }
  return { negative, magnitude: String(scaled) };
}

/** The value of `magnitude` digits under `decimals`; an Sl651Error('element') past what a double holds exactly. */
export function unscale(id: ElementId, negative: boolean, magnitude: string, decimals: number): number {
  const significant = magnitude.replace(/^0+/, '');
  if (significant.length > MAX_DIGITS) throw new Sl651Error('element', `element ${elementHex(id)}: ${magnitude} has more digits than the codec holds exactly`);
  const v = Number(magnitude) / 10 ** decimals;
  return negative ? -v : v;
}

const MAX_STEP_MINUTES = 99 * 1440 + 23 * 60 + 59;

/** The time-step code 04 18's DDHHmm. */
export function stepDigits(stepMinutes: number): string {
  if (!Number.isInteger(stepMinutes) || stepMinutes < 0 || stepMinutes > MAX_STEP_MINUTES) throw new Sl651Error('encode', `time step ${stepMinutes} min does not fit DDHHmm`);
  const parts = [Math.floor(stepMinutes / 1440), Math.floor((stepMinutes % 1440) / 60), stepMinutes % 60];
  return parts.map((p) => String(p).padStart(2, '0')).join('');
}

export function stepFromDigits(digits: string): number {
  const [d, h, m] = [0, 2, 4].map((i) => Number(digits.slice(i, i + 2))) as [number, number, number];
  if (h > 23 || m > 59) throw new Sl651Error('element', `time step ${digits} is not DDHHmm`);
  return d * 1440 + h * 60 + m;
}

/** F4: 0.1 mm a byte, FF missing; F5..FC: cm in two bytes, FFFF missing. Values in mm and m. */
export const FIVE_MINUTE = {
  count: 12,
  rain: { id: 0xf4, bytes: 1, scale: 10, missing: 0xff },
  level: { bytes: 2, scale: 100, missing: 0xffff },
} as const;

export function fiveMinuteFormat(id: number): { readonly bytes: number; readonly scale: number; readonly missing: number } | undefined {
  if (id === FIVE_MINUTE.rain.id) return FIVE_MINUTE.rain;
  return id >= 0xf5 && id <= 0xfc ? FIVE_MINUTE.level : undefined;
}

/** One 5-minute value as its unsigned wire number. */
export function fiveMinuteRaw(id: number, format: { readonly scale: number; readonly missing: number }, v: number | null): number {
  if (v === null) return format.missing;
  const raw = Math.round(v * format.scale);
  if (!(raw >= 0 && raw < format.missing)) throw new Sl651Error('encode', `element ${elementHex(id)}: 5-minute value ${v} does not fit`);
  return raw;
}
