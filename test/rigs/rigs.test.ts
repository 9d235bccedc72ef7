import ModbusSerial from 'modbus-serial';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { buildReadRequest, crcOk, withCrc } from '../../drivers/modbus/rtu-frame.js';
import { waitFor } from '../helpers/wait-for.js';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { startClosingTcpGateway } from './closing-tcp-gateway.js';
import { mulberry32, startCorruptingPtyProxy, type CorruptingPtyProxy, type ProxyOptions, type ReplyFault } from './corrupting-pty-proxy.js';

// The CommonJS default export arrives as the module object under NodeNext typings.
const ModbusRTU = ModbusSerial as unknown as typeof ModbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

const MAP: SlaveMap = {
  units: {
    '1': { holding: { '0': [1, 2, 3] } },
    '3': { holding: { '0': [30, 31, 32] } },
  },
};

/** An RTU request: FC3, read `count` holding registers from `address` of `unit`. */
function fc3(unit: number, address: number, count: number): Buffer {
  return buildReadRequest({ slave: unit, functionCode: 3, address, count });
}

/** The reply pymodbus gives to fc3(unit, 0, 3). */
function fc3Reply(unit: number, words: number[]): Buffer {
  const body = Buffer.alloc(3 + 2 * words.length);
  body[0] = unit;
  body[1] = 3;
  body[2] = 2 * words.length;
  words.forEach((w, i) => body.writeUInt16BE(w, 3 + 2 * i));
  return withCrc(body);
}

const CLEAN_1 = fc3Reply(1, [1, 2, 3]);
const CLEAN_3 = fc3Reply(3, [30, 31, 32]);

function bitsDiffering(a: Buffer, b: Buffer): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) for (let v = (a[i] ?? 0) ^ (b[i] ?? 0); v; v &= v - 1) n++;
  return n;
}

/** A plain serialport master on the proxy's master pty, recording every byte with its arrival time. */
class Master {
  private chunks: Buffer[] = [];
  private lastByteAt = 0;

