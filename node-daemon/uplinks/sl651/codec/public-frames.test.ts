import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './frames.js';
import { decodeHead, decodeReport, decodeStationAddress, encodeHead, encodeReport, encodeStationAddress } from './messages.js';
import { FN, Sl651Error, type ElementValue, type ReportMessage } from './model.js';
import { BEIJING_FRAMES, BLOG_FRAMES, FUJIAN_FRAMES, type PublicFrame } from './public-frames.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
/** Beijing wall time as UTC ms. */
const bj = (y: number, mo: number, d: number, h: number, mi: number, s = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi, s);
const REPORTS: ReadonlySet<number> = new Set([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x38, 0x3a]);

function report(f: PublicFrame): ReportMessage {
  return decodeReport(decodeFrame(bytes(f.hex)).body, 'hex');
}
const numbers = (elements: readonly ElementValue[]): [number, number | null][] => elements.flatMap((e) => (e.kind === 'number' ? [[e.id, e.value] as [number, number | null]] : []));

describe('published frames', () => {
  const all: PublicFrame[] = [...Object.values(FUJIAN_FRAMES), ...Object.values(BEIJING_FRAMES), ...Object.values(BLOG_FRAMES)];

  it.each(all.map((f) => [f.name, f] as const))('%s: decodes, and its decoded frame and body encode back to the same bytes', (_name, f) => {
    const frame = decodeFrame(bytes(f.hex));
    expect(hex(encodeFrame(frame))).toBe(f.hex);
    const body = frame.body;
    if (REPORTS.has(frame.fn) && frame.direction === 'up') expect(hex(encodeReport(decodeReport(body, 'hex'), 'hex'))).toBe(hex(body));
    else if ((frame.fn === FN.queryClock || frame.fn === FN.setClock) && frame.direction === 'up') expect(hex(encodeStationAddress(decodeStationAddress(body, 'hex'), 'hex'))).toBe(hex(body));
    else expect(hex(encodeHead(decodeHead(body, 'hex'), 'hex'))).toBe(hex(body));
  });

  it('a published line with a stray 7E after the CRC: the frame without it holds, with it the length does not', () => {
    for (const f of all.filter((x) => x.strayTail !== undefined)) {
      expect(() => decodeFrame(bytes(f.hex + (f.strayTail ?? '')))).toThrow(expect.objectContaining({ code: 'length' }) as Sl651Error);
    }
  });

  it('定时报 0012345678: 20 = 5.5 mm, 07 = 21.5, 38 = 12.90 V', () => {
    const frame = decodeFrame(bytes(FUJIAN_FRAMES.timed12345678.hex));
    expect(frame).toMatchObject({ encoding: 'hex', direction: 'up', centre: 0x10, station: '0012345678', password: 0x1234, fn: 0x32, end: 'ETX' });
    const m = report(FUJIAN_FRAMES.timed12345678);
    expect(m).toMatchObject({ serial: 3, sentAt: bj(2014, 6, 12, 2, 0, 0), station: '0012345678', stationType: 0x48 });
    expect(m.groups).toHaveLength(1);
    expect(m.groups[0]?.observedAt).toBe(bj(2014, 6, 12, 2, 0));
    expect(numbers(m.groups[0]?.elements ?? [])).toEqual([[0x20, 5.5], [0x07, 21.5], [0x38, 12.9]]);
  });

  it('定时报 and 加报报 1000000006: rain, accumulated rain, level 28.96 m, voltage', () => {
    expect(numbers(report(FUJIAN_FRAMES.timed).groups[0]?.elements ?? [])).toEqual([[0x20, 0], [0x26, 319.6], [0x39, 28.96], [0x38, 13.12]]);
    const added = report(FUJIAN_FRAMES.added);
    expect(added.serial).toBe(0x2f7a);
    expect(added.groups[0]?.observedAt).toBe(bj(2022, 12, 2, 13, 10));
    expect(numbers(added.groups[0]?.elements ?? [])).toEqual([[0x39, 28.96], [0x20, 0], [0x26, 319.6], [0x38, 13.17]]);
  });

  it('均匀时段报: a 5-minute step and twelve levels of 28.96 m', () => {
    const m = report(FUJIAN_FRAMES.uniform);
    expect(m.groups[0]?.observedAt).toBe(bj(2022, 12, 5, 10, 5));
    expect(m.groups[0]?.elements).toEqual([{ kind: 'stepSeries', stepMinutes: 5, id: 0x39, definition: 0x23, values: new Array<number>(12).fill(28.96) }]);
  });

  it('小时报 with four groups: F4 rain, accumulated rain, F5 (definition 5C) levels, current values', () => {
    const m = report(FUJIAN_FRAMES.hourly);
    expect(m.groups.map((g) => g.observedAt)).toEqual([bj(2022, 12, 2, 12, 20), bj(2022, 12, 2, 13, 15), bj(2022, 12, 2, 12, 20), bj(2022, 12, 2, 13, 15)]);
    expect(m.groups[0]?.elements).toEqual([{ kind: 'fiveMinute', id: 0xf4, definition: 0x60, values: new Array<number>(12).fill(0) }]);
    expect(numbers(m.groups[1]?.elements ?? [])).toEqual([[0x26, 319.6]]);
    expect(m.groups[2]?.elements).toEqual([{ kind: 'fiveMinute', id: 0xf5, definition: 0x5c, values: [...new Array<number>(10).fill(26.05), 27.96, 27.96] }]);
    expect(numbers(m.groups[3]?.elements ?? [])).toEqual([[0x39, 28.96], [0x20, 0], [0x38, 13.16]]);
  });

  it('37 answer: a missing level (FFFFFFFF) is null', () => {
    expect(numbers(report(FUJIAN_FRAMES.realtimeAnswer).groups[0]?.elements ?? [])).toEqual([[0x20, 0], [0x26, 0], [0x39, null], [0x38, 11.43]]);
  });

  it('clock answers 51 and 4A: head and station, the send time the station clock', () => {
    expect(decodeStationAddress(decodeFrame(bytes(FUJIAN_FRAMES.clockQueryAnswer.hex)).body, 'hex')).toEqual({ serial: 0x0158, sentAt: bj(2022, 12, 6, 14, 16, 22), station: '1000000006' });
    const set = decodeFrame(bytes(FUJIAN_FRAMES.clockSetAnswer.hex));
    expect(set).toMatchObject({ fn: 0x4a, password: 0x04d2, centre: 0x00 });
    expect(decodeStationAddress(set.body, 'hex').sentAt).toBe(bj(2022, 12, 6, 14, 36, 28));
  });

  it('Beijing: extended identifiers FF09/FF33 and the status element 45 kept raw beside the numbers', () => {
    const els = report(BEIJING_FRAMES.extended).groups[0]?.elements ?? [];
    expect(numbers(els)).toEqual([[0x26, 311.3], [0x38, 12.87]]);
    expect(els.filter((e) => e.kind === 'raw').map((e) => (e.kind === 'raw' ? [e.id, e.definition, hex(e.bytes)] : []))).toEqual([
      [0x45, 0x20, '00600481'],
      [0xff09, 0x08, '20'],
      [0xff33, 0x11, '0205'],
    ]);
  });

  it('Beijing: rain, soil moisture and humidity decode, FF92..FF95 stay raw', () => {
    const els = report(BEIJING_FRAMES.added).groups[0]?.elements ?? [];
    expect(numbers(els)).toEqual([[0x22, 0], [0x1a, 0], [0x20, 2.5], [0x26, 210.5], [0x10, 15.8], [0x11, 21.6], [0x13, 18.3], [0x18, 98.5], [0x38, 12]]);
    expect(els.filter((e) => e.kind === 'raw').map((e) => e.id)).toEqual([0xff92, 0xff93, 0xff94, 0xff95]);
  });

  it('Beijing 小时报: F5 with the standard C0 definition, centre 00, password FFFF', () => {
    const frame = decodeFrame(bytes(BEIJING_FRAMES.hourly.hex));
    expect(frame).toMatchObject({ centre: 0, password: 0xffff, station: '0081100006' });
    const els = report(BEIJING_FRAMES.hourly).groups[0]?.elements ?? [];
    expect(els[0]).toEqual({ kind: 'fiveMinute', id: 0xf5, definition: 0xc0, values: [...new Array<number>(7).fill(1.07), ...new Array<number>(5).fill(0)] });
    expect(numbers(els)).toEqual([[0x39, 1.08], [0x38, 12]]);
    expect(numbers(report(BEIJING_FRAMES.hourlyZero).groups[0]?.elements ?? [])).toEqual([[0x39, 0], [0x38, 12.07]]);
  });

  it('keep-alive and a downlink confirmation ending ESC: head only', () => {
    expect(decodeHead(decodeFrame(bytes(BLOG_FRAMES.keepAlive.hex)).body, 'hex')).toEqual({ serial: 3, sentAt: bj(2059, 10, 11, 15, 51, 11) });
    const down = decodeFrame(bytes(BLOG_FRAMES.testConfirmation.hex));
    expect(down).toMatchObject({ direction: 'down', centre: 0x01, station: '0012345678', end: 'ESC', fn: 0x30 });
  });
});
