import { afterEach, describe, expect, it } from 'vitest';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { startCorruptingPtyProxy, type CorruptingPtyProxy, type ReplyFault } from '../rigs/corrupting-pty-proxy.js';
import { holding, input, outcome, recordedBus, rtuConfig, waitFor, type RecordedBus } from './bus-fixtures.js';

const MAP: SlaveMap = {
  units: {
    '1': { holding: { '0': [1, 2, 3], '100': [7, 8, 9] }, input: { '0': [5] } },
    '3': { holding: { '0': [30, 31, 32] } },
  },
};

describe('RTU bus behind a proxy that damages replies', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(over: Record<string, unknown> = {}) {
    const proxy = await startCorruptingPtyProxy();
    cleanups.push(() => proxy.close());
    const slave = await startPymodbusSlave({ map: MAP, endpoint: { kind: 'rtu', path: proxy.slavePath, baud: 19200 } });
    cleanups.push(() => slave.stop());
    const recorded = recordedBus(
      rtuConfig({ path: proxy.masterPath, timeoutMs: 250, retries: 0, breaker: { failureThreshold: 10 }, ...over }),
    );
    cleanups.push(() => recorded.bus.stop());
    await recorded.bus.start();
    // The line works before any fault.
    expect(await recorded.bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);
    return { proxy, ...recorded };
  }

  async function faultThenRecover(r: RecordedBus & { proxy: CorruptingPtyProxy }, fault: ReplyFault) {
    r.proxy.faultNextReplies(fault);
    const damaged = await outcome(r.bus.read(holding(1, 0, 3)));
    // Nothing stale may leak into the next polls.
    expect(await r.bus.read(holding(1, 100, 3))).toEqual([7, 8, 9]);
    expect(await r.bus.read(holding(3, 0, 3))).toEqual([30, 31, 32]);
    return damaged;
  }

  it.each<[string, ReplyFault]>([
    ['a flipped data byte', { kind: 'flip', at: 4 }],
    ['a flipped CRC byte', { kind: 'flip', at: -1, mask: 0x01 }],
    ['a truncated reply', { kind: 'truncate', keep: 5 }],
    ['a garbled unit id', { kind: 'flip', at: 0, mask: 0x40 }],
  ])('%s is a crc error, counted and reported, asked again at once, and the breaker left alone', async (_name, fault) => {
    // One failure would open the breaker, and the timeout is long: only an immediate CRC retry gives the values quickly.
    const r = await rig({ timeoutMs: 3_000, breaker: { failureThreshold: 1 } });
    const t0 = Date.now();
    expect(await faultThenRecover(r, fault)).toEqual([1, 2, 3]);
    expect(Date.now() - t0, 'judged by the silence after the frame, not by the timeout').toBeLessThan(1_500);
    expect(r.bus.counters()).toMatchObject({ crcErrors: 1, timeouts: 0, portErrors: 0 });
    expect(r.errors.map((e) => [e.slave, e.kind])).toEqual([[1, 'crc']]);
    expect(r.breakers).toEqual([]);
    expect(r.statuses.at(-1)?.state).toBe('open');
  });

  it('a slave whose every reply is damaged fails with crc after the bounded retries, its breaker still closed', async () => {
    const r = await rig({ breaker: { failureThreshold: 1 } });
    r.proxy.faultNextReplies({ kind: 'flip', at: 3 }, 3);
    expect(await outcome(r.bus.read(holding(1, 0, 3)))).toEqual({ kind: 'crc' });
    expect(r.bus.counters().crcErrors).toBe(3);
    expect(r.bus.breakerState(1)).toBe('closed');
    expect(await r.bus.read(holding(1, 100, 3))).toEqual([7, 8, 9]);
  });

  it('a swallowed reply is a timeout', async () => {
    const r = await rig();
    expect(await faultThenRecover(r, { kind: 'drop' })).toEqual({ kind: 'timeout' });
    expect(r.bus.counters()).toMatchObject({ crcErrors: 0, timeouts: 1 });
  });

  it('a reply arriving after the timeout is never taken as the answer to a later request', async () => {
    const r = await rig();
    // Late while the bus is recovering from the timeout.
    r.proxy.faultNextReplies({ kind: 'delay', ms: 320 });
    expect(await outcome(r.bus.read(holding(1, 0, 3)))).toEqual({ kind: 'timeout' });
    expect(await r.bus.read(holding(1, 100, 3))).toEqual([7, 8, 9]);

    // Late after the bus has moved on: it lands on an idle line, between transactions.
    r.proxy.faultNextReplies({ kind: 'delay', ms: 700 });
    expect(await outcome(r.bus.read(holding(1, 0, 3)))).toEqual({ kind: 'timeout' });
    expect(await r.bus.read(holding(1, 100, 3))).toEqual([7, 8, 9]);
    await waitFor('late reply delivered', () => r.proxy.pendingDelayed() === 0);
    // The bytes still cross socat to reach the bus; one that lands after the next request is written is a reply
    // later than any RTU master can tell apart (no transaction id), so let it land first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await r.bus.read(holding(1, 100, 3))).toEqual([7, 8, 9]);
    expect(await r.bus.read(input(1, 0, 1))).toEqual([5]);
    expect(r.bus.counters()).toMatchObject({ timeouts: 2, crcErrors: 0 });
  });

  it('a damaged reply is retried and the caller gets the good values', async () => {
    const r = await rig({ retries: 2, retryBackoffMs: 20 });
    r.proxy.faultNextReplies({ kind: 'flip', at: 3 }, 2);
    expect(await r.bus.read(holding(1, 0, 3))).toEqual([1, 2, 3]);
    expect(r.bus.counters().crcErrors).toBe(2);
  });

  it('puts one request on the wire at a time: every request is answered before the next is sent', async () => {
    const r = await rig();
    const reads = [holding(1, 0, 3, 2), holding(3, 0, 1, 0), input(1, 0, 1, 1), holding(1, 100, 2, 0), holding(3, 1, 2, 5)];
    const results = await Promise.all(reads.map((q) => r.bus.read(q)));
    expect(results).toEqual([[1, 2, 3], [30], [5], [7, 8], [31, 32]]);
    const dirs = r.proxy.wire.map((f) => f.dir);
    expect(dirs).toEqual(Array.from({ length: dirs.length }, (_, i) => (i % 2 === 0 ? 'request' : 'reply')));
    expect(dirs.length).toBe(2 * (1 + reads.length));
  });
});
