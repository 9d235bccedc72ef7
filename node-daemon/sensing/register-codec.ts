import type { ByteOrder, DataType } from './profile-schema.js';

/** Number of 16-bit registers a value of this type occupies. */
export function wordCount(type: DataType): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** Inclusive range of the raw values a type can carry (float32: its largest finite magnitude). */
export function typeRange(type: DataType): { readonly min: number; readonly max: number } {
  switch (type) {
    case 'int16':
      return { min: -0x8000, max: 0x7fff };
    case 'uint16':
      return { min: 0, max: 0xffff };
    case 'int32':
      return { min: -0x80000000, max: 0x7fffffff };
    case 'uint32':
      return { min: 0, max: 0xffffffff };
    case 'float32':
      return { min: -3.4028234663852886e38, max: 3.4028234663852886e38 };
  }
}

/**
 * Where each logical byte (0 = A, the most significant) sits on the wire for this order and width.
 * For one register only the relative order of the first two letters matters: `AB`/`CD` big-endian, `BA`/`DC` swapped.
 */
function wirePositions(order: ByteOrder, width: 1 | 2): number[] {
  if (width === 1) return order.charCodeAt(0) < order.charCodeAt(1) ? [0, 1] : [1, 0];
  const positions = [0, 0, 0, 0];
  for (let wire = 0; wire < 4; wire++) positions[order.charCodeAt(wire) - 65] = wire;
  return positions;
}

function checkWord(word: number | undefined, index: number): number {
  if (word === undefined || !Number.isInteger(word) || word < 0 || word > 0xffff) {
    throw new RangeError(`register ${index} is ${String(word)}; registers are integers 0-65535`);
  }
  return word;
}

/** The raw value carried by `words` (exactly wordCount(type) registers, as read off the wire). */
export function wordsToRaw(words: readonly number[], type: DataType, order: ByteOrder): number {
  const width = wordCount(type);
  if (words.length !== width) throw new RangeError(`a ${type} needs ${width} register(s), got ${words.length}`);
  const wire = new Uint8Array(width * 2);
  for (let i = 0; i < width; i++) {
    const w = checkWord(words[i], i);
    wire[2 * i] = w >> 8;
    wire[2 * i + 1] = w & 0xff;
  }
  const logical = new Uint8Array(width * 2);
  wirePositions(order, width).forEach((wirePos, byte) => (logical[byte] = wire[wirePos] ?? 0));
  const view = new DataView(logical.buffer);
  switch (type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return view.getFloat32(0);
  }
}

/**
 * The registers that carry `raw`. Integer types need an integer inside typeRange(type); float32 takes any number
 * (rounded to the nearest float32; NaN and infinities pass through).
 */
export function rawToWords(raw: number, type: DataType, order: ByteOrder): number[] {
  const width = wordCount(type);
  if (type !== 'float32') {
    const { min, max } = typeRange(type);
    if (!Number.isInteger(raw) || raw < min || raw > max) throw new RangeError(`${raw} does not fit a ${type} (${min}..${max})`);
  }
  const logical = new Uint8Array(width * 2);
  const view = new DataView(logical.buffer);
  switch (type) {
    case 'int16':
      view.setInt16(0, raw);
      break;
    case 'uint16':
      view.setUint16(0, raw);
      break;
    case 'int32':
      view.setInt32(0, raw);
      break;
    case 'uint32':
      view.setUint32(0, raw);
      break;
    case 'float32':
      view.setFloat32(0, raw);
      break;
  }
  const wire = new Uint8Array(width * 2);
  wirePositions(order, width).forEach((wirePos, byte) => (wire[wirePos] = logical[byte] ?? 0));
  const words: number[] = [];
  for (let i = 0; i < width; i++) words.push(((wire[2 * i] ?? 0) << 8) | (wire[2 * i + 1] ?? 0));
  return words;
}

/**
 * The shortest decimal that is the same float32 as `x` (3.7 rather than 3.700000047683716), so a float32
 * device's value is scaled and compared as the number the device meant.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/** The integer with the same low bits as `raw` read as the other signedness (-1 <-> 0xffff for 16-bit types). */
export function otherSignedness(raw: number, type: DataType): number | undefined {
  switch (type) {
    case 'int16':
      return raw < 0 ? raw + 0x10000 : undefined;
    case 'uint16':
      return raw > 0x7fff ? raw - 0x10000 : undefined;
    case 'int32':
      return raw < 0 ? raw + 0x100000000 : undefined;
    case 'uint32':
      return raw > 0x7fffffff ? raw - 0x100000000 : undefined;
    case 'float32':
      return undefined;
  }
}
