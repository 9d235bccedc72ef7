import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';
import { mulberry32, type Rng } from '../helpers/seeded-random.js';

export { mulberry32, type Rng };

/**
 * A fault on the line, applied to one reply of the slave on its way back to the master:
 * `flip` XORs one byte (index from the start, or from the end when negative) so the CRC no longer matches;
 * `flipBit` flips one bit (byte `at`, bit `bit` 0..7; either left out is drawn from the proxy's seeded PRNG);
 * `truncate` forwards only the first `keep` bytes; `dropBytes` removes `n` bytes starting at index `at`
 * (default: from the middle of the frame), a frame missing bytes; `junk` sends `bytes` first, then the reply;
 * `drop` swallows the reply; `delay` sends it `ms` late; `delayUntilRequest` holds it until the master starts its
 * next request (to `unit`, when set), then sends it `afterMs` (default 0) later, after any `delay`: a late answer
 * that lands exactly while another request is out, however late that request goes.
 *
 * Several faults can hit one reply: pass an array to `faultNextReplies` (applied in order, delays add up).
 */
export type ReplyFault =
  | { kind: 'flip'; at: number; mask?: number }
  | { kind: 'flipBit'; at?: number; bit?: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'dropBytes'; n: number; at?: number }
  | { kind: 'junk'; bytes: Buffer | readonly number[] }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  | { kind: 'delayUntilRequest'; unit?: number; afterMs?: number };

export type ReplyFaultKind = ReplyFault['kind'];

interface WireFrameBase {
  readonly bytes: Buffer;
  /** Date.now() when the frame was complete. */
  readonly at: number;
  /** The fault applied to this reply, if any (the first one when several were; see `faults`). */
  readonly fault?: ReplyFaultKind;
}

export interface RequestFrame extends WireFrameBase {
  readonly dir: 'request';
}

/** A reply as the slave sent it (`bytes`), and what the proxy did to it. */
export interface ReplyFrame extends WireFrameBase {
  readonly dir: 'reply';
  /** The faults applied, in order, with every drawn parameter filled in (`flipBit` has its `at` and `bit`). Empty if clean. */
  readonly faults: readonly ReplyFault[];
  /** Where the faults came from: the queue (`faultNextReplies`) or the random mode; undefined if clean. */
  readonly source?: 'queued' | 'random';
  /**
   * Total delay applied before the reply was handed to the master's write queue; 0 if not delayed. For
   * `delayUntilRequest`, the time actually waited, filled in once the reply is released.
   */
  readonly delayMs: number;
  /** The bytes written to the master's pty; undefined until written, and for ever when swallowed. */
  readonly sent?: Buffer;
  /** Date.now() when `sent` was in the master's pty. */
  readonly sentAt?: number;
}

export type WireFrame = RequestFrame | ReplyFrame;


/** One rule of the random mode: with probability `p` per reply, `fault` (or what the factory draws) hits it. */
export interface RandomFaultRule {
  readonly p: number;
  readonly fault: ReplyFault | readonly ReplyFault[] | ((ctx: { rng: Rng; reply: Buffer }) => ReplyFault | readonly ReplyFault[]);
}

/**
 * The random mode. Each reply (of `onlyUnit`, if set) gets one independent draw per rule; every rule that hits adds
 * its faults, in order: first the `probability` shorthands (in the order flip, flipBit, dropBytes, truncate, junk,
 * drop, delay, delayUntilRequest), then `rules`. The shorthands draw their parameters: `flip` a random byte (mask 0xff), `flipBit` a
 * random bit, `dropBytes` 1..4 bytes at a random place inside the frame (never the first or last byte), `truncate`
 * keeps 1..length-1 bytes, `junk` prefixes the reply's own first two bytes (unit id and function code), `delay`
 * waits U(delayMs[0], delayMs[1]) ms, `delayUntilRequest` waits for the next request to any unit.
 * Example: 10 % of replies late by timeout + U(0, 2 x timeout): `{ seed, probability: { delay: 0.1 }, delayMs: [t, 3 * t] }`.
 */
export interface RandomFaults {
  readonly seed: number;
  readonly probability?: Partial<Record<ReplyFaultKind, number>>;
  readonly rules?: readonly RandomFaultRule[];
  /** Required when `probability.delay` is set. */
  readonly delayMs?: readonly [number, number];
}