  private constructor(readonly port: SerialPort) {
    port.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.lastByteAt = Date.now();
    });
  }

  static async open(path: string): Promise<Master> {
    const port = new SerialPort({ path, baudRate: 19200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new Master(port);
  }

  /** Writes `req`, then returns what came back until `quietMs` of silence after the first byte, or nothing by `timeoutMs`. */
  async transact(req: Buffer, timeoutMs = 300, quietMs = 40): Promise<{ bytes: Buffer; firstByteMs: number | undefined }> {
    this.chunks = [];
    const start = Date.now();
    let firstAt: number | undefined;
    this.port.write(req);
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      if (this.chunks.length > 0 && firstAt === undefined) firstAt = Date.now();
      if (this.chunks.length > 0 && Date.now() - this.lastByteAt >= quietMs) break;
      if (this.chunks.length === 0 && Date.now() - start >= timeoutMs) break;
    }
    return { bytes: Buffer.concat(this.chunks), firstByteMs: firstAt === undefined ? undefined : firstAt - start };
  }

  /** Everything received since the last transact or take. */
  take(): Buffer {
    const b = Buffer.concat(this.chunks);
    this.chunks = [];
    return b;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

describe('corrupting pty proxy against a real pymodbus RTU slave', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(opts: ProxyOptions = {}): Promise<{ proxy: CorruptingPtyProxy; master: Master }> {
    const proxy = await startCorruptingPtyProxy(opts);
    cleanups.push(() => proxy.close());
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'rtu', path: proxy.slavePath, baud: 19200 } });
    cleanups.push(() => slave.stop());
    const master = await Master.open(proxy.masterPath);
    cleanups.push(() => master.close());
    // The line works before any fault.
    expect((await master.transact(fc3(1, 0, 3), 2_000)).bytes).toEqual(CLEAN_1);
    return { proxy, master };
  }

  it('passes a clean reply untouched and logs it as clean', async () => {
    const { proxy } = await rig();
    expect(proxy.wire.map((f) => f.dir)).toEqual(['request', 'reply']);
    expect(proxy.wire[0]?.bytes).toEqual(fc3(1, 0, 3));
    const [reply] = proxy.replies();
    expect(reply).toMatchObject({ bytes: CLEAN_1, sent: CLEAN_1, faults: [], delayMs: 0 });
    expect(reply?.fault).toBeUndefined();
    expect(reply?.sentAt).toBeGreaterThanOrEqual(reply?.at ?? Infinity);
  });

  it('junk: the given bytes arrive first, then the whole reply', async () => {
    const { proxy, master } = await rig();
    const junk = Buffer.from([1, 3]); // the unit id and function code: a header a naive parser would believe
    proxy.faultNextReplies({ kind: 'junk', bytes: junk });
    const got = (await master.transact(fc3(1, 0, 3))).bytes;
    expect(got).toEqual(Buffer.concat([junk, CLEAN_1]));
    expect(crcOk(got)).toBe(false);
    expect(proxy.replies().at(-1)).toMatchObject({ fault: 'junk', source: 'queued', bytes: CLEAN_1, sent: got, delayMs: 0 });
    // Only the next reply.
    expect((await master.transact(fc3(1, 0, 3))).bytes).toEqual(CLEAN_1);
  });

  it('dropBytes: a frame missing bytes from its middle', async () => {
    const { proxy, master } = await rig();
    proxy.faultNextReplies({ kind: 'dropBytes', n: 2 });
    const got = (await master.transact(fc3(1, 0, 3))).bytes;
    // 11 bytes, 2 dropped from the middle: index 4 and 5.
    expect(got).toEqual(Buffer.concat([CLEAN_1.subarray(0, 4), CLEAN_1.subarray(6)]));
    expect(crcOk(got)).toBe(false);
    expect(proxy.replies().at(-1)?.faults).toEqual([{ kind: 'dropBytes', n: 2, at: 4 }]);
  });

  it('flipBit: exactly one bit differs, where the log says, and the same seed draws the same bit', async () => {
    const { proxy, master } = await rig({ seed: 1234 });
    proxy.faultNextReplies({ kind: 'flipBit' }, 3);
    const applied: ReplyFault[] = [];
    for (let i = 0; i < 3; i++) {
      const got = (await master.transact(fc3(1, 0, 3))).bytes;
      expect(got.length).toBe(CLEAN_1.length);
      expect(bitsDiffering(got, CLEAN_1)).toBe(1);
      expect(crcOk(got)).toBe(false);
      const f = proxy.replies().at(-1)?.faults[0];
      if (f?.kind !== 'flipBit' || f.at === undefined || f.bit === undefined) throw new Error(`not a resolved flipBit: ${JSON.stringify(f)}`);
      expect((got[f.at] ?? 0) ^ (CLEAN_1[f.at] ?? 0)).toBe(1 << f.bit);
      applied.push(f);
    }
    // The draws are those of mulberry32(1234): byte index then bit, per reply.
    const rng = mulberry32(1234);
    const expected = applied.map(() => ({ kind: 'flipBit', at: Math.floor(rng() * CLEAN_1.length), bit: Math.floor(rng() * 8) }));
    expect(applied).toEqual(expected);
  });

  it('a delay combined with another fault: late and damaged, the delay logged', async () => {
    const { proxy, master } = await rig();
    proxy.faultNextReplies([{ kind: 'junk', bytes: [0xff] }, { kind: 'delay', ms: 150 }]);
    const { bytes, firstByteMs } = await master.transact(fc3(1, 0, 3), 1_000);
    expect(bytes).toEqual(Buffer.concat([Buffer.from([0xff]), CLEAN_1]));
    expect(firstByteMs).toBeGreaterThanOrEqual(150);
    const entry = proxy.replies().at(-1);
    expect(entry).toMatchObject({ fault: 'junk', delayMs: 150 });
    expect(entry?.faults.map((f) => f.kind)).toEqual(['junk', 'delay']);
    expect((entry?.sentAt ?? 0) - (entry?.at ?? 0)).toBeGreaterThanOrEqual(150);
    expect(proxy.pendingDelayed()).toBe(0);
  });

  it('onlyUnit: faults hit only that unit, and other units do not use them up', async () => {
    const { proxy, master } = await rig({ onlyUnit: 3 });
    proxy.faultNextReplies({ kind: 'drop' });
    expect((await master.transact(fc3(1, 0, 3))).bytes).toEqual(CLEAN_1);
    expect((await master.transact(fc3(3, 0, 3), 300)).bytes).toEqual(Buffer.alloc(0));
    expect((await master.transact(fc3(3, 0, 3))).bytes).toEqual(CLEAN_3);

    proxy.setRandomFaults({ seed: 5, probability: { flip: 1 } });
    for (let i = 0; i < 3; i++) expect((await master.transact(fc3(1, 0, 3))).bytes).toEqual(CLEAN_1);
    expect(crcOk((await master.transact(fc3(3, 0, 3))).bytes)).toBe(false);
    proxy.setOnlyUnit(undefined);
    expect(crcOk((await master.transact(fc3(1, 0, 3))).bytes)).toBe(false);
    proxy.setRandomFaults(undefined);
    expect((await master.transact(fc3(1, 0, 3))).bytes).toEqual(CLEAN_1);

    const log = proxy.replies().map((r) => [r.bytes[0], r.faults.map((f) => f.kind).join('+')]);
    expect(log).toEqual([
      [1, ''],
      [1, ''],
      [3, 'drop'],
      [3, ''],
      [1, ''],
      [1, ''],
      [1, ''],
      [3, 'flip'],
      [1, 'flip'],
      [1, ''],
    ]);
  });

  it('random mode: one flipped bit in about half of 40 replies, the same replies again with the same seed', async () => {
    const { proxy, master } = await rig();
    const run = async (): Promise<string[]> => {
      proxy.setRandomFaults({ seed: 20240609, probability: { flipBit: 0.5 } });
      const pattern: string[] = [];
      for (let i = 0; i < 40; i++) {
        const got = (await master.transact(fc3(1, 0, 3))).bytes;
        const entry = proxy.replies().at(-1);
        if (entry?.faults.length) {
          expect(entry.source).toBe('random');
          expect(bitsDiffering(got, CLEAN_1)).toBe(1);
          pattern.push(JSON.stringify(entry.faults));
        } else {
          expect(got).toEqual(CLEAN_1);
          pattern.push('clean');
        }
      }
      return pattern;
    };
    const first = await run();
    const hit = first.filter((p) => p !== 'clean').length;
    expect(hit).toBeGreaterThanOrEqual(12);
    expect(hit).toBeLessThanOrEqual(28);
    expect(await run()).toEqual(first);
  });

  it('random mode with a rule list and a factory: rates roughly as configured', async () => {
    const { proxy, master } = await rig();
    proxy.setRandomFaults({
      seed: 99,
      rules: [
        { p: 0.25, fault: { kind: 'drop' } },
        { p: 0.25, fault: ({ reply }) => ({ kind: 'junk', bytes: reply.subarray(0, 2) }) },
      ],
    });
    for (let i = 0; i < 40; i++) await master.transact(fc3(1, 0, 3), 120);
    const replies = proxy.replies().slice(1);
    expect(replies).toHaveLength(40);
    const drops = replies.filter((r) => r.faults.some((f) => f.kind === 'drop'));
    const junked = replies.filter((r) => r.faults.some((f) => f.kind === 'junk'));
    for (const n of [drops.length, junked.length]) {
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(17);
    }
    expect(drops.every((r) => r.sent === undefined)).toBe(true);
    expect(junked.filter((r) => r.sent).every((r) => r.sent?.equals(Buffer.concat([CLEAN_1.subarray(0, 2), CLEAN_1])))).toBe(true);
  });

  it('random delays: drawn within [min, max], honoured on the wire, countable past a timeout', async () => {
    const { proxy, master } = await rig();
    const timeoutMs = 60;
    // 30 % of replies late by timeout + U(0, 2 x timeout).
    proxy.setRandomFaults({ seed: 7, probability: { delay: 0.3 }, delayMs: [timeoutMs, 3 * timeoutMs] });
    for (let i = 0; i < 30; i++) {
      const { bytes, firstByteMs } = await master.transact(fc3(1, 0, 3), 1_000);
      expect(bytes).toEqual(CLEAN_1);
      const entry = proxy.replies().at(-1);
      if (entry && entry.delayMs > 0) expect(firstByteMs).toBeGreaterThanOrEqual(entry.delayMs - 1);
    }
    const delayed = proxy.replies().filter((r) => r.delayMs > 0);
    expect(delayed.length).toBeGreaterThanOrEqual(4);
    expect(delayed.length).toBeLessThanOrEqual(16);
    for (const r of delayed) {
      expect(r.delayMs).toBeGreaterThanOrEqual(timeoutMs);
      expect(r.delayMs).toBeLessThanOrEqual(3 * timeoutMs);
      expect((r.sentAt ?? 0) - r.at).toBeGreaterThanOrEqual(r.delayMs - 1);
    }
    expect(proxy.replies().filter((r) => r.delayMs > timeoutMs).length).toBe(delayed.length);
    expect(() => proxy.setRandomFaults({ seed: 1, probability: { delay: 0.1 } })).toThrow(/delayMs/);
    expect(() => proxy.setRandomFaults({ seed: 1, probability: { drop: 1.5 } })).toThrow(/probability/);
  });

  it('late replies due together go out one after the other, each whole, a gap apart', async () => {
    // A wide gap and a long hold, so that the two replies are due within half a gap of each other even when a loaded
    // machine makes the slave answer the second request late (73 ms after the first was seen once with a 100 ms gap).
    const gap = 300;
    const { proxy, master } = await rig({ interFrameGapMs: gap });
    proxy.faultNextReplies({ kind: 'delay', ms: 200 }, 2);
    master.take();
    master.port.write(fc3(1, 0, 3));
    await waitFor(() => proxy.replies().length === 2, 'first reply held');
    master.port.write(fc3(3, 0, 3));
    await waitFor(() => proxy.replies().length === 3 && proxy.pendingDelayed() === 0, 'both late replies written', 3_000);
    await new Promise((r) => setTimeout(r, 50));
    const [, a, b] = proxy.replies();
    if (!a?.sentAt || !b?.sentAt) throw new Error('not sent');
    expect(b.at - a.at).toBeLessThan(gap / 2);
    expect(master.take()).toEqual(Buffer.concat([CLEAN_1, CLEAN_3]));
    expect(b.sentAt - a.sentAt).toBeGreaterThanOrEqual(gap - 1);
  });

  it('delayUntilRequest: the reply is held until a request to the given unit starts, then goes out before its answer', async () => {
    const { proxy, master } = await rig();
    proxy.faultNextReplies({ kind: 'delayUntilRequest', unit: 1 });
    const held = await master.transact(fc3(1, 0, 3), 150);
    expect(held.bytes).toEqual(Buffer.alloc(0));
    // The slave's reply reaches the proxy when pymodbus gets to it (slow on a loaded machine): held there, not sent.
    await waitFor(() => proxy.pendingDelayed() === 1, 'the held reply at the proxy');
    expect(master.take()).toEqual(Buffer.alloc(0));
    // A request to another unit does not release it.
    expect((await master.transact(fc3(3, 0, 3), 1_000)).bytes).toEqual(CLEAN_3);
    expect(proxy.pendingDelayed()).toBe(1);
    // The next request to unit 1 gets the held (late) answer first, then its own.
    const both = await master.transact(fc3(1, 0, 3), 1_000, 60);
    expect(both.bytes).toEqual(Buffer.concat([CLEAN_1, CLEAN_1]));
    expect(proxy.pendingDelayed()).toBe(0);
    const late = proxy.replies()[1];
    expect(late?.faults).toEqual([{ kind: 'delayUntilRequest', unit: 1 }]);
    expect(late?.delayMs).toBeGreaterThanOrEqual(150);
    expect(late?.sentAt).toBeLessThan(proxy.replies()[3]?.sentAt ?? 0);
  });
});

