import { describe, expect, it } from 'vitest';
import { answers, buildReadRequest, charsMs, findFrames, hasHeaderOf, interFrameMs, replyBytes, withCrc } from './rtu-frame.js';

/** A reply as a slave would send it. */
function reply(slave: number, fc: number, values: number[]): Buffer {
  const body = Buffer.alloc(3 + 2 * values.length);
  body.writeUInt8(slave, 0);
  body.writeUInt8(fc, 1);
  body.writeUInt8(2 * values.length, 2);
  values.forEach((v, i) => body.writeUInt16BE(v, 3 + 2 * i));
  return withCrc(body);
}

describe('RTU read frames', () => {
  it('builds the request of the Modbus specification example (unit 1, FC 3, address 0, 1 register)', () => {
    expect(buildReadRequest({ slave: 1, functionCode: 3, address: 0, count: 1 }).toString('hex')).toBe('010300000001840a');
    expect(buildReadRequest({ slave: 17, functionCode: 4, address: 8, count: 1 }).toString('hex')).toBe('110400080001b298');
  });

  it('finds a reply and its registers, and an exception, by unit, function and CRC', () => {
    const r = reply(1, 3, [0x1234, 7]);
    expect(r.length).toBe(replyBytes(2));
    const [f] = findFrames(r);
    expect(f).toMatchObject({ start: 0, end: 9, slave: 1, functionCode: 3, values: [0x1234, 7] });
    expect(f && answers(f, { slave: 1, functionCode: 3, address: 0, count: 2 })).toBe(true);
    expect(f && answers(f, { slave: 1, functionCode: 3, address: 0, count: 1 }), 'count must match').toBe(false);
    expect(f && answers(f, { slave: 2, functionCode: 3, address: 0, count: 2 }), 'unit must match').toBe(false);
    expect(f && answers(f, { slave: 1, functionCode: 4, address: 0, count: 2 }), 'function must match').toBe(false);
    const exc = withCrc(Buffer.from([1, 0x83, 2]));
    const [e] = findFrames(exc);
    expect(e).toMatchObject({ slave: 1, functionCode: 0x83, exceptionCode: 2 });
    expect(e && answers(e, { slave: 1, functionCode: 3, address: 0, count: 2 })).toBe(true);
  });

  it('resyncs: junk equal to the unit id and function code before a valid frame is skipped', () => {
    const r = reply(1, 3, [42]);
    const junk = Buffer.from([1, 3, 1, 3, 0xff, 1]);
    const frames = findFrames(Buffer.concat([junk, r]));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ start: junk.length, slave: 1, values: [42] });
  });

  it('finds nothing in a damaged or incomplete reply, and every frame of a burst in order', () => {
    const r = reply(1, 3, [1, 2, 3]);
    const flipped = Buffer.from(r);
    flipped[4] = (flipped[4] ?? 0) ^ 0x10;
    expect(findFrames(flipped)).toEqual([]);
    expect(findFrames(r.subarray(0, r.length - 1))).toEqual([]);
    const two = Buffer.concat([reply(5, 4, [9]), Buffer.from([0, 0]), reply(1, 3, [8])]);
    expect(findFrames(two).map((f) => [f.slave, f.values])).toEqual([
      [5, [9]],
      [1, [8]],
    ]);
  });

  it('tells a damaged frame of the slave asked from noise by its header', () => {
    const req = { slave: 7, functionCode: 3 as const, address: 0, count: 1 };
    expect(hasHeaderOf(Buffer.from([0, 7, 3, 2]), req)).toBe(true);
    expect(hasHeaderOf(Buffer.from([7, 0x83, 2]), req)).toBe(true);
    expect(hasHeaderOf(Buffer.from([3, 7, 4]), req)).toBe(false);
  });

  it('times characters by the serial format: 10 bits at 8N1, 11 with parity; 3.5 characters, 1.75 ms above 19200', () => {
    expect(charsMs({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }, 22)).toBeCloseTo(22.92, 2);
    expect(charsMs({ baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 }, 1)).toBeCloseTo(1.146, 3);
    expect(interFrameMs({ baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 })).toBeCloseTo(3.646, 3);
    expect(interFrameMs({ baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 })).toBe(1.75);
  });
});
