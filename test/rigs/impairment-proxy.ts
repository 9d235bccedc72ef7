import { createConnection, createServer, type Socket } from 'node:net';
import { mulberry32, type Rng } from '../helpers/seeded-random.js';

/**
 * A userspace TCP proxy to put between box and hub, for what the kernel's tbf cannot do (this kernel has no netem):
 * added latency per direction (fixed + seeded jitter), stalls (forwarding stops for N ms, e.g. mid-body) and resets
 * mid-stream (after exactly K bytes of a request or a response both sockets are destroyed with an RST via
 * `socket.resetAndDestroy()`), each scheduled or drawn from a seeded PRNG; it counts bytes each way, in total and per
 * connection, and every setting can be changed while connections run.
 *
 * Where it runs: in the test process itself (node:net), so it listens and connects in the test process's network
 * namespace: on loopback by default (`listen.host` may be any local address of that namespace, e.g. the address the
 * hub listens on when the hub runs in the test's namespace). It cannot listen inside one namespace of
 * bench/support/netns-link.ts and connect out of the other; a path uses either the proxy (latency, stalls, resets) or
 * the namespaced link (rate, cuts, byte counts on the wire).
 *
 * Directions: `toTarget` is what the client (the box) sends to the target (the hub): requests, uploads. `toClient`
 * is the target's answer.
 *
 * Latency applies to data, chunk by chunk as the proxy reads it: each chunk leaves `fixedMs` + U(0, `jitterMs`) after
 * it arrived, but never before the chunk ahead of it (TCP keeps order), so jitter only ever adds. The TCP handshake
 * itself is not delayed: the client's connect() completes at loopback speed. While chunks wait (latency, a stall)
 * the proxy keeps reading until 256 KiB are queued in a direction, then stops reading so that TCP's own flow control
 * pushes back on the sender, as a stalled link would.
 *
 * Reproducibility: the jitter and the random faults come from seeded mulberry32 streams (test/helpers/seeded-random.ts).
 * Random faults are drawn once per connection, in accept order, so the same seed gives the same faults to the same
 * connections; jitter is drawn per chunk, and chunk boundaries are the kernel's, so only its range is reproducible.
 */

export type Dir = 'toTarget' | 'toClient';

export interface Latency {
  readonly fixedMs: number;
  /** Each chunk waits an extra U(0, jitterMs). Default 0. */
  readonly jitterMs?: number;
}

/**
 * A fault on one connection, triggered by bytes forwarded in `dir`: after exactly `afterBytes` of them (counted
 * from the start of the connection, or from the moment it was armed on a running connection), `stall` holds that
 * direction for `ms`; `reset` stops forwarding both ways and, 10 ms after those bytes went to the kernel (time for
 * them to reach the peer over loopback), destroys both sockets with an RST (`socket.resetAndDestroy()`): the
 * receiver gets exactly `afterBytes`, then ECONNRESET, and so does the other side. A fault whose byte count is never
 * reached does nothing.
 */
export type ProxyFault =
  | { readonly kind: 'stall'; readonly dir: Dir; readonly afterBytes: number; readonly ms: number }
  | { readonly kind: 'reset'; readonly dir: Dir; readonly afterBytes: number };

/** A fault as it happened on a connection. */
export interface AppliedFault {
  readonly kind: 'stall' | 'reset';
  readonly dir: Dir;
  /** Bytes forwarded in `dir` on this connection when it hit. */
  readonly atByte: number;
  /** Stalls only. */
  readonly ms?: number;
  /** performance.now() when it hit. */
  readonly at: number;
  readonly source: 'queued' | 'open' | 'random' | 'now';
}

/**
 * The random mode: each new connection draws, for each rule set here, whether it gets that fault (probability `p`)
 * and, if so, its direction (`either`: a fair draw), its byte count U[afterBytes[0], afterBytes[1]] (integers) and,
 * for a stall, its length U[ms[0], ms[1]].
 */
export interface RandomFaults {
  readonly seed: number;
  readonly reset?: { readonly p: number; readonly dir: Dir | 'either'; readonly afterBytes: readonly [number, number] };
  readonly stall?: {
    readonly p: number;
    readonly dir: Dir | 'either';
    readonly afterBytes: readonly [number, number];
    readonly ms: readonly [number, number];
  };
}