describe('closing TCP gateway in front of a real pymodbus TCP slave', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(opts: { closeAfterEachReply?: boolean; idleCloseMs?: number }) {
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'tcp' } });
    cleanups.push(() => slave.stop());
    if (slave.host === undefined || slave.port === undefined) throw new Error('slave has no TCP address');
    const gateway = await startClosingTcpGateway({ target: { host: slave.host, port: slave.port }, ...opts });
    cleanups.push(() => gateway.close());
    return gateway;
  }

  async function client(port: number): Promise<{ c: ModbusClient; closed: Promise<void> }> {
    const c = new ModbusRTU();
    await c.connectTCP('127.0.0.1', { port });
    c.setID(1);
    c.setTimeout(1_000);
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => (c.isOpen ? c.close(() => resolve()) : resolve())));
    return { c, closed };
  }

  it('listens on 127.0.0.1 only', async () => {
    const gateway = await rig({});
    expect(gateway.host).toBe('127.0.0.1');
    expect(gateway.port).toBeGreaterThan(0);
  });

  it('gives one reply, then closes the connection', async () => {
    const gateway = await rig({ closeAfterEachReply: true });
    const first = await client(gateway.port);
    expect((await first.c.readHoldingRegisters(0, 3)).data).toEqual([1, 2, 3]);
    await first.closed;
    expect(first.c.isOpen).toBe(false);
    await expect(first.c.readHoldingRegisters(0, 3)).rejects.toThrow();

    const second = await client(gateway.port);
    second.c.setID(3);
    expect((await second.c.readHoldingRegisters(0, 3)).data).toEqual([30, 31, 32]);
    await second.closed;
    expect({ connections: gateway.connections(), requests: gateway.requests(), replies: gateway.replies() }).toEqual({
      connections: 2,
      requests: 2,
      replies: 2,
    });
    expect(gateway.closedByGateway()).toBe(2);
  });

  it('without closeAfterEachReply keeps the connection, and closes it once idle', async () => {
    const gateway = await rig({ closeAfterEachReply: false, idleCloseMs: 200 });
    const { c, closed } = await client(gateway.port);
    for (let i = 0; i < 3; i++) expect((await c.readHoldingRegisters(0, 3)).data).toEqual([1, 2, 3]);
    const quietSince = Date.now();
    expect(c.isOpen).toBe(true);
    await closed;
    expect(Date.now() - quietSince).toBeGreaterThanOrEqual(150);
    expect(gateway.connections()).toBe(1);
    expect(gateway.requests()).toBe(3);
    expect(gateway.closedByGateway()).toBe(1);
  });
});
