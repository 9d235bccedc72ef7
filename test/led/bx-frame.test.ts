import { describe, expect, it } from 'vitest';
import {
  BxFrameError,
  BxFrameParser,
  DEFAULT_DEV_TYPE,
  DEFAULT_DST,
  DEFAULT_PROTO_VER,
  DEFAULT_SRC,
  FLAG_REPLY_REQUIRED,
  crc16Arc,
  decodePacket,
  encodeFrame,
  encodePacket,
  escapeBytes,
  unescapeBytes,
  type BxPacket,
} from '../../drivers/led/bx-frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');

function request(cmdGroup: number, cmd: number, data: Uint8Array = new Uint8Array()): BxPacket {
  return { dst: DEFAULT_DST, src: DEFAULT_SRC, devType: DEFAULT_DEV_TYPE, protoVer: DEFAULT_PROTO_VER, cmdGroup, cmd, flag: FLAG_REPLY_REQUIRED, data };
}

describe('CRC-16/ARC', () => {
  it('matches the standard check value', () => {
    expect(crc16Arc(Buffer.from('123456789', 'ascii'))).toBe(0xbb3d);
  });

  // Published checks from the field notes: the CRC goes on the wire low byte first.
  it.each([
    ['ping A2 00', 0xa2, 0x00, '68 F8'],
    ['status A1 02', 0xa1, 0x02, '2D 40'],
    ['clear A3 10', 0xa3, 0x10, '51 F8'],
  ])('%s → %s', (_name, group, cmd, crc) => {
    const packet = encodePacket(request(group, cmd));
    expect(toHex(packet.subarray(0, packet.length - 2))).toBe(
      `01 00 00 80 00 00 00 00 00 00 FE 02 05 00 ${toHex(Uint8Array.from([group, cmd]))} 01 00 00`,
    );
    expect(toHex(packet.subarray(packet.length - 2))).toBe(crc);
  });

  it('reproduces a published ACK reply byte for byte', () => {
    const ack = encodeFrame({ dst: 0x8000, src: 0xfffe, devType: 0xfe, protoVer: 0x02, cmdGroup: 0xa0, cmd: 0x00, flag: 0, data: new Uint8Array() });
    expect(toHex(ack)).toBe('A5 A5 A5 A5 A5 A5 A5 A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 00 00 00 00 14 AC 5A');
  });
});

describe('escaping', () => {
  it('escapes the four reserved bytes and nothing else', () => {
    expect(toHex(escapeBytes(hex('00 A5 A6 5A 5B FF')))).toBe('00 A6 02 A6 01 5B 02 5B 01 FF');
    expect(toHex(unescapeBytes(hex('00 A6 02 A6 01 5B 02 5B 01 FF')))).toBe('00 A5 A6 5A 5B FF');
  });

  it('refuses an escape byte not followed by 01 or 02', () => {
    expect(() => unescapeBytes(hex('A6 03'))).toThrow(BxFrameError);
    expect(() => unescapeBytes(hex('00 5B'))).toThrow(/followed by nothing/);
  });

  it('keeps payload bytes equal to A5/A6/5A/5B off the wire between preamble and end', () => {
    const frame = encodeFrame(request(0xa3, 0x06, hex('A5 A6 5A 5B')));
    const inside = frame.subarray(8, frame.length - 1);
    expect(inside.includes(0xa5)).toBe(false);
    expect(inside.includes(0x5a)).toBe(false);
    expect(toHex(inside)).toContain('A6 02 A6 01 5B 02 5B 01');
    expect(frame[frame.length - 1]).toBe(0x5a);
  });
});

describe('decodePacket', () => {
  it('round-trips a packet', () => {
    const p = request(0xa3, 0x06, hex('01 02 A5 5A'));
    const back = decodePacket(encodePacket(p));
    expect({ ...back, data: toHex(back.data) }).toEqual({ ...p, data: '01 02 A5 5A' });
  });

  it('rejects a bad CRC', () => {
    const body = encodePacket(request(0xa2, 0x00));
    body.writeUInt8(body.readUInt8(body.length - 1) ^ 0xff, body.length - 1);
    expect(() => decodePacket(body)).toThrow(expect.objectContaining({ reason: 'bad_crc' }));
  });

  it('rejects a dataLen that disagrees with the packet', () => {
    const body = encodePacket(request(0xa2, 0x00, hex('00 00')));
    body.writeUInt16LE(5, 12);
    body.writeUInt16LE(crc16Arc(body.subarray(0, body.length - 2)), body.length - 2);
    expect(() => decodePacket(body)).toThrow(expect.objectContaining({ reason: 'bad_length' }));
  });
});

describe('BxFrameParser', () => {
  it('reads a frame fed one byte at a time', () => {
    const parser = new BxFrameParser();
    const frame = encodeFrame(request(0xa3, 0x06, hex('A5 5B 00')));
    const events = [...frame].flatMap((b) => parser.push(Uint8Array.of(b)));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'packet', packet: { cmdGroup: 0xa3, cmd: 0x06 } });
  });

  it('resynchronises across garbage, a stray end byte, a bad CRC and an interrupted frame', () => {
    const parser = new BxFrameParser();
    const good1 = encodeFrame(request(0xa2, 0x00));
    const corrupt = encodeFrame(request(0xa1, 0x02));
    corrupt.writeUInt8(corrupt.readUInt8(20) ^ 0x01, 20);
    const cut = encodeFrame(request(0xa3, 0x10)).subarray(0, 15);
    const good2 = encodeFrame(request(0xa3, 0x10));
    const stream = Buffer.concat([hex('00 FF 5A 13'), good1, hex('77 5A'), corrupt, cut, good2, hex('42')]);
    const events = parser.push(stream);
    const packets = events.flatMap((e) => (e.kind === 'packet' ? [`${e.packet.cmdGroup.toString(16)} ${e.packet.cmd}`] : []));
    const rejected = events.flatMap((e) => (e.kind === 'rejected' ? [e.error.reason] : []));
    expect(packets).toEqual(['a2 0', 'a3 16']);
    expect(rejected).toEqual(['bad_crc', 'truncated']);
    expect(events.filter((e) => e.kind === 'garbage').reduce((n, e) => n + (e.kind === 'garbage' ? e.bytes : 0), 0)).toBe(7);
  });

  it('drops a frame that never ends instead of growing without bound', () => {
    const parser = new BxFrameParser(64);
    const events = parser.push(Buffer.concat([hex('A5'), Buffer.alloc(200, 0x11)]));
    expect(events).toEqual([expect.objectContaining({ kind: 'rejected', error: expect.objectContaining({ reason: 'too_long' }) }), expect.objectContaining({ kind: 'garbage' })]);
    expect(parser.push(encodeFrame(request(0xa2, 0x00)))).toEqual([expect.objectContaining({ kind: 'packet' })]);
  });
});