export interface DirBytes {
  readonly toTarget: number;
  readonly toClient: number;
}

export interface ConnectionStats {
  /** 1, 2, … in accept order. */
  readonly id: number;
  /** performance.now() at accept. */
  readonly openedAt: number;
  /** performance.now() when both sockets were gone; undefined while open. */
  readonly closedAt: number | undefined;
  /** Bytes read from the sender, per direction. */
  readonly received: DirBytes;
  /** Bytes written on to the receiver, per direction (less than received while chunks wait, or after a reset). */
  readonly forwarded: DirBytes;
  /** The faults that hit, in order. */
  readonly faults: readonly AppliedFault[];
  /** Faults armed on this connection that have not hit (yet). */
  readonly pending: readonly ProxyFault[];
  /**
   * How it ended: `closed` (both sides finished normally), `reset` (by a fault), `client-error` / `target-error`
   * (that side failed, e.g. reset by its peer or refused; the other side got an RST), `proxy-closed` (by close()).
   */
  readonly end: 'closed' | 'reset' | 'client-error' | 'target-error' | 'proxy-closed' | undefined;
  /** The error code of a client-error or target-error (ECONNRESET, ECONNREFUSED, …). */
  readonly errorCode: string | undefined;
}

export interface ImpairmentProxyOptions {
  /** Where the real server (the hub) listens. */
  readonly target: { readonly host: string; readonly port: number };
  /** Where the proxy listens: default 127.0.0.1 and a free port. */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** Seeds the jitter. Default 1. */
  readonly seed?: number;
  readonly latency?: { readonly toTarget?: Latency; readonly toClient?: Latency };
  readonly randomFaults?: RandomFaults;
}

export interface ImpairmentProxy {
  readonly host: string;
  readonly port: number;
  /** Changes the latency of a direction (or both) for chunks read from now on; undefined: none. */
  setLatency(dir: Dir | 'both', latency: Latency | undefined): void;
  /** Stops forwarding on every open connection for `ms` from now, in `dir` or both. */
  stall(ms: number, dir?: Dir | 'both'): void;
  /** Arms faults for the next `count` connections (each gets all of `faults`), after those queued earlier. */
  faultNextConnections(faults: ProxyFault | readonly ProxyFault[], count?: number): void;
  /** Arms faults on every connection open now; their byte counts start now. */
  faultOpenConnections(faults: ProxyFault | readonly ProxyFault[]): void;
  /** Turns the random mode on (re-seeding it) or, with undefined, off. Queued faults take precedence. */
  setRandomFaults(config: RandomFaults | undefined): void;
  /** Connections not yet given their queued faults. */
  queuedFaults(): number;
  /** Bytes forwarded each way, over all connections so far. */
  bytes(): DirBytes;
  /** Every connection so far, in accept order (live views: counters move while it runs). */
  connections(): readonly ConnectionStats[];
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

const HIGH_WATER = 256 * 1024;
/** How long a reset waits after its last bytes were handed to the kernel (see Pipe.pump). */
const RESET_SETTLE_MS = 10;
const LOW_WATER = 64 * 1024;

function validateFault(f: ProxyFault): void {
  if (!(Number.isInteger(f.afterBytes) && f.afterBytes >= 0)) throw new Error(`afterBytes must be a whole number >= 0, got ${f.afterBytes}`);
  if (f.kind === 'stall' && !(f.ms >= 0)) throw new Error(`a stall needs ms >= 0, got ${f.ms}`);
}

function validateRandom(c: RandomFaults): void {
  for (const [name, r] of [['reset', c.reset], ['stall', c.stall]] as const) {
    if (!r) continue;
    if (!(r.p >= 0 && r.p <= 1)) throw new Error(`randomFaults.${name}.p must be within [0, 1], got ${r.p}`);
    const [a, b] = r.afterBytes;
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= a)) throw new Error(`randomFaults.${name}.afterBytes must be [min, max] whole numbers, got [${a}, ${b}]`);
  }
  if (c.stall && !(c.stall.ms[0] >= 0 && c.stall.ms[1] >= c.stall.ms[0])) throw new Error(`randomFaults.stall.ms must be [min, max], got [${c.stall.ms.join(', ')}]`);
}

