import { afterEach, describe, expect, it } from 'vitest';
import type { ReadRequest } from '../../drivers/modbus/types.js';
import { startPymodbusSlave, type SlaveMap } from '../helpers/pymodbus.js';
import { startCorruptingPtyProxy, type CorruptingPtyProxy, type RandomFaults } from '../rigs/corrupting-pty-proxy.js';
import { holding, outcome, recordedBus, rtuConfig, type RecordedBus } from './bus-fixtures.js';

const TIMEOUT_MS = 300;
const BAUD = 19200;

/**
 * Every block a poll asks for has the same shape (unit 1 and 2, FC 3, two registers) and its own values, so a reply
 * taken for the wrong request shows as a wrong value, never as a length error.
 */
const BLOCKS: readonly { req: ReadRequest; values: number[] }[] = [
  { req: holding(1, 100, 2), values: [100, 101] },
  { req: holding(1, 110, 2), values: [0x4148, 0xf5c3] },
  { req: holding(1, 120, 2), values: [0, 120] },
  { req: holding(2, 100, 2), values: [2100, 2101] },
  { req: holding(2, 110, 2), values: [0xffff, 2110] },
];

function slaveMap(): SlaveMap {
  const units: SlaveMap['units'] = {};
  for (const { req, values } of BLOCKS) {
    const unit = (units[String(req.slave)] ??= { holding: {} });
    (unit.holding ??= {})[String(req.address)] = values;
  }
  return { units };
}

interface Tally {
  good: number;
  wrong: { req: ReadRequest; got: number[]; want: number[] }[];
  failed: Record<string, number>;
}

/** Polls every block, all queued at once like the daemon does, for `ms`; checks each answer against the slave's map. */
async function pollAndCheck(bus: RecordedBus['bus'], blocks: typeof BLOCKS, ms: number): Promise<Tally> {
  const tally: Tally = { good: 0, wrong: [], failed: {} };
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const results = await Promise.all(blocks.map((b) => outcome(bus.read(b.req))));
    results.forEach((r, i) => {
      const b = blocks[i];
      if (b === undefined) return;
      if (Array.isArray(r)) {
        if (JSON.stringify(r) === JSON.stringify(b.values)) tally.good++;
        else tally.wrong.push({ req: b.req, got: r, want: b.values });
      } else tally.failed[r.kind] = (tally.failed[r.kind] ?? 0) + 1;
    });
    // A poll cadence, so a bus that refuses at once (breaker open) is not spun on.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return tally;
}

