// The independent SL 651-2014 reference decoder (sl651_reference.py) against public captured frames, frames built
// here by hand from the standard, and corrupted copies. It is written from the standard, not from
// node-daemon/uplinks/, so that our encoder's frames can be checked by it (see reference.ts: decodeWithReference).
import { describe, expect, it } from 'vitest';
import { decodeWithReference, referencePython, type ReferenceDecode, type ReferenceFrame } from './reference.js';

const PYTHON = referencePython();
if (PYTHON === null) console.warn('SKIPPED: python3 not found, the SL 651 Python reference decoder tests did not run');

// ---- public captured frames -----------------------------------------------------------------------------------
const TIMED_32 =
  '7E7E1000123456781234320025020003140612020000F1F1001234567848F0F014061202002019000055071900021538121290033D9E';
const UNIFORM_31 =
  '7E7E011000000006000031004E022F7E221205110019F1F1100000000648F0F0221205100504180000053923' +
  '000289600002896000028960000289600002896000028960000289600002896000028960000289600002896000028960035B94';
const EXTENDED_32 =
  '7E7E010030746200001232002F024465260701060036F1F1003074620048F0F02607010600261900311345200060048138121287FF090820FF3311020503B042';
const CLOCK_51 = '7E7E00100000000604D251000F020158221206141622F1F11000000006031D77';

// ---- a tiny frame builder (CRC-16/Modbus, high byte first), kept apart from the decoder under test ------------
const bytesOf = (hex: string): number[] => (hex.match(/../g) ?? []).map((h) => parseInt(h, 16));
const hexOf = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();

function crc16(bytes: number[]): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Recomputes the CRC of a hex frame whose bytes were edited (HEX form). */
function reCrc(bytes: number[]): string {
  const core = bytes.slice(0, -2);
  const crc = crc16(core);
  return hexOf([...core, crc >> 8, crc & 0xff]);
}

interface HexFrameSpec {
  down?: boolean;
  centre?: number;
  station?: string;
  password?: string;
  fn: number;
  packet?: { total: number; seq: number };
  body: string;
  end?: number;
}

function hexFrame(s: HexFrameSpec): string {
  const station = bytesOf(s.station ?? '0012345678');
  const centre = s.centre ?? 0x10;
  const packet = s.packet ? [(s.packet.total >> 4) & 0xff, ((s.packet.total & 0xf) << 4) | (s.packet.seq >> 8), s.packet.seq & 0xff] : [];
  const body = [...packet, ...bytesOf(s.body)];
  const dl = (s.down ? 0x8000 : 0) | body.length;
  const bytes = [
    0x7e,
    0x7e,
    ...(s.down ? [...station, centre] : [centre, ...station]),
    ...bytesOf(s.password ?? '1234'),
    s.fn,
    dl >> 8,
    dl & 0xff,
    s.packet ? 0x16 : 0x02,
    ...body,
    s.end ?? 0x03,
  ];
  const crc = crc16(bytes);
  return hexOf([...bytes, crc >> 8, crc & 0xff]);
}

function asciiFrame(o: { fn: string; body: string; end?: number }): string {
  const head = [0x01, ...Buffer.from(`1000123456781234${o.fn}` + o.body.length.toString(16).padStart(4, '0').toUpperCase(), 'ascii'), 0x02];
  const bytes = [...head, ...Buffer.from(o.body, 'ascii'), o.end ?? 0x03];
  const crc = crc16(bytes).toString(16).padStart(4, '0').toUpperCase();
  return hexOf([...bytes, ...Buffer.from(crc, 'ascii')]);
}

const HEAD = '0003140612020000'; // serial 3, sent 2014-06-12 02:00:00

function ok(d: ReferenceDecode | undefined): ReferenceFrame {
  if (d === undefined || !d.ok) throw new Error(`expected a decoded frame, got ${JSON.stringify(d)}`);
  return d;
}

async function one(hex: string): Promise<ReferenceDecode> {
  const [d] = await decodeWithReference([hex]);
  if (d === undefined) throw new Error('no answer');
  return d;
}

const errorOf = async (hex: string): Promise<string> => {
  const d = await one(hex);
  return d.ok ? 'ok' : d.error;
};