export interface CorruptingPtyProxy {
  /** The device path the bus (Modbus master) opens. */
  readonly masterPath: string;
  /** The device path the slave (pymodbus) listens on. */
  readonly slavePath: string;
  /**
   * Queues `fault` (or several faults for one reply) for the next `count` replies (after any faults queued earlier).
   * A queued fault takes precedence over the random mode for its reply.
   */
  faultNextReplies(fault: ReplyFault | readonly ReplyFault[], count?: number): void;
  /** Turns the random mode on (re-seeding it) or, with undefined, off. */
  setRandomFaults(config: RandomFaults | undefined): void;
  /** Faults (queued and random) hit only replies whose first byte is this unit id; undefined: every reply. */
  setOnlyUnit(unit: number | undefined): void;
  /** Every frame that passed, in order, as the proxy saw it (replies before any fault, with what was done to them). */
  readonly wire: readonly WireFrame[];
  /** The reply entries of `wire`. */
  replies(): ReplyFrame[];
  /** Delayed replies not yet written to the master's pty. */
  pendingDelayed(): number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** A silence this long ends a frame (RTU frames are delimited by silence). */
  readonly frameGapMs?: number;
  /** Seeds the draws of queued faults that leave parameters open (`flipBit`); the random mode has its own seed. */
  readonly seed?: number;
  /** See `setOnlyUnit`. */
  readonly onlyUnit?: number;
  /** The least silence between two frames written to the master (so a late reply stays a frame of its own). Default frameGapMs. */
  readonly interFrameGapMs?: number;
}

/** An integer in [lo, hi] (inclusive). */
function randInt(rng: Rng, lo: number, hi: number): number {
  return hi <= lo ? lo : lo + Math.floor(rng() * (hi - lo + 1));
}

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 19200, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

/** Collects bytes into frames delimited by silence. */
class GapFramer {
  private chunks: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gapMs: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const frame = Buffer.concat(this.chunks);
      this.chunks = [];
      this.onFrame(frame);
    }, this.gapMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Fills in the parameters a fault leaves to chance, for this frame. */
function resolveFault(fault: ReplyFault, frame: Buffer, rng: Rng): ReplyFault {
  if (fault.kind === 'flipBit') {
    return { kind: 'flipBit', at: fault.at ?? randInt(rng, 0, Math.max(0, frame.length - 1)), bit: fault.bit ?? randInt(rng, 0, 7) };
  }
  if (fault.kind === 'dropBytes' && fault.at === undefined) {
    return { kind: 'dropBytes', n: fault.n, at: Math.max(0, Math.floor((frame.length - fault.n) / 2)) };
  }
  return fault;
}

/** Applies a resolved fault; undefined means nothing goes out. */
function applyFault(frame: Buffer, fault: ReplyFault): Buffer | undefined {
  switch (fault.kind) {
    case 'flip': {
      const out = Buffer.from(frame);
      const i = fault.at < 0 ? out.length + fault.at : fault.at;
      if (i >= 0 && i < out.length) out[i] = (out[i] ?? 0) ^ (fault.mask ?? 0xff);
      return out;
    }
    case 'flipBit': {
      const out = Buffer.from(frame);
      const i = fault.at ?? 0;
      if (i >= 0 && i < out.length) out[i] = (out[i] ?? 0) ^ (1 << ((fault.bit ?? 0) & 7));
      return out;
    }
    case 'truncate':
      return frame.subarray(0, fault.keep);
    case 'dropBytes': {
      const at = Math.max(0, fault.at ?? 0);
      return Buffer.concat([frame.subarray(0, at), frame.subarray(at + Math.max(0, fault.n))]);
    }
    case 'junk':
      return Buffer.concat([Buffer.from(fault.bytes), frame]);
    case 'drop':
      return undefined;
    case 'delay':
    case 'delayUntilRequest':
      return frame;
  }
}

const SHORTHAND_ORDER: readonly ReplyFaultKind[] = ['flip', 'flipBit', 'dropBytes', 'truncate', 'junk', 'drop', 'delay', 'delayUntilRequest'];

/** Turns a random-mode config into a list of rules, checking it. */
function compileRandom(config: RandomFaults): RandomFaultRule[] {
  const rules: RandomFaultRule[] = [];
  const prob = config.probability ?? {};
  const range = config.delayMs;
  if (range && !(range[0] >= 0 && range[1] >= range[0])) throw new Error(`delayMs must be [min, max] with 0 <= min <= max, got [${range.join(', ')}]`);
  if (range && prob.delay === undefined) throw new Error('delayMs given but probability.delay is not');
  for (const kind of SHORTHAND_ORDER) {
    const p = prob[kind];
    if (p === undefined) continue;
    const factory = shorthand(kind, range);
    rules.push({ p, fault: factory });
  }
  rules.push(...(config.rules ?? []));
  for (const r of rules) if (!(r.p >= 0 && r.p <= 1)) throw new Error(`a fault probability must be within [0, 1], got ${r.p}`);
  return rules;
}