describe('the wire never lies: RTU replies behind a line-fault injector, checked value by value', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(over: Record<string, unknown> = {}): Promise<RecordedBus & { proxy: CorruptingPtyProxy }> {
    const proxy = await startCorruptingPtyProxy({ seed: 9 });
    cleanups.push(() => proxy.close());
    const slave = await startPymodbusSlave({ map: slaveMap(), endpoint: { kind: 'rtu', path: proxy.slavePath, baud: BAUD } });
    cleanups.push(() => slave.stop());
    const recorded = recordedBus(
      rtuConfig({ path: proxy.masterPath, baudRate: BAUD, timeoutMs: TIMEOUT_MS, retries: 0, breaker: { failureThreshold: 50, openMs: 500 }, ...over }),
    );
    cleanups.push(() => recorded.bus.stop());
    await recorded.bus.start();
    return { proxy, ...recorded };
  }

  it('replies late by 0-2x the timeout past it, flipped bits, dropped bytes and junk: zero wrong values', async () => {
    const r = await rig();
    const faults: RandomFaults = {
      seed: 20261206,
      probability: { delay: 0.15, flipBit: 0.1, dropBytes: 0.05, junk: 0.1 },
      delayMs: [TIMEOUT_MS, 3 * TIMEOUT_MS],
    };
    r.proxy.setRandomFaults(faults);
    const tally = await pollAndCheck(r.bus, BLOCKS, 15_000);
    r.proxy.setRandomFaults(undefined);

    const replies = r.proxy.replies();
    const late = replies.filter((f) => f.delayMs >= TIMEOUT_MS);
    const why = `tally ${JSON.stringify(tally)}; ${replies.length} replies, ${late.length} late`;
    // The rig really did what it says, often enough to matter.
    expect(late.length, why).toBeGreaterThanOrEqual(10);
    expect(late.some((f) => f.delayMs >= 2 * TIMEOUT_MS), why).toBe(true);
    expect(replies.filter((f) => f.faults.some((x) => x.kind === 'junk')).length, why).toBeGreaterThanOrEqual(5);
    // Not one reply attributed to the wrong request, and the line kept working.
    expect(tally.wrong, why).toEqual([]);
    expect(tally.good, why).toBeGreaterThanOrEqual(100);
  });

  it('a slave seen answering later than its window gets a wider one, and is then never mis-attributed', async () => {
    // Window 100 ms after the 300 ms timeout; unit 1 answers 700 ms after the request, 300 ms past its window.
    const r = await rig({ lateReplyMs: 100 });
    r.proxy.setOnlyUnit(1);
    // First seen on an idle line (polls are spaced out in the daemon): no request waits, so it is drained and learnt from.
    r.proxy.faultNextReplies({ kind: 'delay', ms: 700 });
    expect(await outcome(r.bus.read(holding(1, 100, 2)))).toEqual({ kind: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 800));
    r.proxy.setRandomFaults({ seed: 7, probability: { delay: 0.3 }, delayMs: [700, 700] });
    const tally = await pollAndCheck(r.bus, BLOCKS, 8_000);
    r.proxy.setRandomFaults(undefined);
    const why = `tally ${JSON.stringify(tally)}`;
    expect(r.proxy.replies().filter((f) => f.delayMs >= 700).length, why).toBeGreaterThanOrEqual(4);
    expect(tally.wrong, why).toEqual([]);
    expect(tally.good, why).toBeGreaterThanOrEqual(20);
  });

  it('junk equal to the unit id and function code before a valid reply: the reply is found, no error at all', async () => {
    const r = await rig();
    r.proxy.faultNextReplies({ kind: 'junk', bytes: [1, 3] });
    expect(await r.bus.read(holding(1, 100, 2))).toEqual([100, 101]);
    r.proxy.faultNextReplies({ kind: 'junk', bytes: [1, 3, 4, 1, 3] });
    expect(await r.bus.read(holding(1, 110, 2))).toEqual([0x4148, 0xf5c3]);
    expect(r.bus.counters()).toMatchObject({ crcErrors: 0, timeouts: 0, responses: 2 });
    expect(r.errors).toEqual([]);
  });

  it('one flipped bit in half of a slave\'s replies: at least half its polls give good values, its breaker stays closed', async () => {
    const r = await rig({ breaker: { failureThreshold: 3, openMs: 5_000 } });
    r.proxy.setOnlyUnit(1);
    r.proxy.setRandomFaults({ seed: 50, probability: { flipBit: 0.5 } });
    const blocks = BLOCKS.filter((b) => b.req.slave === 1);
    const tally = await pollAndCheck(r.bus, blocks, 6_000);
    r.proxy.setRandomFaults(undefined);
    const polls = tally.good + tally.wrong.length + Object.values(tally.failed).reduce((a, b) => a + b, 0);
    const why = `tally ${JSON.stringify(tally)} of ${polls} polls; breakers ${JSON.stringify(r.breakers)}`;
    expect(r.proxy.replies().filter((f) => f.faults.some((x) => x.kind === 'flipBit')).length, why).toBeGreaterThanOrEqual(20);
    expect(tally.wrong, why).toEqual([]);
    expect(tally.good / polls, why).toBeGreaterThanOrEqual(0.5);
    expect(r.breakers.filter((b) => b.slave === 1 && b.state === 'open'), why).toEqual([]);
  });
});
