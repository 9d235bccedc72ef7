import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { decodeRegisters } from '../../node-daemon/sensing/decode.js';
import { BYTE_ORDERS, DATA_TYPES, profileSchema, type ByteOrder, type DataType } from '../../node-daemon/sensing/profile-schema.js';
import { resolveProfile } from '../../node-daemon/sensing/profiles.js';
import { planRead } from '../../node-daemon/sensing/read-plan.js';
import { rawToWords } from '../../node-daemon/sensing/register-codec.js';
import { PYMODBUS_PYTHON, startPymodbusSlave, type RunningSlave, type SlaveMap } from '../helpers/pymodbus.js';
import type { LinkBus } from '../../drivers/modbus/link-bus.js';
import { holding, recordedBus, tcpConfig } from './bus-fixtures.js';

interface Entry {
  readonly type: DataType;
  readonly order: ByteOrder;
  readonly value: number;
}
interface Encoded extends Entry {
  readonly registers: number[];
}

/** Words pymodbus's BinaryPayloadBuilder produces for each entry (test/peers/pymodbus_encode.py). */
function pymodbusEncode(table: readonly Entry[]): Encoded[] {
  const script = join(packageRoot(), 'test', 'peers', 'pymodbus_encode.py');
  const run = spawnSync(PYMODBUS_PYTHON, [script], { input: JSON.stringify(table), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`pymodbus_encode.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Encoded[];
}

// Values in metres; each float is its own shortest float32 decimal, so it must decode to exactly itself.
const VALUES: Record<DataType, number[]> = {
  int16: [0, 1234, -1234, 32767, -32768, -1],
  uint16: [0, 4386, 65535, 32768],
  int32: [0, -123456789, 2147483647, -2147483648, 305419896],
  uint32: [0, 4294967295, 12345, 305419896, 2147483648],
  float32: [0, 3.75, -0.5, 12.345, 0.001, 68.123, -1e-6, 1234567],
};

const TABLE: Entry[] = DATA_TYPES.flatMap((type) => BYTE_ORDERS.flatMap((order) => VALUES[type].map((value) => ({ type, order, value }))));

/** Submersible blocks [unit, decimals, value] for slaves 2.., built from pymodbus words, with what they mean. */
const SUBMERSIBLE: { unit: number; decimals: number; value: number; expected: number | null; quality: string }[] = [
  { unit: 7, decimals: 0, value: 12, expected: 12, quality: 'good' },
  { unit: 7, decimals: 1, value: 1234, expected: 123.4, quality: 'out_of_range' },
  { unit: 7, decimals: 2, value: 1234, expected: 12.34, quality: 'good' },
  { unit: 7, decimals: 3, value: 1234, expected: 1.234, quality: 'good' },
  { unit: 7, decimals: 4, value: -1234, expected: -0.1234, quality: 'good' },
  { unit: 7, decimals: 5, value: 1234, expected: null, quality: 'out_of_range' },
  { unit: 8, decimals: 2, value: -567, expected: -0.00567, quality: 'good' },
  { unit: 8, decimals: 0, value: 32767, expected: null, quality: 'stale' },
];

describe('data types and byte orders: pymodbus encodes, our decoder reads them over Modbus TCP', () => {
  let slave: RunningSlave;
  let layout: { entry: Encoded; address: number }[];
  let typesBus: LinkBus;

  beforeAll(async () => {
    const encoded = pymodbusEncode(TABLE);
    expect(encoded).toHaveLength(TABLE.length);
    // All values back to back from register 0 of unit 1, one gap register between them.
    let next = 0;
    layout = encoded.map((entry) => {
      const at = { entry, address: next };
      next += entry.registers.length + 1;
      return at;
    });
    const words = new Array<number>(next).fill(0xdead);
    for (const { entry, address } of layout) entry.registers.forEach((w, i) => (words[address + i] = w));

    const submersibleWords = SUBMERSIBLE.map((b) =>
      pymodbusEncode([
        { type: 'uint16', order: 'ABCD', value: b.unit },
        { type: 'uint16', order: 'ABCD', value: b.decimals },
        { type: 'int16', order: 'ABCD', value: b.value },
      ]).flatMap((e) => e.registers),
    );
    const map: SlaveMap = { units: { '1': { holding: { '0': words } } } };
    submersibleWords.forEach((block, i) => (map.units[String(i + 2)] = { holding: { '0': [1, 3], '2': block } }));

    slave = await startPymodbusSlave({ map, endpoint: { kind: 'tcp' } });
    typesBus = recordedBus(tcpConfig({ id: 'types', port: slave.port ?? 0, timeoutMs: 1000 })).bus;
    await typesBus.start();
  });

  afterAll(async () => {
    await typesBus.stop();
    await slave.stop();
  });

  it('pymodbus lays out words exactly as our encoder does, for every type and order', () => {
    for (const { entry } of layout) {
      expect(entry.registers, `${entry.type} ${entry.order} ${entry.value}`).toEqual(rawToWords(entry.value, entry.type, entry.order));
    }
  });

  it.each(DATA_TYPES.flatMap((type) => BYTE_ORDERS.map((order) => ({ type, order }))))('$type $order decodes every value read off the wire', async ({ type, order }) => {
    const rows = layout.filter(({ entry }) => entry.type === type && entry.order === order);
    expect(rows).toHaveLength(VALUES[type].length);
    for (const { entry, address } of rows) {
      const profile = profileSchema.parse({ functionCode: 3, addressBase: 0, value: { address, type, order, unit: 'm' }, range: { min: -1e10, max: 1e10 } });
      const plan = planRead(profile);
      const registers = await typesBus.read(holding(1, plan.address, plan.count));
      expect(registers).toEqual(entry.registers);
      expect(decodeRegisters(profile, registers, plan), `${type} ${order} ${entry.value} [${registers.join(', ')}]`).toEqual({ value: entry.value, quality: 'good' });
    }
  });

  it('applies the submersible profile\'s decimal-point and unit registers as served by pymodbus', async () => {
    const { profile, plan } = resolveProfile({ id: 'well', profile: 'submersible-level' });
    for (const [i, b] of SUBMERSIBLE.entries()) {
      const registers = await typesBus.read(holding(i + 2, plan.address, plan.count));
      const d = decodeRegisters(profile, registers, plan);
      expect({ value: d.value, quality: d.quality }, JSON.stringify(b)).toEqual({ value: b.expected, quality: b.quality });
    }
  });
});
