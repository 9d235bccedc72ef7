import { describe, expect, it } from 'vitest';
import { encodeFrame, splitPackets } from './codec/frames.js';
import { encodeHead, encodeReport } from './codec/messages.js';
import { FN, STATION_TYPE, type ReportMessage, type Sl651Encoding, type Sl651Frame } from './codec/model.js';
import { parseCommand } from './centre-sim-commands.js';
import { DuplicateBook, elementCode, elementJson, localIso, parseElementCode, reportFields } from './centre-sim-log.js';
import { PacketAssembler } from './centre-sim-packets.js';
import { peekHeader } from './centre-sim-peek.js';

const T = Date.parse('2026-12-06T10:00:00+08:00');
const HEAD = { direction: 'up', centre: 3, station: '0012345678', password: 0xbeef, fn: FN.hourly } as const;
const report: ReportMessage = {
  serial: 42,
  sentAt: T + 5000,
  station: HEAD.station,
  stationType: STATION_TYPE.river,
  groups: [{ observedAt: T, elements: [{ kind: 'number', id: 0x39, definition: 0x23, value: 3.512 }] }],
};

function packets(encoding: Sl651Encoding): Sl651Frame[] {
  const body = encodeReport(report, encoding);
  return splitPackets({ ...HEAD, encoding }, body, 16);
}

describe('PacketAssembler', () => {
  it('completes in order, out of order, and after a missing packet is sent again', () => {
    const ps = packets('hex');
    expect(ps.length).toBeGreaterThan(2);
    const raw = new Uint8Array();
    const a = new PacketAssembler();
    for (const p of ps.slice(0, -1)) expect(a.add(p, raw).kind).toBe('pending');
    const done = a.add(ps.at(-1)!, raw);
    expect(done.kind === 'complete' && done.packets.map((p) => p.frame.packet?.seq)).toEqual(ps.map((_, i) => i + 1));

    const b = new PacketAssembler();
    expect(b.add(ps[0]!, raw).kind).toBe('pending');
    expect(b.add(ps.at(-1)!, raw)).toEqual({ kind: 'missing', total: ps.length, missing: ps.slice(1, -1).map((_, i) => i + 2) });
    for (const p of ps.slice(1, -2)) expect(b.add(p, raw).kind).toBe('pending');
    expect(b.add(ps.at(-2)!, raw).kind).toBe('complete');
  });
});

describe('peekHeader', () => {
  it.each(['hex', 'ascii'] as const)('reads the header and serial of a %s frame whose CRC is wrong', (encoding) => {
    const bytes = encodeFrame({ ...HEAD, encoding, fn: FN.timed, body: encodeReport(report, encoding), end: 'ETX' });
    bytes.set([bytes[bytes.length - 1]! ^ 1], bytes.length - 1);
    expect(peekHeader(bytes)).toEqual({ encoding, direction: 'up', centre: 3, station: '0012345678', password: 0xbeef, fn: FN.timed, serial: 42 });
  });

  it('gives a later packet its position but no serial; nothing for bytes that are no frame', () => {
    const second = encodeFrame(packets('hex')[1]!);
    expect(peekHeader(second)).toMatchObject({ fn: FN.hourly, packet: { seq: 2 } });
    expect(peekHeader(second)).not.toHaveProperty('serial');
    expect(peekHeader(Uint8Array.from([0x7e, 0x7e, 1, 2]))).toBeUndefined();
    expect(peekHeader(Uint8Array.from([0x55]))).toBeUndefined();
    const keepAlive = encodeFrame({ ...HEAD, encoding: 'hex', fn: FN.keepAlive, body: encodeHead({ serial: 9, sentAt: T }), end: 'ETX' });
    expect(peekHeader(keepAlive)?.serial).toBe(9);
  });
});

describe('log lines', () => {
  it('formats times in the wire offset, element codes and elements', () => {
    expect(localIso(T, 480)).toBe('2026-12-06T10:00:00+08:00');
    expect(localIso(T, -330)).toBe('2026-12-05T20:30:00-05:30');
    expect(elementCode(0x39)).toBe('39');
    expect(elementCode(0xff0a)).toBe('FF0A');
    expect(parseElementCode('f5')).toBe(0xf5);
    expect(parseElementCode('FF0A')).toBe(0xff0a);
    expect(parseElementCode('3')).toBeUndefined();
    expect(elementJson({ kind: 'raw', id: 0xe1, definition: 0x10, bytes: Uint8Array.from([0xab, 0xcd]) })).toMatchObject({ id: 'E1', definition: '10', raw: 'ABCD' });
    expect(reportFields(report, 480)).toEqual({
      stationType: 'H',
      stationTypeName: '河道',
      observed: '2026-12-06T10:00:00+08:00',
      elements: [{ id: '39', ascii: 'Z', name: '瞬时河道水位、潮位', unit: 'm', value: 3.512 }],
    });
  });

  it('tells duplicates by station, fn, serial and observation time', () => {
    const book = new DuplicateBook();
    expect(book.check('0012345678', 0x32, 1, T)).toBe(false);
    expect(book.check('0012345678', 0x32, 1, T)).toBe(true);
    expect(book.check('0012345678', 0x32, 1, T + 60_000)).toBe(false);
    expect(book.check('0012345678', 0x33, 1, T)).toBe(false);
  });
});

describe('parseCommand', () => {
  it('parses the four queries', () => {
    expect(parseCommand('{"query":"realtime"}')).toEqual({ ok: true, command: { query: 'realtime', fn: FN.queryRealtime } });
    expect(parseCommand('{"query":"clock","station":"00123456ab"}')).toEqual({ ok: true, command: { query: 'clock', fn: FN.queryClock, station: '00123456AB' } });
    expect(parseCommand('{"query":"set-clock","time":"2026-12-06T12:00:00+08:00"}')).toEqual({ ok: true, command: { query: 'set-clock', fn: FN.setClock, time: T + 2 * 3_600_000 } });
    expect(parseCommand('{"query":"period","from":"2026-12-06T10:00+08:00","to":"2026-12-06T12:00+08:00","stepMinutes":5,"element":"39"}')).toEqual({
      ok: true,
      command: { query: 'period', fn: FN.queryPeriod, from: T, to: T + 2 * 3_600_000, stepMinutes: 5, element: 0x39, definition: 0x23 },
    });
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1]', 'not a JSON object'],
    ['{"query":"reboot"}', 'must be one of'],
    ['{"query":"clock","station":"12"}', '10 hex digits'],
    ['{"query":"set-clock","time":"2026-12-06T12:00:00"}', 'no offset'],
    ['{"query":"period","from":"2026-12-06T12:00+08:00","to":"2026-12-06T10:00+08:00","stepMinutes":5,"element":"39"}', 'before'],
    ['{"query":"period","from":"2026-12-06T10:00+08:00","to":"2026-12-06T12:00+08:00","stepMinutes":0,"element":"39"}', 'stepMinutes'],
    ['{"query":"period","from":"2026-12-06T10:00+08:00","to":"2026-12-06T12:00+08:00","stepMinutes":5,"element":"E1"}', 'definition'],
  ])('refuses %s', (line, reason) => {
    const parsed = parseCommand(line);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });
});