function shorthand(kind: ReplyFaultKind, range: readonly [number, number] | undefined): (ctx: { rng: Rng; reply: Buffer }) => ReplyFault {
  switch (kind) {
    case 'flip':
      return ({ rng, reply }) => ({ kind: 'flip', at: randInt(rng, 0, Math.max(0, reply.length - 1)) });
    case 'flipBit':
      return ({ rng, reply }) => resolveFault({ kind: 'flipBit' }, reply, rng);
    case 'dropBytes':
      return ({ rng, reply }) => {
        const n = randInt(rng, 1, Math.max(1, Math.min(4, reply.length - 2)));
        return { kind: 'dropBytes', n, at: randInt(rng, 1, Math.max(1, reply.length - n - 1)) };
      };
    case 'truncate':
      return ({ rng, reply }) => ({ kind: 'truncate', keep: randInt(rng, 1, Math.max(1, reply.length - 1)) });
    case 'junk':
      return ({ reply }) => ({ kind: 'junk', bytes: Buffer.from(reply.subarray(0, 2)) });
    case 'drop':
      return () => ({ kind: 'drop' });
    case 'delay': {
      if (!range) throw new Error('probability.delay needs delayMs: [min, max]');
      const [lo, hi] = range;
      return ({ rng }) => ({ kind: 'delay', ms: lo + rng() * (hi - lo) });
    }
    case 'delayUntilRequest':
      return () => ({ kind: 'delayUntilRequest' });
  }
}

type MutableReplyFrame = { -readonly [K in keyof ReplyFrame]: ReplyFrame[K] };

/**
 * Two socat pty pairs with this proxy between them: master <-> [pair 1] <-> proxy <-> [pair 2] <-> slave.
 * Requests pass through untouched as they arrive; each reply is gathered whole (by silence) and then forwarded,
 * possibly damaged by a queued or random fault. Byte-level, so the bus under test sees exactly what a noisy RS-485
 * line gives. Writes to the master are serialised like transmissions on one wire: a late reply never interleaves
 * with another frame, and frames are kept `interFrameGapMs` apart.
 */
