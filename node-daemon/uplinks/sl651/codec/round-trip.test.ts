import { describe, expect, it } from 'vitest';
import { mulberry32, type Rng } from '../../../../test/helpers/seeded-random.js';
import { ELEMENTS, definitionOf, numberElement } from './elements.js';
import { FrameReader } from './frame-reader.js';
import { decodeFrame, encodeFrame, joinPackets, splitPackets, type FrameHead } from './frames.js';
import { decodeHead, decodePeriodQuery, decodeReport, decodeStationAddress, encodeHead, encodePeriodQuery, encodeReport, encodeStationAddress } from './messages.js';
import { STATION_TYPE, type ElementValue, type EndMark, type ReportMessage, type Sl651Encoding, type Sl651Frame } from './model.js';

const END_MARKS: readonly EndMark[] = ['ETX', 'ETB', 'ENQ', 'ACK', 'NAK', 'EOT', 'ESC'];
const ENCODINGS: readonly Sl651Encoding[] = ['hex', 'ascii'];
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, 0, xs.length - 1)] as T;
const station = (r: Rng): string => Array.from({ length: 10 }, () => pick(r, [...'0123456789ABCDEF'])).join('');
const bytes = (r: Rng, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(r, 0, 255));
/** A time in 2000..2099 on a `unitMs` boundary (UTC+8 on the wire: whole hours keep the boundary). */
const time = (r: Rng, unitMs: number): number => Math.floor((Date.UTC(2000, 0, 1) + r() * (Date.UTC(2099, 0, 1) - Date.UTC(2000, 0, 1))) / unitMs) * unitMs;
const hexText = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

function head(r: Rng, encoding: Sl651Encoding): FrameHead {
  return { encoding, direction: pick(r, ['up', 'down'] as const), centre: int(r, 0, 255), station: station(r), password: int(r, 0, 0xffff), fn: int(r, 0, 255) };
}

const BCD_IDS = Object.entries(ELEMENTS).filter(([, e]) => e.form === 'bcd').map(([id]) => Number(id));

function numberValue(r: Rng, definition: number): number | null {
  if (r() < 0.1) return null;
  const [len, dec] = [definition >> 3, definition & 7];
  const negative = len >= 2 && r() < 0.2;
  const digits = Math.min((negative ? len - 1 : len) * 2, 12);
  const magnitude = Math.floor(r() * 10 ** int(r, 1, digits));
  return magnitude === 0 ? 0 : ((negative ? -1 : 1) * magnitude) / 10 ** dec;
}

function element(r: Rng, encoding: Sl651Encoding, last: boolean): ElementValue {
  const drawn = int(r, 0, 9);
  const kind = drawn === 1 && !last ? 3 : drawn;
  const id = pick(r, BCD_IDS);
  const tableDef = ELEMENTS[id]?.definition ?? 0x23;
  const definition = encoding === 'hex' && r() < 0.3 ? definitionOf(int(r, 1, 8), int(r, 0, 7)) : tableDef;
  if (kind === 0) {
    const fid = int(r, 0xf4, 0xfc);
    const rain = fid === 0xf4;
    const values = Array.from({ length: 12 }, () => (r() < 0.1 ? null : int(r, 0, rain ? 254 : 0xfffe) / (rain ? 10 : 100)));
    const def = encoding === 'ascii' ? (ELEMENTS[fid]?.definition ?? 0) : pick(r, [rain ? 0x60 : 0xc0, 0x5c]);
    return { kind: 'fiveMinute', id: fid, definition: def, values };
  }
  if (kind === 1) {
    const stepMinutes = encoding === 'ascii' ? pick(r, [int(r, 0, 99), 60 * int(r, 1, 99), 1440 * int(r, 1, 99)]) : int(r, 0, 99 * 1440 + 23 * 60 + 59);
    return { kind: 'stepSeries', stepMinutes, id, definition, values: Array.from({ length: int(r, 0, 12) }, () => numberValue(r, definition)) };
  }
  if (kind === 2) {
    if (encoding === 'ascii') return { kind: 'raw', id: 0, definition: 0, bytes: Uint8Array.from(`XQ${int(r, 0, 99)} ${int(r, 0, 999)}`, (c) => c.charCodeAt(0)) };
    const len = int(r, 1, 6);
    return { kind: 'raw', id: pick(r, [0x45, 0x77, 0xff00 | int(r, 0, 255)]), definition: len << 3, bytes: bytes(r, len) };
  }
  return numberElement(id, numberValue(r, definition), definition);
}

/** A time-step series runs to the end of its group, so it is only ever the last element. */
function elements(r: Rng, encoding: Sl651Encoding): ElementValue[] {
  const n = int(r, 0, 6);
  return Array.from({ length: n }, (_, i) => element(r, encoding, i === n - 1));
}

function reportMessage(r: Rng, encoding: Sl651Encoding): ReportMessage {
  return {
    serial: int(r, 0, 0xffff),
    sentAt: time(r, 1000),
    station: station(r),
    stationType: pick(r, Object.values(STATION_TYPE)),
    groups: Array.from({ length: int(r, 0, 4) }, () => ({ observedAt: time(r, 60_000), elements: elements(r, encoding) })),
  };
}

