import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { startImpairmentProxy, type ImpairmentProxy, type ImpairmentProxyOptions } from './impairment-proxy.js';

/** What the target saw of one connection. */
interface TargetConn {
  received: number;
  error?: string;
  closed: boolean;
}

/**
 * The target (the hub's stand-in) on loopback. A connection's first line says what to do: `send N` → N bytes, then
 * FIN; `recv N` → reads N bytes, answers `ok`; `echo` → echoes everything.
 */
function startTarget(): Promise<{ server: Server; port: number; conns: TargetConn[] }> {
  const conns: TargetConn[] = [];
  const server = createServer((s) => {
    const tc: TargetConn = { received: 0, closed: false };
    conns.push(tc);
    s.on('error', (e: NodeJS.ErrnoException) => (tc.error = e.code));
    s.on('close', () => (tc.closed = true));
    let head = Buffer.alloc(0);
    let mode: ((c: Buffer) => void) | undefined;
    s.on('data', (d: Buffer) => {
      if (mode) return mode(d);
      head = Buffer.concat([head, d]);
      const nl = head.indexOf(10);
      if (nl < 0) return;
      const [cmd, arg] = head.subarray(0, nl).toString().split(' ');
      const rest = head.subarray(nl + 1);
      if (cmd === 'send') {
        s.end(Buffer.alloc(Number(arg), 120));
        mode = () => {};
      } else if (cmd === 'recv') {
        mode = (c) => {
          tc.received += c.length;
          if (tc.received >= Number(arg)) s.end('ok');
        };
        if (rest.length) mode(rest);
      } else {
        mode = (c) => s.write(c);
        if (rest.length) mode(rest);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0, conns });
    }),
  );
}

/** A client connection through the proxy that records every byte's arrival time and how it ended. */
class Client {
  readonly arrivals: { t: number; total: number }[] = [];
  total = 0;
  error: string | undefined;
  readonly done: Promise<void>;
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.total += d.length;
      this.arrivals.push({ t: performance.now(), total: this.total });
    });
    this.done = new Promise((resolve) => {
      this.socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code));
      this.socket.on('close', () => resolve());
    });
  }

  /** Writes `text` and resolves with the milliseconds until as many bytes came back (echo mode). */
  async echo(text: string): Promise<number> {
    const want = this.total + Buffer.byteLength(text);
    const t0 = performance.now();
    this.socket.write(text);
    await waitFor(() => this.total >= want, `echo of ${text}`, 5_000, 1);
    return performance.now() - t0;
  }
}

