import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RtuSlaveStats, SimRegisterTable, SimUnitMap } from './rtu-slave-sim.js';

/**
 * A simulated RS-485 line at a given baud, for benchmarks and driver tests: the master's end is a pty (made by
 * socat) that a bus opens like /dev/ttyUSB0; behind it bytes move at wire speed to a simulated Modbus RTU slave
 * (rtu-slave-sim.ts) or, with `slave: 'pty'`, to a second pty for an outside slave (pymodbus, a test's own
 * serialport). The line runs in its own Node process (paced-line-child.ts) so that the caller's event loop cannot
 * make it late, and it times each delivery with a setTimeout for the bulk and a spin on process.hrtime for the
 * last 2 ms, so deliveries land within a few microseconds of their wire time on an idle machine (`stats().delivery`
 * says how late they really were).
 *
 * Wire model, per direction: a chunk starts on the wire when it is handed to the line, or when the previous chunk
 * in that direction has finished if it is still on the wire; it takes bytes × bits-per-character / baud; it is
 * handed to the far end (written to its pty, or to the simulated slave) when its last character has finished. The
 * simulated slave answers 3.5 characters after a request's last character, so one transaction costs at least
 * request + reply + 2 × 3.5 characters: `rtuLineLimit()`.
 */

export type Parity = 'none' | 'even' | 'odd';

export interface SerialFraming {
  readonly baudRate: number;
  readonly parity?: Parity;
  readonly dataBits?: 7 | 8;
  readonly stopBits?: 1 | 2;
}

/** Bits on the wire per character: start + data + parity + stop (10 at 8N1, 11 at 8E1). */
export function bitsPerChar(f: SerialFraming): number {
  return 1 + (f.dataBits ?? 8) + ((f.parity ?? 'none') === 'none' ? 0 : 1) + (f.stopBits ?? 1);
}

/** Wire time of one character, in ns. */
export function charNs(f: SerialFraming): number {
  return (bitsPerChar(f) * 1e9) / f.baudRate;
}

export interface LineLimit {
  /** Characters one transaction occupies: request + reply + two 3.5-character silences. */
  readonly chars: number;
  readonly transactionMs: number;
  /** The most transactions per second the line can carry. */
  readonly perSecond: number;
}

/** The physical ceiling of request/reply transactions of the given sizes on a line. */
export function rtuLineLimit(f: SerialFraming, requestBytes: number, replyBytes: number): LineLimit {
  const chars = requestBytes + replyBytes + 2 * 3.5;
  const transactionMs = (chars * charNs(f)) / 1e6;
  return { chars, transactionMs, perSecond: 1000 / transactionMs };
}

/** One direction of the line: when a chunk of n characters handed over at `atNs` is on the wire. */
export class PacedWire {
  /** End of the last character put on this wire. */
  freeAtNs = -Infinity;

  constructor(readonly charNs: number) {}

  place(n: number, atNs: number): { startNs: number; endNs: number } {
    const startNs = Math.max(atNs, this.freeAtNs);
    const endNs = startNs + n * this.charNs;
    this.freeAtNs = endNs;
    return { startNs, endNs };
  }
}

/**
 * Runs callbacks at precise times of a ns clock: a setTimeout (late by up to ~1 ms, more on a busy machine) until
 * `spinNs` before the time, then setImmediate turns (the event loop keeps reading input meanwhile), then a tight
 * loop on the clock for the last `busyNs`. Each callback gets how late it ran, in ns.
 */
export class PreciseScheduler {
  private readonly events: { at: number; seq: number; run: (lateNs: number) => void }[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private spinning = false;
  private readonly spinNs: number;
  private readonly busyNs: number;

  constructor(
    private readonly now: () => number,
    opts: { spinNs?: number; busyNs?: number } = {},
  ) {
    this.spinNs = opts.spinNs ?? 2e6;
    this.busyNs = opts.busyNs ?? 50e3;
  }

  at(atNs: number, run: (lateNs: number) => void): void {
    const ev = { at: atNs, seq: this.seq++, run };
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.at > atNs) i--;
    this.events.splice(i, 0, ev);
    this.arm();
  }

  get pending(): number {
    return this.events.length;
  }

