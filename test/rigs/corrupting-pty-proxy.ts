import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '../helpers/socat.js';

/**
 * A fault on the line, applied to one reply of the slave on its way back to the master:
 * `flip` XORs one byte (index from the start, or from the end when negative) so the CRC no longer matches;
 * `truncate` forwards only the first `keep` bytes; `drop` swallows the reply; `delay` sends it `ms` late.
 */
export type ReplyFault =
  | { kind: 'flip'; at: number; mask?: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number };

export interface WireFrame {
  readonly dir: 'request' | 'reply';
  readonly bytes: Buffer;
  /** Date.now() when the frame was complete. */
  readonly at: number;
  /** The fault applied to this reply, if any. */
  readonly fault?: ReplyFault['kind'];
}

export interface CorruptingPtyProxy {
  /** The device path the bus (Modbus master) opens. */
  readonly masterPath: string;
  /** The device path the slave (pymodbus) listens on. */
  readonly slavePath: string;
  /** Queues `fault` for the next `count` replies (after any faults queued earlier). */
  faultNextReplies(fault: ReplyFault, count?: number): void;
  /** Every frame that passed, in order, as the proxy saw it (replies before any fault). */
  readonly wire: readonly WireFrame[];
  /** Delayed replies not yet written to the master's pty. */
  pendingDelayed(): number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** A silence this long ends a frame (RTU frames are delimited by silence). */
  readonly frameGapMs?: number;
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

function applyFault(frame: Buffer, fault: ReplyFault): Buffer | undefined {
  switch (fault.kind) {
    case 'flip': {
      const out = Buffer.from(frame);
      const i = fault.at < 0 ? out.length + fault.at : fault.at;
      if (i >= 0 && i < out.length) out[i] = (out[i] ?? 0) ^ (fault.mask ?? 0xff);
      return out;
    }
    case 'truncate':
      return frame.subarray(0, fault.keep);
    case 'drop':
      return undefined;
    case 'delay':
      return frame;
  }
}

/**
 * Two socat pty pairs with this proxy between them: master <-> [pair 1] <-> proxy <-> [pair 2] <-> slave.
 * Requests pass through untouched as they arrive; each reply is gathered whole (by silence) and then forwarded,
 * possibly damaged by a queued fault. Byte-level, so the bus under test sees exactly what a noisy RS-485 line gives.
 */
export async function startCorruptingPtyProxy(opts: ProxyOptions = {}): Promise<CorruptingPtyProxy> {
  const gapMs = opts.frameGapMs ?? 5;
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
    const faults: ReplyFault[] = [];

    const requests = new GapFramer(gapMs, (frame) => wire.push({ dir: 'request', bytes: frame, at: Date.now() }));
    masterSide.on('data', (chunk: Buffer) => {
      slaveSide.write(chunk);
      requests.push(chunk);
    });

    const replies = new GapFramer(gapMs, (frame) => {
      const fault = faults.shift();
      wire.push({ dir: 'reply', bytes: frame, at: Date.now(), ...(fault ? { fault: fault.kind } : {}) });
      const out = fault ? applyFault(frame, fault) : frame;
      if (!out || out.length === 0) return;
      if (fault?.kind === 'delay') {
        const t = setTimeout(() => {
          // Counted as pending until the bytes are in the master's pty, so a test can wait for them to land.
          if (masterSide.isOpen) masterSide.write(out, () => timers.delete(t));
          else timers.delete(t);
        }, fault.ms);
        timers.add(t);
      } else {
        masterSide.write(out);
      }
    });
    slaveSide.on('data', (chunk: Buffer) => replies.push(chunk));

    return {
      masterPath: toMaster.a,
      slavePath: toSlave.b,
      faultNextReplies: (fault, count = 1) => {
        for (let i = 0; i < count; i++) faults.push(fault);
      },
      wire,
      pendingDelayed: () => timers.size,
      close: async () => {
        requests.stop();
        replies.stop();
        for (const t of timers) clearTimeout(t);
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
