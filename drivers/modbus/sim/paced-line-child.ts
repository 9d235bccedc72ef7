// The paced line's own process (started by startPacedLine() in paced-line.ts, which explains the model): socat
// makes each pty and relays it to this process over pipes; this process holds every chunk for its wire time and
// plays the simulated slave. Talks to its parent over the IPC channel and exits when that closes.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  charNs,
  PacedWire,
  PreciseScheduler,
  type DurationSummary,
  type PacedLineChildConfig,
  type PacedLineMessage,
  type PacedLineRequest,
  type PacedLineStats,
  type WireStats,
} from './paced-line.js';
import { RtuSlaveSim, type SlaveReply } from './rtu-slave-sim.js';

const config = JSON.parse(process.argv[2] ?? '{}') as PacedLineChildConfig;
const t0 = process.hrtime.bigint();
const now = (): number => Number(process.hrtime.bigint() - t0);
const c = charNs(config);
const scheduler = new PreciseScheduler(now);
const send = (m: PacedLineMessage): void => {
  if (process.connected) process.send?.(m);
};

// ---- socat: one pty relayed to our stdin/stdout pipes ----

interface Relay {
  readonly proc: ChildProcess;
  readonly link: string;
  write(chunk: Buffer): void;
}

const relays: Relay[] = [];
let shuttingDown = false;

function startRelay(link: string): Promise<Relay> {
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  return new Promise<Relay>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat for ${link} not ready within 5 s: ${err.trim()}`)), 5_000);
    const onStderr = (s: string): void => {
      err = (err + s).slice(-4_000);
      // socat logs this once the pty exists and its link is in place.
      if (err.includes('starting data transfer loop')) {
        clearTimeout(timer);
        proc.stderr?.off('data', onStderr);
        proc.stderr?.resume();
        resolve({ proc, link, write: (chunk) => void proc.stdin?.write(chunk) });
      }
    };
    proc.stderr?.setEncoding('utf8').on('data', onStderr);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start socat (is it installed?): ${e.message}`));
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!shuttingDown) {
        send({ type: 'failed', error: `socat for ${link} exited (${signal ?? `code ${code}`}): ${err.trim().slice(-500)}` });
        void shutdown(1);
      }
      reject(new Error(`socat for ${link} exited (${signal ?? `code ${code}`}): ${err.trim()}`));
    });
    proc.stdin?.on('error', () => undefined);
  });
}

// ---- the wire ----

const m2s = new PacedWire(c);
const s2m = new PacedWire(c);
const zeroWire = (): WireStats => ({ bytes: 0, chunks: 0, frames: 0 });
let counts = {
  masterToSlave: zeroWire(),
  slaveToMaster: zeroWire(),
  delivery: { count: 0, sumNs: 0, maxNs: 0, over100Us: 0 },
  earlyFrames: 0,
  collisions: 0,
};
let turnarounds: number[] = [];
const MAX_SAMPLES = 200_000;

/** Puts a chunk on one direction of the wire and keeps the frame counters; returns its wire times. */
function place(fromMaster: boolean, n: number, atNs: number): { startNs: number; endNs: number } {
  const wire = fromMaster ? m2s : s2m;
  const other = fromMaster ? s2m : m2s;
  const stats = fromMaster ? counts.masterToSlave : counts.slaveToMaster;
  const prevEnd = wire.freeAtNs;
  const placed = wire.place(n, atNs);
  stats.bytes += n;
  stats.chunks++;
  if (placed.startNs - prevEnd > 1.5 * c) {
    stats.frames++;
    const otherEnd = other.freeAtNs;
    if (otherEnd > placed.startNs) counts.collisions++;
    if (fromMaster) {
      if (placed.startNs - Math.max(prevEnd, otherEnd) < 3.5 * c) counts.earlyFrames++;
      if (otherEnd > prevEnd && otherEnd <= placed.startNs && turnarounds.length < MAX_SAMPLES) {
        turnarounds.push((placed.startNs - otherEnd) / 1e6);
      }
    }
  }
  return placed;
}

/** Hands a placed chunk to `to` when its characters have finished (in pieces if maxDeliveryBytes says so). */
function deliver(chunk: Buffer, startNs: number, to: (piece: Buffer) => void): void {
  const max = config.maxDeliveryBytes ?? chunk.length;
  for (let off = 0; off < chunk.length; off += max) {
    const piece = chunk.subarray(off, Math.min(chunk.length, off + max));
    const endNs = startNs + (off + piece.length) * c;
    scheduler.at(endNs, (lateNs) => {
      const d = counts.delivery;
      d.count++;
      d.sumNs += lateNs;
      d.maxNs = Math.max(d.maxNs, lateNs);
      if (lateNs > 100e3) d.over100Us++;
      to(piece);
    });
  }
}