  private arm(): void {
    if (this.spinning) return;
    const next = this.events[0];
    if (!next) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    const lead = next.at - this.now();
    if (lead <= this.spinNs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      this.spinning = true;
      setImmediate(this.spin);
      return;
    }
    const fireAt = next.at - this.spinNs;
    if (this.timer && this.timerAt <= fireAt) return;
    clearTimeout(this.timer);
    this.timerAt = fireAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.arm();
    }, Math.floor((lead - this.spinNs) / 1e6));
  }

  private readonly spin = (): void => {
    for (;;) {
      const next = this.events[0];
      if (!next) break;
      let t = this.now();
      const lead = next.at - t;
      if (lead > this.spinNs) break;
      if (lead > this.busyNs) {
        setImmediate(this.spin);
        return;
      }
      while (t < next.at) t = this.now();
      this.events.shift();
      next.run(t - next.at);
    }
    this.spinning = false;
    this.arm();
  };
}

// ---- the line as a process ----

export interface PacedLineOptions extends SerialFraming {
  /**
   * The far end. Default: a simulated slave with these units. 'pty': a second pty (`slavePath`) for an outside
   * slave, paced the same way in the other direction.
   */
  readonly slave?: { readonly units: SimUnitMap; readonly strictSilence?: boolean } | 'pty';
  /** Directory for the pty links `master` (and `slave`); default a new temp dir, removed by close(). */
  readonly dir?: string;
  /**
   * Hand a long chunk over in pieces of at most this many bytes, each when its last character has finished
   * (as a UART with a FIFO would). Default: the whole chunk when its last character has finished.
   */
  readonly maxDeliveryBytes?: number;
  /** Default 10 000 ms. */
  readonly readyTimeoutMs?: number;
}

/** Summary of a set of durations, in ms. */
export interface DurationSummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface WireStats {
  bytes: number;
  /** Chunks handed to the line in this direction. */
  chunks: number;
  /** Bursts separated by more than 1.5 characters of idle wire. */
  frames: number;
}

export interface PacedLineStats {
  readonly masterToSlave: WireStats;
  readonly slaveToMaster: WireStats;
  /** The simulated slave's counters; undefined with `slave: 'pty'`. */
  readonly slave?: RtuSlaveStats;
  /** How late deliveries to a pty were written, against their wire time. */
  readonly delivery: { count: number; meanUs: number; maxUs: number; over100Us: number };
  /**
   * From the end of a slave frame on the wire (when it was written to the master's pty) to the start of the next
   * master frame (when the line read it from the pty): the master's turnaround plus the rig's two pty hops.
   */
  readonly turnaround: DurationSummary;
  /** Master frames that started less than 3.5 characters after the previous frame on the line ended. */
  readonly earlyFrames: number;
  /** Frames that overlapped a frame in the other direction (on half-duplex RS-485 both would be garbled). */
  readonly collisions: number;
}

export interface PacedLine {
  /** The pty a bus opens (a symlink to /dev/pts/N). */
  readonly masterPath: string;
  /** With `slave: 'pty'`: the pty an outside slave opens. */
  readonly slavePath: string | undefined;
  readonly bitsPerChar: number;
  /** Wire time of one character, in ms. */
  readonly charMs: number;
  /** Process id of the line's process. */
  readonly pid: number;
  alive(): boolean;
  stats(): Promise<PacedLineStats>;
  resetStats(): Promise<void>;
  /** Simulated slave only: replaces every unit. */
  setUnits(units: SimUnitMap): Promise<void>;
  /** Simulated slave only: writes consecutive registers of a unit (creating the unit if needed). */
  setRegisters(unit: number, table: SimRegisterTable, address: number, values: readonly number[]): Promise<void>;
  /** Simulated slave only: the unit stops answering. */
  removeUnit(unit: number): Promise<void>;
  /** Stops the line (the ptys vanish) and removes the temp dir it made. Idempotent. */
  close(): Promise<void>;
}

/** What the child is started with (argv[2], JSON). */
export interface PacedLineChildConfig {
  readonly baudRate: number;
  readonly parity: Parity;
  readonly dataBits: 7 | 8;
  readonly stopBits: 1 | 2;
  readonly masterLink: string;
  readonly slaveLink?: string;
  readonly slave?: { readonly units: SimUnitMap; readonly strictSilence?: boolean };
  readonly maxDeliveryBytes?: number;
}

export type PacedLineRequest =
  | { id: number; op: 'stats' }
  | { id: number; op: 'resetStats' }
  | { id: number; op: 'setUnits'; units: SimUnitMap }
  | { id: number; op: 'setRegisters'; unit: number; table: SimRegisterTable; address: number; values: number[] }
  | { id: number; op: 'removeUnit'; unit: number }
  | { id: number; op: 'close' };

