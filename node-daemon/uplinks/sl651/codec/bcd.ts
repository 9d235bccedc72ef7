import { Sl651Error, type Sl651ErrorCode } from './model.js';

/** `digits` (an even count of decimal digits) packed two to a byte, most significant first. */
export function packBcd(digits: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < digits.length; i += 2) out.push((digits.charCodeAt(i) - 48) * 16 + (digits.charCodeAt(i + 1) - 48));
  return out;
}

/** The decimal digits of `bytes`, or undefined when a nibble is not a decimal digit. */
export function unpackBcd(bytes: Uint8Array): string | undefined {
  let out = '';
  for (const b of bytes) {
    if (b >> 4 > 9 || (b & 0x0f) > 9) return undefined;
    out += String(b >> 4) + String(b & 0x0f);
  }
  return out;
}

/** `unpackBcd`, or an Sl651Error with `code`. */
export function bcdDigits(bytes: Uint8Array, code: Sl651ErrorCode, what: string): string {
  const digits = unpackBcd(bytes);
  if (digits === undefined) throw new Sl651Error(code, `${what}: not BCD (${Buffer.from(bytes).toString('hex').toUpperCase()})`);
  return digits;
}
