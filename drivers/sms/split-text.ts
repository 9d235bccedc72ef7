import { gsm7SeptetsOf } from './gsm7.js';

/**
 * Splitting a text into SMS parts (3GPP TS 23.040 §9.2.3.24.1, concatenation with an 8-bit reference: a 6-octet UDH).
 * One SMS carries 160 GSM-7 septets or 70 UCS-2 characters; with the header, 153 septets or 67 UCS-2 code units.
 * A part never ends in the middle of an escape sequence (GSM-7) or a surrogate pair (UCS-2).
 */

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsPartPlan {
  readonly encoding: SmsEncoding;
  /** Texts of the parts, in order; one entry for a message that fits one SMS. */
  readonly parts: readonly string[];
}

export const SINGLE_LIMIT: Readonly<Record<SmsEncoding, number>> = { gsm7: 160, ucs2: 70 };
export const CONCAT_LIMIT: Readonly<Record<SmsEncoding, number>> = { gsm7: 153, ucs2: 67 };
/** The 8-bit reference allows up to 255 parts; networks and phones give up long before. */
export const MAX_PARTS = 255;

/** Size of one character in the encoding's units (septets or UTF-16 code units), or undefined if GSM-7 cannot carry it. */
function unitsOf(ch: string, encoding: SmsEncoding): number | undefined {
  if (encoding === 'ucs2') return ch.length;
  return gsm7SeptetsOf(ch)?.length;
}

/** GSM-7 when every character fits it (unless UCS-2 is forced), else UCS-2. */
export function chooseEncoding(text: string, force?: SmsEncoding): SmsEncoding {
  if (force) return force;
  for (const ch of text) if (unitsOf(ch, 'gsm7') === undefined) return 'ucs2';
  return 'gsm7';
}

export function planParts(text: string, force?: SmsEncoding): SmsPartPlan {
  const encoding = chooseEncoding(text, force);
  const chars = [...text];
  const sizes = chars.map((ch) => {
    const n = unitsOf(ch, encoding);
    if (n === undefined) throw new RangeError(`character ${JSON.stringify(ch)} cannot be sent as ${encoding}`);
    return n;
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= SINGLE_LIMIT[encoding]) return { encoding, parts: [text] };
  const limit = CONCAT_LIMIT[encoding];
  const parts: string[] = [];
  let current = '';
  let used = 0;
  chars.forEach((ch, i) => {
    const size = sizes[i] ?? 0;
    if (used + size > limit) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += size;
  });
  if (current) parts.push(current);
  return { encoding, parts };
}
