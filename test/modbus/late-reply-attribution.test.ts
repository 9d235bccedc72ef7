import { afterEach, describe, expect, it } from 'vitest';
import type { ReadRequest } from '../../drivers/modbus/types.js';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { startCorruptingPtyProxy, type CorruptingPtyProxy } from '../rigs/corrupting-pty-proxy.js';
import { holding, outcome, recordedBus, rtuConfig, waitFor, type RecordedBus } from './bus-fixtures.js';

// The exact case behind wire-never-lies failing under load, made deterministic with the proxy's
// `delayUntilRequest`: an answer that lands just past its late-reply window, while the next request to the same
// slave (same shape on the wire, other registers) is out. RTU has no transaction id, so only the guard's
// bookkeeping can keep it from being taken as that request's answer.

const TIMEOUT_MS = 300;
/** Short, so the next request to the slave goes out soon after its window ran out in silence. */
const LATE_REPLY_MS = 100;
const BAUD = 19200;

/** Same shape on the wire (unit 1, FC 3, two registers), other values: a reply taken for the wrong request shows. */
const A = { req: holding(1, 100, 2), values: [100, 101] };
const B = { req: holding(1, 110, 2), values: [1110, 1111] };
const C = { req: holding(1, 120, 2), values: [1120, 1121] };
const OTHER = { req: holding(2, 100, 2), values: [2100, 2101] };
const BLOCKS = [A, B, C, OTHER];

function slaveMap(): SlaveMap {
  const units: SlaveMap['units'] = {};
  for (const { req, values } of BLOCKS) ((units[String(req.slave)] ??= { holding: {} }).holding ??= {})[String(req.address)] = values;
  return { units };
}

/** The values of the block `req` asks for. */
function valuesOf(req: ReadRequest): number[] {
  const block = BLOCKS.find((b) => b.req.slave === req.slave && b.req.address === req.address);
  if (!block) throw new Error(`no block at ${req.slave}/${req.address}`);
  return block.values;
}

/** A read's outcome with how long it took. */
async function timed(p: Promise<number[]>): Promise<{ result: Awaited<ReturnType<typeof outcome>>; ms: number }> {
  const t0 = performance.now();
  const result = await outcome(p);
  return { result, ms: performance.now() - t0 };
}

