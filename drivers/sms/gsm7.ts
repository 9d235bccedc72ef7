/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1), and septet packing
 * (TS 23.040 §9.2.3.24: a user data header is followed by fill bits up to the next septet boundary).
 */

// Index = septet value. 0x1B is the escape to the extension table (never a character of its own).
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

const EXTENSION: Readonly<Record<string, number>> = {
  '\f': 0x0a,
  '^': 0x14,
  '{': 0x28,
  '}': 0x29,
  '\\': 0x2f,
  '[': 0x3c,
  '~': 0x3d,
  ']': 0x3e,
  '|': 0x40,
  '€': 0x65,
};

export const GSM7_ESCAPE = 0x1b;

const BASIC_INDEX = new Map<string, number>([...BASIC].map((ch, i) => [ch, i]));
BASIC_INDEX.delete('\x1b');

/** The septets of one character (two for extension-table characters), or undefined when GSM-7 cannot carry it. */
export function gsm7SeptetsOf(ch: string): readonly number[] | undefined {
  const basic = BASIC_INDEX.get(ch);
  if (basic !== undefined) return [basic];
  const ext = EXTENSION[ch];
  return ext === undefined ? undefined : [GSM7_ESCAPE, ext];
}

/** Whether every character of `text` is in the default alphabet or its extension table. */
export function fitsGsm7(text: string): boolean {
  for (const ch of text) if (!gsm7SeptetsOf(ch)) return false;
  return true;
}

/** Septets of a text known to fit (see fitsGsm7). */
export function toGsm7Septets(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const s = gsm7SeptetsOf(ch);
    if (!s) throw new RangeError(`character U+${ch.codePointAt(0)?.toString(16).padStart(4, '0')} is not in the GSM 7-bit alphabet`);
    out.push(...s);
  }
  return out;
}

/** Packs septets least significant bit first, after `fillBits` zero bits (0–6). */
export function packSeptets(septets: readonly number[], fillBits = 0): Uint8Array {
  const totalBits = fillBits + septets.length * 7;
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (const s of septets) {
    for (let i = 0; i < 7; i++, bit++) {
      if ((s >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
    }
  }
  return out;
}