function validateLatency(l: Latency | undefined): void {
  if (l && !(l.fixedMs >= 0 && (l.jitterMs ?? 0) >= 0)) throw new Error(`latency must be >= 0, got ${JSON.stringify(l)}`);
}

interface Trigger {
  /** Absolute forwarded count in the pipe's direction at which it fires. */
  readonly at: number;
  readonly fault: ProxyFault;
  readonly source: AppliedFault['source'];
}

class Connection {
  readonly pipes: Record<Dir, Pipe>;
  readonly applied: AppliedFault[] = [];
  closedAt: number | undefined;
  end: ConnectionStats['end'];
  errorCode: string | undefined;
  /** Set once a reset fault fires: nothing more is forwarded either way. */
  dead = false;

  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly upstream: Socket,
    readonly proxy: ProxyState,
    readonly openedAt = performance.now(),
  ) {
    this.pipes = {
      toTarget: new Pipe(this, 'toTarget', client, upstream),
      toClient: new Pipe(this, 'toClient', upstream, client),
    };
  }

  arm(fault: ProxyFault, source: Trigger['source']): void {
    this.pipes[fault.dir].arm(fault, source);
  }

  /** The RST both ways (the fault). */
  reset(): void {
    this.dead = true;
    this.end ??= 'reset';
    for (const p of Object.values(this.pipes)) p.stop();
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
  }

  /** One side failed: mirror it as an RST to the other. */
  failed(side: 'client' | 'target', err: NodeJS.ErrnoException): void {
    if (this.dead || this.closedAt !== undefined) return;
    this.dead = true;
    this.end ??= side === 'client' ? 'client-error' : 'target-error';
    this.errorCode ??= err.code ?? err.message;
    for (const p of Object.values(this.pipes)) p.stop();
    const other = side === 'client' ? this.upstream : this.client;
    if (!other.destroyed) other.resetAndDestroy();
  }

  abort(why: ConnectionStats['end']): void {
    this.dead = true;
    this.end ??= why;
    for (const p of Object.values(this.pipes)) p.stop();
    this.client.destroy();
    this.upstream.destroy();
  }

  maybeClosed(): void {
    if (this.closedAt === undefined && this.client.destroyed && this.upstream.destroyed) {
      this.closedAt = performance.now();
      this.end ??= 'closed';
      for (const p of Object.values(this.pipes)) p.stop();
    }
  }

  /** A live view: its getters read the counters as they are when asked. */
  stats(): ConnectionStats {
    const { pipes, applied } = this;
    const get = <K extends 'closedAt' | 'end' | 'errorCode'>(k: K): Connection[K] => this[k];
    return {
      id: this.id,
      openedAt: this.openedAt,
      get closedAt() {
        return get('closedAt');
      },
      get received() {
        return { toTarget: pipes.toTarget.received, toClient: pipes.toClient.received };
      },
      get forwarded() {
        return { toTarget: pipes.toTarget.forwarded, toClient: pipes.toClient.forwarded };
      },
      get faults() {
        return [...applied];
      },
      get pending() {
        return [...pipes.toTarget.triggers, ...pipes.toClient.triggers].map((t) => t.fault);
      },
      get end() {
        return get('end');
      },
      get errorCode() {
        return get('errorCode');
      },
    };
  }
}

/** One direction of one connection: a queue of timed chunks from `src` to `dst`. */
class Pipe {
  private queue: { buf: Buffer; at: number }[] = [];
  private queued = 0;
  private lastAt = 0;
  private stalledUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private srcEnded = false;
  private dstEnded = false;
  private waitingDrain = false;
  private stopped = false;
  received = 0;
  forwarded = 0;
  triggers: Trigger[] = [];

  constructor(
    private readonly conn: Connection,
    readonly dir: Dir,
    private readonly src: Socket,
    private readonly dst: Socket,
  ) {
    src.on('data', (chunk: Buffer) => this.onData(chunk));
    src.on('end', () => {
      this.srcEnded = true;
      this.pump();
    });
  }

  arm(fault: ProxyFault, source: Trigger['source']): void {
    this.triggers.push({ at: this.forwarded + fault.afterBytes, fault, source });
    this.triggers.sort((a, b) => a.at - b.at);
    this.pump();
  }