export async function startCorruptingPtyProxy(opts: ProxyOptions = {}): Promise<CorruptingPtyProxy> {
  const gapMs = opts.frameGapMs ?? 5;
  const interFrameGapMs = opts.interFrameGapMs ?? gapMs;
  const pairs: PtyPair[] = [];
  const ports: SerialPort[] = [];
  const timers = new Set<NodeJS.Timeout>();
  try {
    const toMaster = await createPtyPair();
    pairs.push(toMaster);
    const toSlave = await createPtyPair();
    pairs.push(toSlave);
    const masterSide = await openPort(toMaster.b);
    ports.push(masterSide);
    const slaveSide = await openPort(toSlave.a);
    ports.push(slaveSide);

    const wire: WireFrame[] = [];
    const queued: (readonly ReplyFault[])[] = [];
    const queuedRng = mulberry32(opts.seed ?? 1);
    let random: { rules: RandomFaultRule[]; decide: Rng; shape: Rng } | undefined;
    let onlyUnit = opts.onlyUnit;
    let pending = 0;
    let closed = false;
    /** Replies held by `delayUntilRequest`, released when a request (to their unit, if set) starts. */
    let untilRequest: { unit: number | undefined; release: () => void }[] = [];
    let lastRequestChunkAt = -Infinity;

    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      });

    // One transmitter on the master's side of the line: frames go out one after the other, whole.
    let line: Promise<void> = Promise.resolve();
    let lastWriteEnd = 0;
    const transmit = (bytes: Buffer, entry: MutableReplyFrame): Promise<void> => {
      const done = line.then(async () => {
        const wait = lastWriteEnd + interFrameGapMs - Date.now();
        if (wait > 0) await sleep(wait);
        if (closed || !masterSide.isOpen) return;
        await new Promise<void>((resolve) => {
          masterSide.write(bytes, (err) => (err ? resolve() : masterSide.drain(() => resolve())));
        });
        lastWriteEnd = Date.now();
        entry.sent = bytes;
        entry.sentAt = lastWriteEnd;
      });
      line = done.catch(() => undefined);
      return done;
    };

    const pickFaults = (frame: Buffer): { faults: ReplyFault[]; source?: 'queued' | 'random' } => {
      if (onlyUnit !== undefined && frame[0] !== onlyUnit) return { faults: [] };
      const next = queued.shift();
      if (next) return { faults: next.map((f) => resolveFault(f, frame, queuedRng)), source: 'queued' };
      if (!random) return { faults: [] };
      const faults: ReplyFault[] = [];
      // One draw per rule and reply whatever happens, so the same seed hits the same replies.
      for (const rule of random.rules) {
        if (!(random.decide() < rule.p)) continue;
        const drawn = typeof rule.fault === 'function' ? rule.fault({ rng: random.shape, reply: frame }) : rule.fault;
        const list: readonly ReplyFault[] = Array.isArray(drawn) ? drawn : [drawn as ReplyFault];
        for (const f of list) faults.push(resolveFault(f, frame, random.shape));
      }
      return faults.length > 0 ? { faults, source: 'random' } : { faults: [] };
    };

    const requests = new GapFramer(gapMs, (frame) => wire.push({ dir: 'request', bytes: frame, at: Date.now() }));
    masterSide.on('data', (chunk: Buffer) => {
      slaveSide.write(chunk);
      requests.push(chunk);
      // The first chunk after a silence starts a request, and its first byte is the unit asked.
      const now = Date.now();
      const starts = now - lastRequestChunkAt >= gapMs;
      lastRequestChunkAt = now;
      if (!starts || untilRequest.length === 0) return;
      const unit = chunk[0];
      const due = untilRequest.filter((w) => w.unit === undefined || w.unit === unit);
      untilRequest = untilRequest.filter((w) => !due.includes(w));
      for (const w of due) w.release();
    });

    const replies = new GapFramer(gapMs, (frame) => {
      const { faults, source } = pickFaults(frame);
      let out: Buffer | undefined = frame;
      let delayMs = 0;
      let holdFor: Extract<ReplyFault, { kind: 'delayUntilRequest' }> | undefined;
      for (const f of faults) {
        if (f.kind === 'delay') delayMs += Math.max(0, f.ms);
        if (f.kind === 'delayUntilRequest') holdFor = f;
        if (out) out = applyFault(out, f);
      }
      const first = faults[0];
      const entry: MutableReplyFrame = {
        dir: 'reply',
        bytes: frame,
        at: Date.now(),
        faults,
        delayMs,
        ...(first ? { fault: first.kind } : {}),
        ...(source ? { source } : {}),
      };
      wire.push(entry);
      if (!out || out.length === 0) return;
      const bytes = out;
      if (holdFor) {
        const { unit, afterMs = 0 } = holdFor;
        pending++;
        void sleep(delayMs)
          .then(() => new Promise<void>((release) => untilRequest.push({ unit, release })))
          .then(() => sleep(Math.max(0, afterMs)))
          .then(() => {
            entry.delayMs = Date.now() - entry.at;
            return transmit(bytes, entry);
          })
          .finally(() => pending--);
      } else if (delayMs > 0) {
        // Counted as pending until the bytes are in the master's pty, so a test can wait for them to land.
        pending++;
        void sleep(delayMs)
          .then(() => transmit(bytes, entry))
          .finally(() => pending--);
      } else {
        void transmit(bytes, entry);
      }
    });
    slaveSide.on('data', (chunk: Buffer) => replies.push(chunk));

    return {
      masterPath: toMaster.a,
      slavePath: toSlave.b,
      faultNextReplies: (fault, count = 1) => {
        const list: readonly ReplyFault[] = Array.isArray(fault) ? fault : [fault as ReplyFault];
        for (let i = 0; i < count; i++) queued.push(list);
      },
      setRandomFaults: (config) => {
        random = config
          ? { rules: compileRandom(config), decide: mulberry32(config.seed), shape: mulberry32(config.seed ^ 0x9e3779b9) }
          : undefined;
      },
      setOnlyUnit: (unit) => {
        onlyUnit = unit;
      },
      wire,
      replies: () => wire.filter((f): f is ReplyFrame => f.dir === 'reply'),
      pendingDelayed: () => pending,
      close: async () => {
        closed = true;
        requests.stop();
        replies.stop();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        untilRequest = [];
        pending = 0;
        await closeAll(ports, pairs);
      },
    };
  } catch (err) {
    await closeAll(ports, pairs);
    throw err;
  }
}

async function closeAll(ports: SerialPort[], pairs: PtyPair[]): Promise<void> {
  for (const p of ports) {
    if (p.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
  }
  for (const pair of pairs) await pair.close();
}
