import { SerialPort } from 'serialport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bitsPerChar, rtuLineLimit, startPacedLine, type PacedLine } from '../../drivers/modbus/sim/paced-line.js';
import { buildReadRequest, crcOk, withCrc } from '../../drivers/modbus/rtu-frame.js';
import { RtuSlaveSim } from '../../drivers/modbus/sim/rtu-slave-sim.js';

const readRequestFrame = (slave: number, functionCode: 3 | 4, address: number, count: number): Buffer =>
  buildReadRequest({ slave, functionCode, address, count });
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { linkExists } from '../helpers/wait-for.js';

const UNITS = { '1': { holding: { '0': [11, 22, 33], '100': [7] }, input: { '5': [0x1234, 0xfffe] } } };
const CHAR_MS_9600 = 10 / 9.6;

describe('line arithmetic', () => {
  it('counts start, data, parity and stop bits, and two 3.5-character silences per transaction', () => {
    expect(bitsPerChar({ baudRate: 9600 })).toBe(10);
    expect(bitsPerChar({ baudRate: 9600, parity: 'even' })).toBe(11);
    expect(bitsPerChar({ baudRate: 9600, stopBits: 2 })).toBe(11);
    const one = rtuLineLimit({ baudRate: 9600 }, 8, 7);
    expect(one.chars).toBe(22);
    expect(one.transactionMs).toBeCloseTo(22.917, 3);
    expect(one.perSecond).toBeCloseTo(43.64, 2);
  });
});

describe('simulated RTU slave (wire times given, no clock)', () => {
  const c = 1e9 / 960; // ns per character at 9600 8N1
  const slave = (strictSilence = false) => new RtuSlaveSim({ units: UNITS, charNs: c, strictSilence });

  it('answers FC3 and FC4 with the registers, 3.5 characters after the request', () => {
    const s = slave();
    const [r3] = s.receive(readRequestFrame(1, 3, 0, 3), 0);
    expect(r3?.bytes).toEqual(withCrc([1, 3, 6, 0, 11, 0, 22, 0, 33]));
    expect(r3?.notBeforeNs).toBeCloseTo(11.5 * c, 0);
    const [r4] = s.receive(readRequestFrame(1, 4, 5, 2), 100 * c);
    expect(r4?.bytes).toEqual(withCrc([1, 4, 4, 0x12, 0x34, 0xff, 0xfe]));
    expect(crcOk(r4!.bytes)).toBe(true);
  });

  it('answers exception 2 for registers it does not have, 3 for a bad count, 1 for other functions', () => {
    const s = slave();
    expect(s.receive(readRequestFrame(1, 3, 2, 2), 0)[0]?.bytes).toEqual(withCrc([1, 0x83, 2]));
    expect(s.receive(readRequestFrame(1, 4, 0, 1), 100 * c)[0]?.bytes).toEqual(withCrc([1, 0x84, 2]));
    expect(s.receive(readRequestFrame(1, 3, 0, 126), 200 * c)[0]?.bytes).toEqual(withCrc([1, 0x83, 3]));
    expect(s.receive(withCrc([1, 6, 0, 0, 0, 1]), 300 * c)[0]?.bytes).toEqual(withCrc([1, 0x86, 1]));
    // A function of unknown length ends at 3.5 characters of silence.
    expect(s.receive(withCrc([1, 0x41, 9]), 400 * c)).toEqual([]);
    expect(s.pendingBytes).toBe(5);
    expect(s.silenceAtNs).toBeCloseTo(408.5 * c, 0);
    expect(s.silence()?.bytes).toEqual(withCrc([1, 0xc1, 1]));
    expect(s.stats()).toMatchObject({ requests: 5, replies: 0, exceptions: 5 });
  });

  it('is silent for units it does not have, broadcasts, bad CRCs and frames broken by a gap', () => {
    const s = slave();
    expect(s.receive(readRequestFrame(2, 3, 0, 1), 0)).toEqual([]);
    expect(s.receive(readRequestFrame(0, 3, 0, 1), 100 * c)).toEqual([]);
    const bad = readRequestFrame(1, 3, 0, 1);
    bad[7] = bad[7]! ^ 0xff;
    expect(s.receive(bad, 200 * c)).toEqual([]);
    const good = readRequestFrame(1, 3, 0, 1);
    expect(s.receive(good.subarray(0, 4), 300 * c)).toEqual([]);
    expect(s.receive(good.subarray(4), 306 * c)).toEqual([]); // 2 characters of silence inside the frame
    expect(s.stats()).toMatchObject({ requests: 2, ignored: 2, crcErrors: 1, brokenFrames: 1, replies: 0 });
    // The line still works afterwards.
    expect(s.receive(good, 400 * c)[0]?.bytes).toEqual(withCrc([1, 3, 2, 0, 11]));
  });

  it('with strictSilence loses a request that starts within 3.5 characters of its reply, and counts it otherwise', () => {
    for (const strict of [true, false]) {
      const s = slave(strict);
      const [reply] = s.receive(readRequestFrame(1, 3, 0, 1), 0);
      const end = reply!.notBeforeNs + reply!.bytes.length * c;
      s.transmitted(end);
      const early = s.receive(readRequestFrame(1, 3, 100, 1), end + 1 * c);
      if (strict) {
        expect(early).toEqual([]);
        expect(s.stats()).toMatchObject({ lostChars: 8, requests: 1 });
      } else {
        expect(early[0]?.bytes).toEqual(withCrc([1, 3, 2, 0, 7]));
        expect(s.stats()).toMatchObject({ earlyRequests: 1, requests: 2 });
      }
      expect(s.receive(readRequestFrame(1, 3, 100, 1), end + 100 * c)[0]?.bytes).toEqual(withCrc([1, 3, 2, 0, 7]));
    }
  });
});