describe('frames round-trip', () => {
  it('every encoding, direction and end mark, with and without a packet header, decodes back and re-encodes byte-exact', () => {
    const r = mulberry32(651);
    for (let i = 0; i < 500; i++) {
      const h = head(r, pick(r, ENCODINGS));
      const total = int(r, 1, 4095);
      const frame: Sl651Frame = { ...h, body: bytes(r, int(r, 0, 300)), end: pick(r, END_MARKS), ...(r() < 0.3 ? { packet: { total, seq: int(r, 1, total) } } : {}) };
      const wire = encodeFrame(frame);
      const back = decodeFrame(wire);
      expect(back).toEqual(frame);
      expect(hexText(encodeFrame(back))).toBe(hexText(wire));
    }
  });

  it('the largest single frame holds 4095 body bytes; a longer body goes as packets, ETB then ETX', () => {
    const r = mulberry32(7);
    for (const encoding of ENCODINGS) {
      const h = head(r, encoding);
      expect(splitPackets(h, bytes(r, 4095))).toHaveLength(1);
      const body = bytes(r, 10_000);
      const frames = splitPackets(h, body);
      expect(frames.map((f) => [f.packet?.seq, f.packet?.total, f.end])).toEqual([[1, 3, 'ETB'], [2, 3, 'ETB'], [3, 3, 'ETX']]);
      const decoded = frames.map((f) => decodeFrame(encodeFrame(f)));
      expect(joinPackets([...decoded].reverse())).toEqual(body);
    }
  });

  it('multi-packet messages through the frame reader in random chunks join back to the body', () => {
    const r = mulberry32(99);
    for (let i = 0; i < 40; i++) {
      const h = head(r, pick(r, ENCODINGS));
      const body = bytes(r, int(r, 0, 2000));
      const frames = splitPackets(h, body, int(r, 10, 200));
      const stream = Buffer.concat(frames.map((f) => encodeFrame(f)));
      const reader = new FrameReader();
      const got: Sl651Frame[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = int(r, 1, 300);
        for (const res of reader.push(stream.subarray(at, at + n))) {
          if (!res.ok) throw res.error;
          got.push(res.frame);
        }
        at += n;
      }
      expect(got).toHaveLength(frames.length);
      expect(joinPackets(got)).toEqual(body);
    }
  });
});

describe('messages round-trip', () => {
  it.each(ENCODINGS)('%s reports of random groups and elements decode back and re-encode byte-exact', (encoding) => {
    const r = mulberry32(encoding === 'hex' ? 1 : 2);
    for (let i = 0; i < 400; i++) {
      const m = reportMessage(r, encoding);
      const opts = { utcOffsetMinutes: pick(r, [480, 0, -300]) };
      const body = encodeReport(m, encoding, opts);
      const back = decodeReport(body, encoding, opts);
      expect(back).toEqual(m);
      expect(hexText(encodeReport(back, encoding, opts))).toBe(hexText(body));
    }
  });

  it.each(ENCODINGS)('%s heads, clock answers and period queries decode back and re-encode byte-exact', (encoding) => {
    const r = mulberry32(encoding === 'hex' ? 3 : 4);
    for (let i = 0; i < 200; i++) {
      const h = { serial: int(r, 0, 0xffff), sentAt: time(r, 1000) };
      expect(decodeHead(encodeHead(h, encoding), encoding)).toEqual(h);
      const a = { ...h, station: station(r) };
      expect(decodeStationAddress(encodeStationAddress(a, encoding), encoding)).toEqual(a);
      const id = pick(r, BCD_IDS);
      const q = {
        ...h,
        from: time(r, 3_600_000),
        to: time(r, 3_600_000),
        stepMinutes: pick(r, [5, 60, 1440, int(r, 0, 99)]),
        id: encoding === 'hex' && r() < 0.2 ? 0xff00 | int(r, 0, 255) : id,
        definition: ELEMENTS[id]?.definition ?? 0x23,
      };
      const body = encodePeriodQuery(q, encoding);
      expect(decodePeriodQuery(body, encoding)).toEqual(q);
      expect(hexText(encodePeriodQuery(decodePeriodQuery(body, encoding), encoding))).toBe(hexText(body));
    }
  });

  it('an ASCII report reads as the documented text', () => {
    const at = Date.UTC(2014, 5, 11, 18, 0);
    const m: ReportMessage = {
      serial: 3,
      sentAt: at,
      station: '0012345678',
      stationType: STATION_TYPE.river,
      groups: [{ observedAt: at, elements: [numberElement(0x39, 2.345), numberElement(0x20, null), numberElement(0x39, -0.5), { kind: 'stepSeries', stepMinutes: 5, id: 0x39, definition: 0x23, values: [1.2, 1.21] }] }],
    };
    expect(Buffer.from(encodeReport(m, 'ascii')).toString('latin1')).toBe('0003140612020000 ST 0012345678 H TT 1406120200 Z 2.345 PJ M Z -0.500 DRN05 Z 1.200 1.210');
  });
});
