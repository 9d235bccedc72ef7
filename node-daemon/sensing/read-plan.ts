import type { Profile } from './profile-schema.js';
import { wordCount } from './register-codec.js';

/** The most registers one Modbus read (FC 03/04) may return. */
export const MAX_READ_COUNT = 125;

/** One block read that covers every register a profile needs, and where each field sits in the block. */
export interface ReadPlan {
  readonly functionCode: 3 | 4;
  /** Protocol (0-based) address of the block's first register. */
  readonly address: number;
  /** Registers in the block, 1..125. */
  readonly count: number;
  /** Offset of the value's first register within the block. */
  readonly valueOffset: number;
  readonly valueWords: 1 | 2;
  readonly unitOffset?: number;
  readonly decimalsOffset?: number;
}

interface Field {
  readonly name: string;
  /** Protocol address. */
  readonly start: number;
  readonly words: number;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

/**
 * Plans the single read for a profile. Throws a RangeError (naming the registers) when an address falls outside
 * the protocol's 0-65535 after applying addressBase, when fields overlap, or when they span more than 125 registers.
 */
export function planRead(profile: Profile): ReadPlan {
  const base = profile.addressBase;
  const toProtocol = (name: string, address: number, words: number): Field => {
    const start = address - base;
    if (start < 0 || start + words - 1 > 0xffff) {
      throw new RangeError(
        `${name} register ${address} (addressBase ${base}) is outside the protocol's 0-65535${words > 1 ? ` for its ${words} registers` : ''}`,
      );
    }
    return { name, start, words };
  };
  const valueWords = wordCount(profile.value.type);
  const fields: Field[] = [toProtocol('value', profile.value.address, valueWords)];
  if (profile.unitRegister) fields.push(toProtocol('unitRegister', profile.unitRegister.address, 1));
  if (profile.decimalsRegister) fields.push(toProtocol('decimalsRegister', profile.decimalsRegister.address, 1));

  for (const [i, a] of fields.entries()) {
    for (const b of fields.slice(i + 1)) {
      if (a.start < b.start + b.words && b.start < a.start + a.words) {
        throw new RangeError(`${a.name} and ${b.name} overlap at protocol address ${hex(Math.max(a.start, b.start))}`);
      }
    }
  }
  const first = Math.min(...fields.map((f) => f.start));
  const end = Math.max(...fields.map((f) => f.start + f.words));
  const count = end - first;
  if (count > MAX_READ_COUNT) {
    throw new RangeError(
      `the value, unit and decimals registers span ${count} registers (${hex(first)}-${hex(end - 1)}); one read covers at most ${MAX_READ_COUNT}`,
    );
  }
  const offsetOf = (name: string): number | undefined => {
    const f = fields.find((x) => x.name === name);
    return f === undefined ? undefined : f.start - first;
  };
  const unitOffset = offsetOf('unitRegister');
  const decimalsOffset = offsetOf('decimalsRegister');
  return {
    functionCode: profile.functionCode,
    address: first,
    count,
    valueOffset: (offsetOf('value') ?? 0),
    valueWords,
    ...(unitOffset !== undefined ? { unitOffset } : {}),
    ...(decimalsOffset !== undefined ? { decimalsOffset } : {}),
  };
}