interface OpenPort {
  readonly port: SerialPort;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves with the time (performance.now) at which at least `n` bytes had been received in all. */
  bytes(n: number, timeoutMs?: number): Promise<number>;
  clear(): void;
  close(): Promise<void>;
}

async function openPort(path: string): Promise<OpenPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let rx = Buffer.alloc(0);
  const waiters: { n: number; resolve: (at: number) => void }[] = [];
  port.on('data', (d: Buffer) => {
    rx = Buffer.concat([rx, d]);
    const at = performance.now();
    for (const w of waiters.splice(0)) {
      if (rx.length >= w.n) w.resolve(at);
      else waiters.push(w);
    }
  });
  return {
    port,
    received: () => rx,
    clear: () => {
      rx = Buffer.alloc(0);
    },
    bytes: (n, timeoutMs = 5_000) =>
      new Promise<number>((resolve, reject) => {
        if (rx.length >= n) return resolve(performance.now());
        const timer = setTimeout(() => reject(new Error(`only ${rx.length} of ${n} bytes within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
      }),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

describe('paced line process (socat ptys)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  beforeAll(async () => {
    // The line runs its own process from dist/.
    await ensureDistBuilt();
  }, 180_000);

  async function line(opts: Parameters<typeof startPacedLine>[0]): Promise<PacedLine> {
    const l = await startPacedLine(opts);
    cleanups.push(() => l.close());
    return l;
  }

  async function port(path: string): Promise<OpenPort> {
    const p = await openPort(path);
    cleanups.push(() => p.close());
    return p;
  }

  it('carries requests to the simulated slave and its answers back', async () => {
    const l = await line({ baudRate: 9600, slave: { units: UNITS } });
    const m = await port(l.masterPath);
    const ask = async (frame: Buffer, replyBytes: number): Promise<{ reply: Buffer; ms: number }> => {
      m.clear();
      const t0 = performance.now();
      m.port.write(frame);
      const at = await m.bytes(replyBytes);
      return { reply: m.received(), ms: at - t0 };
    };

    const r3 = await ask(readRequestFrame(1, 3, 0, 3), 11);
    expect(r3.reply).toEqual(withCrc([1, 3, 6, 0, 11, 0, 22, 0, 33]));
    // Request, the slave's 3.5-character silence and the reply are all on the wire: a lower bound only.
    expect(r3.ms).toBeGreaterThanOrEqual((8 + 3.5 + 11) * CHAR_MS_9600 - 0.05);
    expect((await ask(readRequestFrame(1, 4, 5, 2), 9)).reply).toEqual(withCrc([1, 4, 4, 0x12, 0x34, 0xff, 0xfe]));
    expect((await ask(readRequestFrame(1, 3, 50, 1), 5)).reply).toEqual(withCrc([1, 0x83, 2]));

    await l.setRegisters(1, 'holding', 50, [500]);
    expect((await ask(readRequestFrame(1, 3, 50, 1), 7)).reply).toEqual(withCrc([1, 3, 2, 0x01, 0xf4]));

    // An absent unit says nothing (its answer would take 20 ms on this line).
    m.clear();
    m.port.write(readRequestFrame(9, 3, 0, 1));
    await new Promise((r) => setTimeout(r, 300));
    expect(m.received().length).toBe(0);

    const stats = await l.stats();
    expect(stats.slave).toMatchObject({ requests: 5, replies: 3, exceptions: 1, ignored: 1, crcErrors: 0 });
    expect(stats.masterToSlave.bytes).toBe(40);
    // This test sends each request as soon as the answer is in, without the 3.5-character silence: counted, and
    // (the slave is not strict) answered anyway. It never talks over the slave.
    expect(stats.slave?.earlyRequests).toBe(stats.earlyFrames);
    expect(stats.collisions).toBe(0);
  });

  it('holds a 100-byte chunk for at least its wire time in each direction', async () => {
    const l = await line({ baudRate: 9600, slave: 'pty' });
    expect(l.slavePath).toBeDefined();
    const m = await port(l.masterPath);
    const s = await port(l.slavePath!);
    const wireMs = 100 * CHAR_MS_9600;
    const chunk = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff));

    let t0 = performance.now();
    m.port.write(chunk);
    let at = await s.bytes(100);
    expect(at - t0).toBeGreaterThanOrEqual(wireMs - 0.05);
    expect(s.received()).toEqual(chunk);

    t0 = performance.now();
    s.port.write(chunk);
    at = await m.bytes(100);
    expect(at - t0).toBeGreaterThanOrEqual(wireMs - 0.05);
    expect(m.received()).toEqual(chunk);

    const stats = await l.stats();
    expect(stats.masterToSlave.bytes).toBe(100);
    expect(stats.slaveToMaster.bytes).toBe(100);
    expect(stats.slave).toBeUndefined();
  });

  it('removes its ptys when closed', async () => {
    const l = await startPacedLine({ baudRate: 19200, slave: { units: {} } });
    expect(linkExists(l.masterPath)).toBe(true);
    await l.close();
    expect(l.alive()).toBe(false);
    expect(linkExists(l.masterPath)).toBe(false);
    await l.close();
  });
});
