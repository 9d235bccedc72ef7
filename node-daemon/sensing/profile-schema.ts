import { z } from 'zod';

export const DATA_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/**
 * Byte/word order of a register value, named by where bytes A (most significant) .. D land on the wire.
 * For 16-bit types only the first two letters matter: `AB..` is big-endian, `BA..` is byte-swapped.
 */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export const LENGTH_UNITS = ['m', 'cm', 'mm', 'ft'] as const;
export type LengthUnit = (typeof LENGTH_UNITS)[number];

const registerAddress = z.number().int().min(0).max(65536);

/** A Modbus device profile, as data. Addresses are given in the profile's own `addressBase`. */
export const profileSchema = z.strictObject({
  description: z.string().optional(),
  functionCode: z.union([z.literal(3), z.literal(4)]).describe('3 = read holding registers, 4 = read input registers'),
  addressBase: z.union([z.literal(0), z.literal(1)]).describe('0 if addresses are protocol addresses, 1 if the manual counts from 1'),
  value: z.strictObject({
    address: registerAddress,
    type: z.enum(DATA_TYPES),
    order: z.enum(BYTE_ORDERS).default('ABCD'),
    scale: z.number().default(1),
    offset: z.number().default(0),
    unit: z.enum(LENGTH_UNITS).default('m'),
  }),
  /** Register holding a unit code; its value selects the unit through `codes` and overrides `value.unit`. */
  unitRegister: z
    .strictObject({
      address: registerAddress,
      codes: z.record(z.string().regex(/^\d+$/, 'unit codes are register values written as decimal strings'), z.enum(LENGTH_UNITS)),
    })
    .optional(),
  /** Register holding the number of decimal places: the raw value is divided by 10^n. */
  decimalsRegister: z.strictObject({ address: registerAddress, max: z.number().int().min(0).max(6).default(4) }).optional(),
  /** Raw register values (before scaling) that mean "no value". */
  sentinels: z.array(z.number()).default([]),
  /** Plausible range in metres, after conversion; readings outside are flagged `out_of_range`. */
  range: z.strictObject({ min: z.number(), max: z.number() }).refine((r) => r.min < r.max, 'range.min must be below range.max'),
  /** Raw registers (starting at the lowest address the profile reads) and the value in metres they must decode to. */
  testVectors: z
    .array(z.strictObject({ registers: z.array(z.number().int().min(0).max(0xffff)), expected: z.number().nullable(), quality: z.enum(['good', 'out_of_range', 'stale']).optional() }))
    .default([]),
});

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema>;