describe('impairment proxy', () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  const proxies: ImpairmentProxy[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await new Promise((r) => target.server.close(r));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    for (const p of proxies.splice(0)) await p.close();
  });

  async function proxy(opts: Omit<ImpairmentProxyOptions, 'target'> = {}): Promise<ImpairmentProxy> {
    const p = await startImpairmentProxy({ target: { host: '127.0.0.1', port: target.port }, ...opts });
    proxies.push(p);
    return p;
  }
  function client(p: ImpairmentProxy): Client {
    const c = new Client(p.port);
    clients.push(c);
    return c;
  }

  it('forwards both ways untouched and counts bytes each way, in total and per connection', async () => {
    const p = await proxy();
    expect(p.host).toBe('127.0.0.1');
    const down = client(p);
    down.socket.write('send 300000\n');
    await down.done;
    expect(down.total).toBe(300_000);
    expect(down.error).toBeUndefined();

    const up = client(p);
    up.socket.write('recv 200000\n');
    up.socket.write(Buffer.alloc(200_000, 1));
    await up.done;
    expect(up.total).toBe(2); // 'ok'

    const [c1, c2] = p.connections();
    expect(c1).toMatchObject({ id: 1, end: 'closed', forwarded: { toTarget: 12, toClient: 300_000 }, received: { toTarget: 12, toClient: 300_000 }, faults: [] });
    expect(c2).toMatchObject({ id: 2, forwarded: { toTarget: 12 + 200_000, toClient: 2 } });
    await waitFor(() => p.connections()[1]?.closedAt !== undefined, 'second connection closed');
    expect(p.connections()[1]?.end).toBe('closed');
    expect(p.bytes()).toEqual({ toTarget: 12 + 12 + 200_000, toClient: 300_002 });
  });

  it('adds fixed latency per direction, and changes it at run time', async () => {
    const p = await proxy({ latency: { toTarget: { fixedMs: 80 }, toClient: { fixedMs: 40 } } });
    const c = client(p);
    c.socket.write('echo\n');
    const rtts: number[] = [];
    for (let i = 0; i < 3; i++) rtts.push(await c.echo(`ping ${i}`));
    console.log(`round trips with 80 + 40 ms: ${rtts.map((r) => r.toFixed(0)).join(', ')} ms`);
    // At least the added 120 ms; the upper bound only says "not much more" (loopback itself takes well under 1 ms).
    for (const r of rtts) {
      expect(r).toBeGreaterThanOrEqual(119);
      expect(r).toBeLessThan(270);
    }
    p.setLatency('both', undefined);
    const fast = await c.echo('quick');
    expect(fast).toBeLessThan(60);
    p.setLatency('toClient', { fixedMs: 150 });
    const slow = await c.echo('slow again');
    expect(slow).toBeGreaterThanOrEqual(149);
    expect(slow).toBeLessThan(300);
  });

  it('adds seeded jitter on top: every delay within [fixed, fixed + jitter], and they differ', async () => {
    const p = await proxy({ seed: 7, latency: { toClient: { fixedMs: 20, jitterMs: 100 } } });
    const c = client(p);
    c.socket.write('echo\n');
    const rtts: number[] = [];
    for (let i = 0; i < 8; i++) rtts.push(await c.echo(`j${i}`));
    console.log(`round trips with 20 ms + U(0, 100) ms: ${rtts.map((r) => r.toFixed(0)).join(', ')} ms`);
    for (const r of rtts) {
      expect(r).toBeGreaterThanOrEqual(19);
      expect(r).toBeLessThan(270);
    }
    expect(Math.max(...rtts) - Math.min(...rtts)).toBeGreaterThan(20);
  });

  it('stalls a response mid-body: exactly K bytes, then nothing for the stall, then the rest', async () => {
    const p = await proxy();
    p.faultNextConnections({ kind: 'stall', dir: 'toClient', afterBytes: 50_000, ms: 400 });
    expect(p.queuedFaults()).toBe(1);
    const c = client(p);
    c.socket.write('send 200000\n');
    await c.done;
    expect(c.total).toBe(200_000);
    const at = c.arrivals.findIndex((a) => a.total === 50_000);
    expect(at).toBeGreaterThanOrEqual(0);
    const gap = (c.arrivals[at + 1]?.t ?? 0) - (c.arrivals[at]?.t ?? 0);
    console.log(`stall after 50000 bytes: next byte ${gap.toFixed(0)} ms later`);
    expect(gap).toBeGreaterThanOrEqual(390);
    expect(gap).toBeLessThan(1500);
    expect(p.connections()[0]?.faults).toMatchObject([{ kind: 'stall', dir: 'toClient', atByte: 50_000, ms: 400, source: 'queued' }]);
    expect(p.queuedFaults()).toBe(0);
  });

  it('stall(ms) holds every open connection now', async () => {
    const p = await proxy();
    const c = client(p);
    c.socket.write('echo\n');
    expect(await c.echo('warm')).toBeLessThan(150);
    await waitFor(() => p.connections().length === 1, 'the proxy saw the connection');
    p.stall(300);
    const held = await c.echo('held');
    expect(held).toBeGreaterThanOrEqual(290);
    expect(await c.echo('free')).toBeLessThan(150);
    expect(p.connections()[0]?.faults.map((f) => [f.kind, f.dir, f.source])).toEqual([
      ['stall', 'toTarget', 'now'],
      ['stall', 'toClient', 'now'],
    ]);
  });

  it('resets a response mid-body with an RST to both sides after exactly K bytes', async () => {
    const p = await proxy();
    p.faultNextConnections({ kind: 'reset', dir: 'toClient', afterBytes: 30_000 });
    const c = client(p);
    c.socket.write('send 100000\n');
    await c.done;
    expect(c.error).toBe('ECONNRESET');
    expect(c.total).toBe(30_000);
    await waitFor(() => p.connections()[0]?.closedAt !== undefined, 'the proxy closed both sides');
    const [conn] = p.connections();
    expect(conn).toMatchObject({ end: 'reset', forwarded: { toClient: 30_000 }, faults: [{ kind: 'reset', dir: 'toClient', atByte: 30_000 }] });
    // The target got the RST too.
    const t = target.conns.at(-1);
    await waitFor(() => t?.closed === true, 'the target side closed');
    expect(t?.error).toBe('ECONNRESET');
  });

  it('resets a request mid-body: the target gets exactly K bytes of the upload, then ECONNRESET', async () => {
    const p = await proxy();
    const header = 'recv 100000\n';
    p.faultNextConnections({ kind: 'reset', dir: 'toTarget', afterBytes: header.length + 40_000 });
    const c = client(p);
    c.socket.write(header);
    c.socket.write(Buffer.alloc(100_000, 1));
    await c.done;
    expect(c.error).toBe('ECONNRESET');
    const t = target.conns.at(-1);
    await waitFor(() => t?.closed === true, 'the target side closed');
    expect(t?.received).toBe(40_000);
    expect(t?.error).toBe('ECONNRESET');
  });

  it('faultOpenConnections counts from now, on a connection already in use', async () => {
    const p = await proxy();
    const c = client(p);
    c.socket.write('echo\n');
    await c.echo('0123456789');
    await waitFor(() => p.connections().length === 1, 'the proxy saw the connection');
    p.faultOpenConnections({ kind: 'reset', dir: 'toClient', afterBytes: 5 });
    expect(p.connections()[0]?.pending).toEqual([{ kind: 'reset', dir: 'toClient', afterBytes: 5 }]);
    c.socket.write('abcdefgh');
    await c.done;
    expect(c.total).toBe(10 + 5);
    expect(c.error).toBe('ECONNRESET');
  });

  it('random faults: drawn per connection from the seed, the same seed gives the same faults', async () => {
    const p = await proxy();
    const run = async (seed: number): Promise<string[]> => {
      p.setRandomFaults({ seed, reset: { p: 0.5, dir: 'toClient', afterBytes: [1_000, 5_000] } });
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        const c = client(p);
        c.socket.write('send 10000\n');
        await c.done;
        outcomes.push(c.error ? `${c.error}@${c.total}` : `ok@${c.total}`);
      }
      return outcomes;
    };
    const first = await run(42);
    const again = await run(42);
    const other = await run(43);
    console.log(`p 0.5, seed 42: ${first.join(' ')}`);
    console.log(`p 0.5, seed 43: ${other.join(' ')}`);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const resets = first.filter((o) => o.startsWith('ECONNRESET'));
    expect(resets.length).toBeGreaterThan(0);
    expect(resets.length).toBeLessThan(12);
    for (const r of resets) {
      const at = Number(r.split('@')[1]);
      expect(at).toBeGreaterThanOrEqual(1_000);
      expect(at).toBeLessThanOrEqual(5_000);
    }
    expect(first.filter((o) => o === 'ok@10000').length).toBe(12 - resets.length);
    expect(p.connections().slice(0, 12).map((c) => (c.faults[0] ? `${c.faults[0].source}@${c.faults[0].atByte}` : 'none'))).toEqual(
      first.map((o) => (o.startsWith('ok') ? 'none' : `random@${o.split('@')[1]}`)),
    );
    // Off again: the next connection is clean.
    p.setRandomFaults(undefined);
    const c = client(p);
    c.socket.write('send 10000\n');
    await c.done;
    expect(c.total).toBe(10_000);
  });

  it('validates its settings', async () => {
    const p = await proxy();
    expect(() => p.faultNextConnections({ kind: 'reset', dir: 'toClient', afterBytes: -1 })).toThrow(/afterBytes/);
    expect(() => p.setRandomFaults({ seed: 1, reset: { p: 2, dir: 'either', afterBytes: [0, 1] } })).toThrow(/p must be/);
    expect(() => p.setLatency('both', { fixedMs: -5 })).toThrow(/latency/);
    expect(() => p.stall(-1)).toThrow(/stall/);
  });
});