describe('RTU: a late answer that lands past its window while the next request to its slave is out', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(lateReplyMs = LATE_REPLY_MS): Promise<RecordedBus & { proxy: CorruptingPtyProxy }> {
    const proxy = await startCorruptingPtyProxy({ seed: 3, onlyUnit: 1 });
    cleanups.push(() => proxy.close());
    const slave = await startPymodbusSlave({ map: slaveMap(), endpoint: { kind: 'rtu', path: proxy.slavePath, baud: BAUD } });
    cleanups.push(() => slave.stop());
    const recorded = recordedBus(
      rtuConfig({
        path: proxy.masterPath,
        baudRate: BAUD,
        timeoutMs: TIMEOUT_MS,
        lateReplyMs,
        retries: 0,
        breaker: { failureThreshold: 50, openMs: 500 },
      }),
    );
    cleanups.push(() => recorded.bus.stop());
    await recorded.bus.start();
    // The line works, and slave 1 is in good standing, before any fault.
    expect(await recorded.bus.read(A.req)).toEqual(A.values);
    return { proxy, ...recorded };
  }

  /** How many requests for `req` went on the wire. */
  function sentFor(proxy: CorruptingPtyProxy, req: ReadRequest): number {
    return proxy.wire.filter((f) => f.dir === 'request' && f.bytes[0] === req.slave && f.bytes.readUInt16BE(2) === req.address).length;
  }

  /** Every read either gives its own block's values or fails: none gives another block's values. */
  function expectNoWrongValue(results: { req: ReadRequest; result: Awaited<ReturnType<typeof outcome>> }[], why: string): void {
    for (const { req, result } of results) {
      if (Array.isArray(result)) expect(result, `${req.slave}/${req.address}: ${why}`).toEqual(valuesOf(req));
    }
  }

  it('the late answer arrives first, the request\'s own right after: neither is taken, the request is asked again', async () => {
    const r = await rig();
    // A's answer is held back until the next request to unit 1 starts: it lands past A's window, as B goes out.
    r.proxy.faultNextReplies({ kind: 'delayUntilRequest', unit: 1 });
    const [a, b] = await Promise.all([outcome(r.bus.read(A.req)), outcome(r.bus.read(B.req))]);
    const why = `errors ${JSON.stringify(r.errors)}; wire ${r.proxy.wire.length} frames`;
    expect(a, why).toEqual({ kind: 'timeout' });
    expect(r.proxy.replies().filter((f) => f.faults.length > 0 && f.sent !== undefined).length, why).toBe(1);
    expect(b, why).toEqual(B.values);
    // B's first answer was not believed: B went out again. Not a wire error, and nothing against the slave.
    expect(sentFor(r.proxy, B.req), why).toBe(2);
    expect(r.errors.map((e) => e.kind), why).toEqual(['timeout']);
    expect(r.bus.counters(), why).toMatchObject({ crcErrors: 0, timeouts: 1 });
    expect(r.breakers, why).toEqual([]);
  });

  it('the request\'s own answer arrives first, the late one within its timeout: no request is given the late one', async () => {
    const r = await rig();
    r.proxy.faultNextReplies({ kind: 'delayUntilRequest', unit: 1, afterMs: 100 });
    const reads = [A, B, C].map(({ req }) => ({ req, p: outcome(r.bus.read(req)) }));
    const results = await Promise.all(reads.map(async ({ req, p }) => ({ req, result: await p })));
    const why = `${JSON.stringify(results)}; errors ${JSON.stringify(r.errors)}`;
    expectNoWrongValue(results, why);
    expect(results[0]?.result, why).toEqual({ kind: 'timeout' });
    expect(results[1]?.result, why).toEqual(B.values);
    expect(results[2]?.result, why).toEqual(C.values);
  });

  it('the request\'s own answer is late as well (within its window): the late answer it got is not delivered as its value', async () => {
    const lateReplyMs = 300;
    const r = await rig(lateReplyMs);
    // A's answer lands as B goes out; B's own answer lands after B's deadline, halfway through B's window.
    r.proxy.faultNextReplies({ kind: 'delayUntilRequest', unit: 1 });
    r.proxy.faultNextReplies({ kind: 'delay', ms: TIMEOUT_MS + lateReplyMs / 2 });
    const reads = [A, B, C].map(({ req }) => ({ req, p: outcome(r.bus.read(req)) }));
    const results = await Promise.all(reads.map(async ({ req, p }) => ({ req, result: await p })));
    const why = `${JSON.stringify(results)}; errors ${JSON.stringify(r.errors)}`;
    expectNoWrongValue(results, why);
    expect(results.map((x) => x.result), why).toEqual([{ kind: 'timeout' }, B.values, C.values]);
    expect(r.proxy.pendingDelayed(), why).toBe(0);
  });

  it('a slave answering again after a silence: its first answer is re-asked after its window, the neighbour meanwhile polled at full speed', async () => {
    const r = await rig();
    r.proxy.faultNextReplies({ kind: 'drop' });
    expect(await outcome(r.bus.read(A.req))).toEqual({ kind: 'timeout' });
    // A's window runs out with nothing heard: slave 1 is unconfirmed.
    await new Promise((resolve) => setTimeout(resolve, LATE_REPLY_MS + 50));
    const b = timed(r.bus.read(B.req));
    await waitFor('B answered once', () => r.proxy.replies().filter((f) => f.bytes[0] === 1).length === 3);
    // Slave 1 is set aside until B's window has passed; slave 2 is asked at once, at full speed.
    const other = await timed(r.bus.read(OTHER.req));
    expect(other.result).toEqual(OTHER.values);
    expect(other.ms).toBeLessThan(TIMEOUT_MS / 2);
    const first = await b;
    const why = JSON.stringify({ first, other });
    expect(first.result, why).toEqual(B.values);
    expect(sentFor(r.proxy, B.req), why).toBe(2);
    expect(first.ms, why).toBeGreaterThanOrEqual(TIMEOUT_MS + LATE_REPLY_MS - 5);
    // Then slave 1 is trusted again: every answer taken at once.
    for (let i = 0; i < 5; i++) {
      const x = await timed(r.bus.read(C.req));
      expect(x.result, why).toEqual(C.values);
      expect(x.ms, why).toBeLessThan(TIMEOUT_MS / 2);
    }
    expect(sentFor(r.proxy, C.req), why).toBe(5);
    expect(r.bus.counters(), why).toMatchObject({ crcErrors: 0, timeouts: 1 });
  });
});
