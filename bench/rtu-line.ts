// RTU transactions per second through the daemon's bus on a paced 9600-baud 8N1 pty line (drivers/modbus/sim),
// against the line's own limit for the same frames: request + reply + two 3.5-character silences. Also measured in
// the same run: a bare serialport loop that leaves exactly the 3.5-character silence (timed by spinning), i.e. the
// best any master can do through this rig.
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { createModbusBus } from '../drivers/modbus/index.js';
import { rtuLineLimit, startPacedLine, type PacedLine, type PacedLineStats, type SerialFraming } from '../drivers/modbus/sim/paced-line.js';
import { buildReadRequest, REQUEST_BYTES, replyBytes } from '../drivers/modbus/rtu-frame.js';
import { rtuBusSchema } from '../node-daemon/config/schema.js';
import { silentLogger } from '../node-daemon/core/log.js';
import type { BenchResult } from './result.js';

const FRAMING: SerialFraming = { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 };
const UNIT = 1;
const REGISTERS = 200;
/** Seconds of each measured run; FENGHUO_BENCH_RTU_S shortens or lengthens it. */
const RUN_S = Number(process.env.FENGHUO_BENCH_RTU_S ?? 5) || 5;
const WARMUP = 20;

type Bus = ReturnType<typeof createModbusBus>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function limitFor(count: number): number {
  return rtuLineLimit(FRAMING, REQUEST_BYTES, replyBytes(count)).perSecond;
}

/**
 * The rig's own ceiling: write a request, wait for the whole reply, spin until 3.5 characters after it arrived,
 * write the next. Whatever this loses against the line limit is the pty hops and the line's own timing.
 */
async function bareLoop(path: string, charMs: number, count: number, seconds: number): Promise<number> {
  const port = new SerialPort({ path, baudRate: FRAMING.baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const want = replyBytes(count);
  const frame = buildReadRequest({ slave: UNIT, functionCode: 3, address: 0, count });
  let got = 0;
  let waiting: ((at: number) => void) | undefined;
  port.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= want && waiting) {
      const w = waiting;
      waiting = undefined;
      w(performance.now());
    }
  });
  const once = (): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      got = 0;
      const timer = setTimeout(() => reject(new Error('bare loop: no reply within 500 ms')), 500);
      waiting = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
      port.write(frame);
    });
  const gapMs = 3.5 * charMs;
  try {
    let n = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let last = t0;
    while (last < end) {
      const replyAt = await once();
      n++;
      // The inter-frame silence, timed by spinning (this loop owns the process meanwhile).
      while (performance.now() < replyAt + gapMs);
      last = performance.now();
    }
    return n / ((last - t0) / 1000);
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

interface BusRun {
  readonly perSecond: number;
  /** Reads that failed, by error kind (reads cut off by the deadline count as `closed`). */
  readonly failures: Record<string, number>;
}

/**
 * Queues `n` reads at once, as the daemon queues its polls, and lets the bus serialise them. A bus that loses
 * requests (timeouts) would take far longer than the run is meant to: it is stopped at `deadlineMs`.
 */
async function busRun(bus: Bus, count: number, n: number, deadlineMs: number): Promise<BusRun> {
  let ok = 0;
  const failures: Record<string, number> = {};
  const t0 = performance.now();
  const reads = Array.from({ length: n }, (_, i) =>
    bus.read({ slave: UNIT, functionCode: 3, address: (i * count) % (REGISTERS - count), count, priority: i % 2 }).then(
      () => void ok++,
      (err: unknown) => {
        const kind = String((err as { kind?: unknown }).kind ?? 'other');
        failures[kind] = (failures[kind] ?? 0) + 1;
      },
    ),
  );
  const deadline = setTimeout(() => void bus.stop(), deadlineMs);
  await Promise.all(reads);
  clearTimeout(deadline);
  return { perSecond: ok / ((performance.now() - t0) / 1000), failures };
}

interface Measured {
  readonly count: number;
  readonly limit: number;
  readonly bus: number;
  readonly bare: number;
  readonly failures: Record<string, number>;
  readonly line: PacedLineStats;
}

async function measure(line: PacedLine, bus: () => Promise<Bus>, count: number): Promise<Measured> {
  const limit = limitFor(count);
  const b = await bus();
  await busRun(b, count, WARMUP, 2 * RUN_S * 1000);
  await line.resetStats();
  const run = await busRun(b, count, Math.round(limit * RUN_S), 2 * RUN_S * 1000);
  const stats = await line.stats();
  await b.stop();
  await sleep(50);
  const bare = await bareLoop(line.masterPath, line.charMs, count, RUN_S);
  return { count, limit, bus: run.perSecond, bare, failures: run.failures, line: stats };
}

const f2 = (x: number): string => x.toFixed(2);

export async function benchRtuLine(): Promise<BenchResult> {
  const block = Array.from({ length: REGISTERS }, (_, i) => i);
  // strictSilence: like the Modbus serial-line state machine, the slave is deaf until 3.5 characters after its own
  // reply, so a request sent sooner is lost and no master can beat the line limit by skipping the silence.
  const line = await startPacedLine({ ...FRAMING, slave: { units: { [UNIT]: { holding: { '0': block } } }, strictSilence: true } });
  try {
    const config = rtuBusSchema.parse({ id: 'bench-rtu', type: 'rtu', path: line.masterPath, baudRate: 9600, timeoutMs: 500, retries: 0 });
    const newBus = async (): Promise<Bus> => {
      const bus = createModbusBus(config, { logger: silentLogger() });
      await bus.start();
      return bus;
    };
    // Warm the rig (JIT in both processes) before anything is measured.
    await bareLoop(line.masterPath, line.charMs, 1, 0.5);
    const one = await measure(line, newBus, 1);
    const ten = await measure(line, newBus, 10);

    const gapMs = 3.5 * line.charMs;
    const t = one.line.turnaround;
    const d = one.line.delivery;
    const failures = (m: Measured): string =>
      Object.entries(m.failures)
        .map(([kind, n]) => `${n} ${kind === 'closed' ? 'cut off at the deadline' : kind}`)
        .join(', ');
    const note = [
      `10 registers: ${f2(ten.bus)} of ${f2(ten.limit)} tx/s = ${f2(ten.bus / ten.limit)}`,
      `rig (bare serialport loop leaving exactly 3.5 chars): 1 reg ${f2(one.bare)} tx/s = ${f2(one.bare / one.limit)}, ` +
        `10 regs ${f2(ten.bare)} tx/s = ${f2(ten.bare / ten.limit)}; bus / rig = ${f2(one.bus / one.bare)}`,
      `bus turnaround, reply end -> next request on the wire (incl. two pty hops): p50 ${f2(t.p50Ms)} ms, p95 ${f2(t.p95Ms)} ms, ` +
        `min ${f2(t.minMs)} ms (the silence is ${f2(gapMs)} ms); ${one.line.earlyFrames} of ${one.line.masterToSlave.frames} requests started inside it`,
      `line deliveries late by mean ${d.meanUs.toFixed(0)} us, max ${d.maxUs.toFixed(0)} us (${d.over100Us} over 100 us)`,
      ...(failures(one) ? [`1-register reads failed: ${failures(one)}`] : []),
      ...(failures(ten) ? [`10-register reads failed: ${failures(ten)}`] : []),
    ].join('\n  ');
    return {
      name: 'RTU transactions/s on a paced 9600-baud line vs the line limit',
      ours: one.bus,
      peer: one.limit,
      ratio: one.bus / one.limit,
      unit: 'tx/s',
      aim: '>= 0.95',
      note,
    };
  } finally {
    await line.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchRtuLine()));
}