describe('impairment proxy in front of an HTTP server: what a sync client sees', () => {
  let http: HttpServer;
  let port = 0;
  let p: ImpairmentProxy;
  const body = Buffer.alloc(64 * 1024, 97);

  beforeAll(async () => {
    http = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const a = http.address();
    port = typeof a === 'object' && a ? a.port : 0;
    p = await startImpairmentProxy({ target: { host: '127.0.0.1', port } });
  });
  afterAll(async () => {
    await p.close();
    await new Promise((r) => http.close(r));
  });

  it('fetch() gets the headers, then the body read fails with ECONNRESET when the proxy resets mid-body', async () => {
    p.faultNextConnections({ kind: 'reset', dir: 'toClient', afterBytes: 20_000 });
    const res = await fetch(`http://127.0.0.1:${p.port}/batch`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    const err = await res.arrayBuffer().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(err).toBeInstanceOf(Error);
    // undici's words for it: TypeError 'terminated', caused by the socket's end (ECONNRESET, or its own
    // UND_ERR_SOCKET 'closed' when it has already seen the response's headers on a connection it will not reuse).
    expect(err?.message).toBe('terminated');
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(err?.cause?.code);
    // The next request goes through untouched.
    const ok = await fetch(`http://127.0.0.1:${p.port}/batch`, { headers: { connection: 'close' } });
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(body);
  });
});