  stall(ms: number, source: AppliedFault['source']): void {
    if (this.stopped) return;
    this.holdFor(ms, source);
    this.pump();
  }

  private holdFor(ms: number, source: AppliedFault['source']): void {
    const now = performance.now();
    this.stalledUntil = Math.max(this.stalledUntil, now + ms);
    this.conn.applied.push({ kind: 'stall', dir: this.dir, atByte: this.forwarded, ms, at: now, source });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.queue = [];
    this.queued = 0;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    this.received += chunk.length;
    const now = performance.now();
    const delay = this.conn.proxy.delayFor(this.dir);
    const at = Math.max(this.lastAt, now + delay);
    this.lastAt = at;
    this.queue.push({ buf: chunk, at });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER) this.src.pause();
    this.pump();
  }

  private schedule(at: number, now: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), Math.max(0, Math.ceil(at - now)));
  }

  private write(buf: Buffer): void {
    this.forwarded += buf.length;
    this.conn.proxy.total[this.dir] += buf.length;
    if (!this.dst.write(buf) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.dst.once('drain', () => {
        this.waitingDrain = false;
        this.pump();
      });
    }
  }

  pump(): void {
    if (this.stopped || this.conn.dead) return;
    clearTimeout(this.timer);
    for (;;) {
      const now = performance.now();
      // A fault due at the current byte count fires before anything else moves (a fault at afterBytes 0 included).
      const trig = this.triggers[0];
      if (trig && trig.at <= this.forwarded) {
        this.triggers.shift();
        if (trig.fault.kind === 'reset') {
          this.conn.applied.push({ kind: 'reset', dir: this.dir, atByte: this.forwarded, at: now, source: trig.source });
          this.conn.dead = true;
          // The bytes up to the fault go first: once Node has handed them to the kernel, RESET_SETTLE_MS more for
          // the kernel to deliver them. An RST right behind them can overtake them (they are dropped) or reach the
          // peer as a plain end of stream instead of ECONNRESET (seen on Linux 6.x over loopback).
          const dst = this.dst;
          const go = (): void => {
            if (dst.writableLength === 0 || dst.destroyed) setTimeout(() => this.conn.reset(), RESET_SETTLE_MS);
            else setTimeout(go, 1);
          };
          go();
          return;
        }
        this.holdFor(trig.fault.ms, trig.source);
        continue;
      }
      if (this.waitingDrain) return;
      if (this.stalledUntil > now) return this.schedule(this.stalledUntil, now);
      const head = this.queue[0];
      if (!head) break;
      if (head.at > now) return this.schedule(head.at, now);
      let buf = head.buf;
      if (trig && this.forwarded + buf.length > trig.at) {
        // Split the chunk at the fault's byte.
        const n = trig.at - this.forwarded;
        head.buf = buf.subarray(n);
        buf = buf.subarray(0, n);
      } else {
        this.queue.shift();
      }
      this.queued -= buf.length;
      if (buf.length > 0) this.write(buf);
      if (this.queued < LOW_WATER && this.src.isPaused()) this.src.resume();
    }
    if (this.srcEnded && !this.dstEnded && this.queue.length === 0) {
      this.dstEnded = true;
      // Half-close: the FIN goes on after the last delayed byte; the other direction keeps flowing.
      this.dst.end();
    }
  }
}

interface ProxyState {
  readonly total: Record<Dir, number>;
  delayFor(dir: Dir): number;
}