describe.skipIf(PYTHON === null)('SL 651-2014 Python reference decoder', () => {
  describe('public captured frames', () => {
    it('decodes a timed report (32): header, head, F1F1 station and type, one group of three elements', async () => {
      expect(ok(await one(TIMED_32))).toEqual({
        ok: true,
        encoding: 'hex',
        direction: 'up',
        centre: 0x10,
        station: '0012345678',
        password: '1234',
        fn: '32',
        length: 37,
        start: 'STX',
        packet: null,
        end: 'ETX',
        crc_ok: true,
        serial: 3,
        sent: '2014-06-12 02:00:00',
        station_type: '48',
        body_station: '0012345678',
        groups: [
          {
            observed: '2014-06-12 02:00',
            elements: [
              { id: '20', definition: '19', value: 5.5 },
              { id: '07', definition: '19', value: 21.5 },
              { id: '38', definition: '12', value: 12.9 },
            ],
          },
        ],
        clock_station: null,
        query: null,
        requested: null,
        trailing: null,
      });
    });

    it('decodes a uniform-period report (31): a 5-minute time step and twelve 39 values of 28.96', async () => {
      const d = ok(await one(UNIFORM_31));
      expect(d).toMatchObject({ fn: '31', centre: 1, station: '1000000006', password: '0000', length: 78, serial: 0x2f7e });
      expect(d.sent).toBe('2022-12-05 11:00:19');
      expect(d.groups).toEqual([
        {
          observed: '2022-12-05 10:05',
          elements: [{ id: '39', definition: '23', step_minutes: 5, values: Array<number>(12).fill(28.96) }],
        },
      ]);
    });

    it('decodes extended identifiers FF09 and FF33 and keeps the 45 status word as hex', async () => {
      const d = ok(await one(EXTENDED_32));
      expect(d).toMatchObject({ station: '0030746200', password: '0012', serial: 0x4465, sent: '2026-07-01 06:00:36' });
      expect(d.groups[0]?.elements).toEqual([
        { id: '26', definition: '19', value: 311.3 },
        { id: '45', definition: '20', value: '00600481' },
        { id: '38', definition: '12', value: 12.87 },
        { id: 'FF09', definition: '08', value: 20 },
        { id: 'FF33', definition: '11', value: 20.5 },
      ]);
    });

    it('decodes a clock answer (51): head and F1F1 station, no groups', async () => {
      const d = ok(await one(CLOCK_51));
      expect(d).toMatchObject({ centre: 0, station: '1000000006', password: '04D2', fn: '51', length: 15, serial: 0x158 });
      expect(d.sent).toBe('2022-12-06 14:16:22');
      expect(d.clock_station).toBe('1000000006');
      expect(d.groups).toEqual([]);
      expect(d.station_type).toBeNull();
      expect(d.trailing).toBeNull();
    });
  });

  describe('frames built here from the standard', () => {
    it('two groups with a negative value, a missing one, F4 rain and F5 levels and an extended identifier', async () => {
      const f4 = '00010203040506070809' + '0AFF';
      const f5 = '0100' + '0101' + '0102' + '0103' + '0104' + '0105' + '0106' + '0107' + '0108' + '0109' + '010A' + 'FFFF';
      const body =
        HEAD + 'F1F1' + '0012345678' + '50' +
        'F0F0' + '1406120200' + '3923FF000150' + '2019FFFFFF' + 'F460' + f4 + 'F5C0' + f5 +
        'F0F0' + '1406120300' + '1A19000125' + 'FF0A110205';
      const d = ok(await one(hexFrame({ fn: 0x32, body })));
      expect(d.station_type).toBe('50');
      expect(d.groups).toEqual([
        {
          observed: '2014-06-12 02:00',
          elements: [
            { id: '39', definition: '23', value: -0.15 },
            { id: '20', definition: '19', value: null },
            { id: 'F4', definition: '60', unit: 'mm', values: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, null] },
            { id: 'F5', definition: 'C0', unit: 'cm', values: [256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, null] },
          ],
        },
        {
          observed: '2014-06-12 03:00',
          elements: [
            { id: '1A', definition: '19', value: 12.5 },
            { id: 'FF0A', definition: '11', value: 20.5 },
          ],
        },
      ]);
    });

    it('downlink: addresses station then centre, a confirmation with EOT is head only', async () => {
      const d = ok(await one(hexFrame({ down: true, centre: 0x22, fn: 0x32, body: HEAD, end: 0x04 })));
      expect(d).toMatchObject({ direction: 'down', centre: 0x22, station: '0012345678', fn: '32', end: 'EOT', serial: 3 });
      expect(d.groups).toEqual([]);
      expect(d.trailing).toBeNull();
    });

    it('downlink period query (38): from, to, time step and element', async () => {
      const d = ok(await one(hexFrame({ down: true, fn: 0x38, body: HEAD + '14061200' + '14061223' + '0418000100' + '3923', end: 0x05 })));
      expect(d.end).toBe('ENQ');
      expect(d.query).toEqual({ from: '2014-06-12 00:00', to: '2014-06-12 23:00', step_minutes: 60, element: '39', definition: '23' });
    });

    it('head-only frames: keep-alive 2F up, real-time query 37 down, clock query 4A down; 4A answer up', async () => {
      const [keep, q37, q4a, a4a] = await decodeWithReference([
        hexFrame({ fn: 0x2f, body: HEAD, end: 0x05 }),
        hexFrame({ down: true, fn: 0x37, body: HEAD, end: 0x05 }),
        hexFrame({ down: true, fn: 0x4a, body: HEAD, end: 0x05 }),
        hexFrame({ fn: 0x4a, body: HEAD + 'F1F1' + '0012345678' }),
      ]);
      for (const d of [keep, q37, q4a]) expect(ok(d)).toMatchObject({ serial: 3, groups: [], trailing: null, clock_station: null });
      expect(ok(a4a).clock_station).toBe('0012345678');
    });

    it('multi-packet: SYN with total/seq, ETB, only the first packet carries the head', async () => {
      const [first, second] = await decodeWithReference([
        hexFrame({ fn: 0x36, packet: { total: 3, seq: 1 }, body: HEAD + 'F1F1', end: 0x17 }),
        hexFrame({ fn: 0x36, packet: { total: 3, seq: 2 }, body: 'ABCD', end: 0x17 }),
      ]);
      expect(ok(first)).toMatchObject({ start: 'SYN', packet: { total: 3, seq: 1 }, end: 'ETB', serial: 3, length: 13 });
      expect(ok(second)).toMatchObject({ start: 'SYN', packet: { total: 3, seq: 2 }, serial: null, trailing: 'ABCD' });
    });

    it('ASCII form: hex-char header, ASCII CRC, body split into identifier/value tokens', async () => {
      const d = ok(await one(asciiFrame({ fn: '32', body: '0003 140612020000 ST 0012345678 H TT 1406120200 PJ 5.5 Z 12.90' })));
      expect(d).toMatchObject({
        encoding: 'ascii',
        direction: 'up',
        centre: 0x10,
        station: '0012345678',
        password: '1234',
        fn: '32',
        start: 'STX',
        end: 'ETX',
        crc_ok: true,
        serial: 3,
        sent: '2014-06-12 02:00:00',
        station_type: '48',
        body_station: '0012345678',
      });
      expect(d.groups).toEqual([
        { observed: '2014-06-12 02:00', elements: [{ id: 'PJ', value: '5.5' }, { id: 'Z', value: '12.90' }] },
      ]);
    });
  });

  describe('corrupted copies', () => {
    const good = bytesOf(TIMED_32);

    it('one flipped bit in the body is a CRC error', async () => {
      const bad = [...good];
      bad[30] = (bad[30] ?? 0) ^ 0x04;
      expect(await errorOf(hexOf(bad))).toBe('crc');
      const badCrc = [...good];
      badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] ?? 0) ^ 0x80;
      expect(await errorOf(hexOf(badCrc))).toBe('crc');
    });

    it('cut short is truncated', async () => {
      expect(await errorOf(hexOf(good.slice(0, -3)))).toBe('truncated');
      expect(await errorOf(hexOf(good.slice(0, 10)))).toBe('truncated');
    });

    it('a wrong start mark or frame start is a start error', async () => {
      const bad = [...good];
      bad[13] = 0x03;
      expect(await errorOf(hexOf(bad))).toBe('start');
      expect(await errorOf('7E7F' + TIMED_32.slice(4))).toBe('start');
    });

    it('an over-long length field is truncated, or length when the frame closes properly anyway', async () => {
      const longer = [...good];
      longer[12] = 0x30;
      expect(['length', 'truncated']).toContain(await errorOf(hexOf(longer)));
      expect(await errorOf(reCrc(longer))).toBe('length');
      const shorter = [...good];
      shorter[12] = 0x20;
      expect(await errorOf(reCrc(shorter))).toBe('length');
    });

    it('a wrong end mark, direction nibble, packet number, element, BCD time and non-hex input', async () => {
      const badEnd = [...good];
      badEnd[good.length - 3] = 0x09;
      const badDir = [...good];
      badDir[11] = 0x40;
      const answers = await decodeWithReference([
        reCrc(badEnd),
        reCrc(badDir),
        hexFrame({ fn: 0x36, packet: { total: 2, seq: 0 }, body: HEAD }),
        hexFrame({ fn: 0x32, body: HEAD + 'F1F1001234567848F0F0140612020039230001' }),
        hexFrame({ fn: 0x32, body: HEAD + 'F1F1001234567848F0F01406120200201900A055' }),
        hexFrame({ fn: 0x32, body: '0003141312020000' }),
        'ZZ',
        '7E7E1',
      ]);
      expect(answers.map((a) => (a.ok ? 'ok' : a.error))).toEqual([
        'end',
        'direction',
        'packet',
        'element',
        'element',
        'time',
        'input',
        'input',
      ]);
    });

    it('never fails internally: every prefix and every single-bit flip of the public frames is refused cleanly', async () => {
      const inputs: string[] = [];
      for (const frame of [TIMED_32, UNIFORM_31, EXTENDED_32, CLOCK_51]) {
        const b = bytesOf(frame);
        for (let n = 1; n < b.length; n++) inputs.push(hexOf(b.slice(0, n)));
        for (let i = 0; i < b.length; i++) {
          for (let bit = 0; bit < 8; bit++) {
            const c = [...b];
            c[i] = (c[i] ?? 0) ^ (1 << bit);
            inputs.push(hexOf(c));
          }
        }
      }
      const answers = await decodeWithReference(inputs);
      const internal = answers.filter((a) => !a.ok && a.error === 'internal');
      expect(internal).toEqual([]);
      expect(answers.filter((a) => a.ok)).toEqual([]);
    });
  });
});