function summary(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, minMs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { count: s.length, minMs: s[0]!, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: s[s.length - 1]! };
}

// ---- wiring ----

const slave = config.slave ? new RtuSlaveSim({ units: config.slave.units, charNs: c, strictSilence: config.slave.strictSilence ?? false }) : undefined;

function stats(): PacedLineStats {
  const d = counts.delivery;
  return {
    masterToSlave: { ...counts.masterToSlave },
    slaveToMaster: { ...counts.slaveToMaster },
    ...(slave ? { slave: slave.stats() } : {}),
    delivery: { count: d.count, meanUs: d.count ? d.sumNs / d.count / 1e3 : 0, maxUs: d.maxNs / 1e3, over100Us: d.over100Us },
    turnaround: summary(turnarounds),
    earlyFrames: counts.earlyFrames,
    collisions: counts.collisions,
  };
}

function resetStats(): void {
  counts = { masterToSlave: zeroWire(), slaveToMaster: zeroWire(), delivery: { count: 0, sumNs: 0, maxNs: 0, over100Us: 0 }, earlyFrames: 0, collisions: 0 };
  turnarounds = [];
  slave?.resetStats();
}

async function main(): Promise<void> {
  const master = await startRelay(config.masterLink);
  relays.push(master);
  let slavePath: string | undefined;

  if (slave) {
    const answer = (reply: SlaveReply | undefined): void => {
      if (!reply) return;
      const { startNs, endNs } = place(false, reply.bytes.length, reply.notBeforeNs);
      slave.transmitted(endNs);
      deliver(reply.bytes, startNs, (piece) => master.write(piece));
    };
    master.proc.stdout?.on('data', (chunk: Buffer) => {
      const { startNs } = place(true, chunk.length, now());
      // The slave works on wire times, not on when this runs: it may take the chunk now and answer for later.
      for (const reply of slave.receive(chunk, startNs)) answer(reply);
      if (slave.pendingBytes > 0) {
        const due = slave.silenceAtNs;
        scheduler.at(due, () => {
          if (slave.pendingBytes > 0 && slave.silenceAtNs <= due) answer(slave.silence());
        });
      }
    });
  } else {
    const far = await startRelay(config.slaveLink ?? `${config.masterLink}-slave`);
    relays.push(far);
    slavePath = far.link;
    master.proc.stdout?.on('data', (chunk: Buffer) => {
      const { startNs } = place(true, chunk.length, now());
      deliver(chunk, startNs, (piece) => far.write(piece));
    });
    far.proc.stdout?.on('data', (chunk: Buffer) => {
      const { startNs } = place(false, chunk.length, now());
      deliver(chunk, startNs, (piece) => master.write(piece));
    });
  }
  send({ type: 'ready', masterPath: master.link, ...(slavePath ? { slavePath } : {}) });
}

function handle(req: PacedLineRequest): unknown {
  switch (req.op) {
    case 'stats':
      return stats();
    case 'resetStats':
      resetStats();
      return undefined;
    case 'setUnits':
      if (!slave) throw new Error('no simulated slave');
      slave.setUnits(req.units);
      return undefined;
    case 'setRegisters':
      if (!slave) throw new Error('no simulated slave');
      slave.setRegisters(req.unit, req.table, req.address, req.values);
      return undefined;
    case 'removeUnit':
      if (!slave) throw new Error('no simulated slave');
      slave.removeUnit(req.unit);
      return undefined;
    case 'close':
      setImmediate(() => void shutdown(0));
      return undefined;
  }
}

process.on('message', (req: PacedLineRequest) => {
  try {
    send({ type: 'reply', id: req.id, ok: true, result: handle(req) });
  } catch (err) {
    send({ type: 'reply', id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});

async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  // socat removes its link when it ends (stdin closed, or SIGTERM).
  await Promise.all(
    relays.map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.proc.exitCode !== null || r.proc.signalCode !== null) return resolve();
          const kill = setTimeout(() => r.proc.kill('SIGKILL'), 2_000);
          r.proc.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          r.proc.kill('SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

// The parent went away (or closed us): do not outlive it.
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch((err: unknown) => {
  send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  void shutdown(1);
});