export type PacedLineMessage =
  | { type: 'ready'; masterPath: string; slavePath?: string }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; ok: true; result?: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

/**
 * The compiled child script. Next to this file when running from dist/; when this file is TypeScript source
 * (vitest), the copy tsc put in dist/ (build first: `npm run build`, or ensureDistBuilt() in a test).
 */
export function pacedLineChildScript(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'paced-line-child.js');
  if (existsSync(sibling)) return sibling;
  const marker = `${sep}drivers${sep}modbus${sep}sim${sep}`;
  const at = here.lastIndexOf(marker);
  if (here.endsWith('.ts') && at >= 0) {
    const built = join(here.slice(0, at), 'dist', 'drivers', 'modbus', 'sim', 'paced-line-child.js');
    if (existsSync(built)) return built;
    throw new Error(`paced line: ${built} is missing; run \`npm run build\` first`);
  }
  throw new Error(`paced line: ${sibling} is missing`);
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a paced line in its own process; resolves once its pty (or ptys) exist. Needs socat on PATH. */
export async function startPacedLine(opts: PacedLineOptions): Promise<PacedLine> {
  const madeDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'fenghuo-paced-line-'));
  const external = opts.slave === 'pty';
  const config: PacedLineChildConfig = {
    baudRate: opts.baudRate,
    parity: opts.parity ?? 'none',
    dataBits: opts.dataBits ?? 8,
    stopBits: opts.stopBits ?? 1,
    masterLink: join(dir, 'master'),
    ...(opts.slave === 'pty' ? { slaveLink: join(dir, 'slave') } : { slave: opts.slave ?? { units: {} } }),
    ...(opts.maxDeliveryBytes !== undefined ? { maxDeliveryBytes: opts.maxDeliveryBytes } : {}),
  };
  // execArgv []: not the caller's flags (a test runner's loaders); the child is plain compiled JavaScript.
  const child = fork(pacedLineChildScript(), [JSON.stringify(config)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const cleanupDir = (): void => {
    if (madeDir) rmSync(dir, { recursive: true, force: true });
  };

  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  child.on('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`paced line exited (${signal ?? `code ${code}`})`));
    pending.clear();
  });

  const ready = await new Promise<{ masterPath: string; slavePath?: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paced line not ready within ${opts.readyTimeoutMs ?? 10_000} ms`));
    }, opts.readyTimeoutMs ?? 10_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(new Error(`paced line exited (${signal ?? `code ${code}`}) before it was ready`));
    };
    child.once('exit', onExit);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('message', (m: PacedLineMessage) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(m);
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        child.off('exit', onExit);
        reject(new Error(`paced line: ${m.error}`));
      } else if (m.type === 'reply') {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`paced line: ${m.error}`));
      }
    });
  }).catch(async (err: unknown) => {
    await waitExit(child, 2_000);
    cleanupDir();
    throw err;
  });

  const call = <T>(req: Record<string, unknown> & { op: PacedLineRequest['op'] }): Promise<T> => {
    if (exited || !child.connected) return Promise.reject(new Error('paced line is not running'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...req, id });
    });
  };
  const simulated = (): void => {
    if (external) throw new Error('paced line: no simulated slave (slave: "pty")');
  };

  let closing: Promise<void> | undefined;
  const f: SerialFraming = { baudRate: config.baudRate, parity: config.parity, dataBits: config.dataBits, stopBits: config.stopBits };
  return {
    masterPath: ready.masterPath,
    slavePath: ready.slavePath,
    bitsPerChar: bitsPerChar(f),
    charMs: charNs(f) / 1e6,
    pid: child.pid ?? -1,
    alive: () => !exited,
    stats: () => call<PacedLineStats>({ op: 'stats' }),
    resetStats: () => call<void>({ op: 'resetStats' }),
    setUnits: async (units) => {
      simulated();
      await call({ op: 'setUnits', units });
    },
    setRegisters: async (unit, table, address, values) => {
      simulated();
      await call({ op: 'setRegisters', unit, table, address, values: [...values] });
    },
    removeUnit: async (unit) => {
      simulated();
      await call({ op: 'removeUnit', unit });
    },
    close: () => {
      closing ??= (async () => {
        if (!exited) {
          await call({ op: 'close' }).catch(() => undefined);
          if (!(await waitExit(child, 3_000))) {
            child.kill('SIGKILL');
            await waitExit(child, 2_000);
          }
        }
        cleanupDir();
      })();
      return closing;
    },
  };
}