/** Starts the proxy, listening once this resolves. */
export async function startImpairmentProxy(opts: ImpairmentProxyOptions): Promise<ImpairmentProxy> {
  const jitter: Rng = mulberry32(opts.seed ?? 1);
  let faultRng: Rng = mulberry32(opts.randomFaults?.seed ?? 1);
  let random = opts.randomFaults;
  if (random) validateRandom(random);
  const latency: Record<Dir, Latency | undefined> = { toTarget: opts.latency?.toTarget, toClient: opts.latency?.toClient };
  validateLatency(latency.toTarget);
  validateLatency(latency.toClient);
  const queued: (readonly ProxyFault[])[] = [];
  const conns: Connection[] = [];
  const live = new Set<Connection>();
  let nextId = 1;

  const state: ProxyState = {
    total: { toTarget: 0, toClient: 0 },
    delayFor: (dir) => {
      const l = latency[dir];
      if (!l) return 0;
      return l.fixedMs + (l.jitterMs ? jitter() * l.jitterMs : 0);
    },
  };

  const uniformInt = (lo: number, hi: number): number => lo + Math.floor(faultRng() * (hi - lo + 1));
  const drawDir = (d: Dir | 'either'): Dir => (d === 'either' ? (faultRng() < 0.5 ? 'toTarget' : 'toClient') : d);

  /** The random mode's faults for one new connection. Always the same number of draws per rule, hit or miss. */
  const drawRandom = (): ProxyFault[] => {
    const out: ProxyFault[] = [];
    if (!random) return out;
    if (random.reset) {
      const r = random.reset;
      const hit = faultRng() < r.p;
      const dir = drawDir(r.dir);
      const afterBytes = uniformInt(r.afterBytes[0], r.afterBytes[1]);
      if (hit) out.push({ kind: 'reset', dir, afterBytes });
    }
    if (random.stall) {
      const s = random.stall;
      const hit = faultRng() < s.p;
      const dir = drawDir(s.dir);
      const afterBytes = uniformInt(s.afterBytes[0], s.afterBytes[1]);
      const ms = s.ms[0] + faultRng() * (s.ms[1] - s.ms[0]);
      if (hit) out.push({ kind: 'stall', dir, afterBytes, ms });
    }
    return out;
  };

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = createConnection({ host: opts.target.host, port: opts.target.port, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const conn = new Connection(nextId++, client, upstream, state);
    conns.push(conn);
    live.add(conn);
    // Draw for every connection even when a queued fault wins, so the random stream stays aligned with accept order.
    const drawn = drawRandom();
    const q = queued.shift();
    if (q) for (const f of q) conn.arm(f, 'queued');
    else for (const f of drawn) conn.arm(f, 'random');

    client.on('error', (e) => conn.failed('client', e));
    upstream.on('error', (e) => conn.failed('target', e));
    const onClose = (): void => {
      conn.maybeClosed();
      if (conn.closedAt !== undefined) live.delete(conn);
    };
    // A socket closed without error after its peer's FIN is a normal end; the pipes pass the FINs on. One closed
    // any other way without an error event (not seen in practice) takes the other side with it.
    client.on('close', () => {
      if (!conn.dead && !client.readableEnded) conn.abort('closed');
      onClose();
    });
    upstream.on('close', () => {
      if (!conn.dead && !upstream.readableEnded) conn.abort('closed');
      onClose();
    });
    client.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen?.port ?? 0, opts.listen?.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error('proxy has no address');

  const asList = (f: ProxyFault | readonly ProxyFault[]): readonly ProxyFault[] => {
    const list = Array.isArray(f) ? (f as readonly ProxyFault[]) : [f as ProxyFault];
    list.forEach(validateFault);
    return list;
  };

  let closed: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    setLatency: (dir, l) => {
      validateLatency(l);
      if (dir === 'both' || dir === 'toTarget') latency.toTarget = l;
      if (dir === 'both' || dir === 'toClient') latency.toClient = l;
    },
    stall: (ms, dir = 'both') => {
      if (!(ms >= 0)) throw new Error(`a stall needs ms >= 0, got ${ms}`);
      for (const c of live) {
        if (dir !== 'toClient') c.pipes.toTarget.stall(ms, 'now');
        if (dir !== 'toTarget') c.pipes.toClient.stall(ms, 'now');
      }
    },
    faultNextConnections: (f, count = 1) => {
      const list = asList(f);
      for (let i = 0; i < count; i++) queued.push(list);
    },
    faultOpenConnections: (f) => {
      const list = asList(f);
      for (const c of live) for (const fault of list) c.arm(fault, 'open');
    },
    setRandomFaults: (config) => {
      if (config) validateRandom(config);
      random = config;
      faultRng = mulberry32(config?.seed ?? 1);
    },
    queuedFaults: () => queued.length,
    bytes: () => ({ ...state.total }),
    connections: () => conns.map((c) => c.stats()),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of live) c.abort('proxy-closed');
      });
      return closed;
    },
  };
}
