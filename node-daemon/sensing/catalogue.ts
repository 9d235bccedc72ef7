import type { ProfileInput } from './profile-schema.js';

/**
 * Built-in device profiles. Each ships raw-register test vectors (registers start at the lowest address the
 * profile reads) that `catalogue.test.ts` decodes; a profile whose vectors fail is a build failure.
 * Installers add their own under `profiles:` in the YAML file, or inline in a sensor's `profile:`.
 */
export const CATALOGUE: Readonly<Record<string, ProfileInput>> = {
  /**
   * The common Chinese submersible (hydrostatic) level transmitter, 投入式液位变送器: slave id at 0x0000,
   * baud code 0x0001, unit code 0x0002, decimal places 0x0003, value 0x0004 (int16). Default 9600 8N1.
   * Unit codes follow the usual pressure-unit table of these devices, of which only the water-column ones are
   * lengths: 7 = mH2O, 8 = mmH2O. Any other unit code makes the reading `out_of_range`.
   * The decimal places are set once at installation; the transmitter does not change them per reading (at 3,
   * 3.2767 m is sent as 3277). Many send 32767 / -32768 (0x7FFF / 0x8000) for no value, a probe fault or a level
   * the int16 cannot show, so both are sentinels: the daemon reads either as `stale` with no value, never as a level.
   */
  'submersible-level': {
    description: '投入式液位变送器 (unit 0x0002, decimals 0x0003, int16 value 0x0004)',
    functionCode: 3,
    addressBase: 0,
    value: { address: 0x0004, type: 'int16', order: 'ABCD', unit: 'm' },
    unitRegister: { address: 0x0002, codes: { '7': 'm', '8': 'mm' } },
    decimalsRegister: { address: 0x0003, max: 4 },
    sentinels: [32767, -32768],
    range: { min: -1, max: 100 },
    testVectors: [
      { registers: [7, 3, 1234], expected: 1.234 },
      { registers: [8, 0, 2500], expected: 2.5 },
      { registers: [7, 2, 0xffff], expected: -0.01 },
      { registers: [7, 1, 2000], expected: 200, quality: 'out_of_range' },
      { registers: [7, 3, 0x7fff], expected: null, quality: 'stale' },
      { registers: [7, 4, 0x8000], expected: null, quality: 'stale' },
      { registers: [7, 3, 3277], expected: 3.277 },
      { registers: [1, 3, 1234], expected: null, quality: 'out_of_range' },
    ],
  },
  /** Radar level gauge reporting level in metres as float32, word-swapped (CDAB) as many such gauges do. */
  'radar-level-float32': {
    description: 'Radar level gauge, float32 metres in CDAB order at 0x0000',
    functionCode: 3,
    addressBase: 0,
    value: { address: 0x0000, type: 'float32', order: 'CDAB', unit: 'm' },
    sentinels: [],
    range: { min: 0, max: 70 },
    testVectors: [
      { registers: [0x0000, 0x4070], expected: 3.75 },
      { registers: [0x0000, 0x0000], expected: 0 },
      { registers: [0x0000, 0x7fc0], expected: null, quality: 'stale' },
      { registers: [0x0000, 0x42c8], expected: 100, quality: 'out_of_range' },
    ],
  },
  /**
   * SL 651-2014 §5 standard sensor register map: rain at 0x0000 (u32, cumulative 0.1 mm), water level at 0x0002
   * (u32, mm), big-endian registers, FC 03. The level channel is read here.
   */
  'sl651-level': {
    description: 'SL 651-2014 §5 sensor map, water level u32 mm at 0x0002',
    functionCode: 3,
    addressBase: 0,
    value: { address: 0x0002, type: 'uint32', order: 'ABCD', unit: 'mm' },
    sentinels: [0xffffffff],
    range: { min: 0, max: 100 },
    testVectors: [
      { registers: [0x0000, 0x3039], expected: 12.345 },
      { registers: [0x0001, 0x0000], expected: 65.536 },
      { registers: [0xffff, 0xffff], expected: null, quality: 'stale' },
    ],
  },
  /** A plain level register in centimetres (uint16 at holding register 0): a starting point for inline profiles. */
  'generic-uint16-cm': {
    description: 'Generic: uint16 centimetres at holding register 0',
    functionCode: 3,
    addressBase: 0,
    value: { address: 0x0000, type: 'uint16', order: 'ABCD', unit: 'cm' },
    sentinels: [0xffff],
    range: { min: 0, max: 600 },
    testVectors: [
      { registers: [1234], expected: 12.34 },
      { registers: [0xffff], expected: null, quality: 'stale' },
    ],
  },
};
