import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetnsLink, netnsAvailable, removeStaleNetns, tbfParams, type NetnsLink } from '../../bench/support/netns-link.js';

const avail = await netnsAvailable();
if (!avail.ok) console.warn(`SKIPPED netns-link tests: ${avail.reason}`);
const skip = !avail.ok;

const PORT = 7000; // inside the hub's own namespace: nothing else can hold it

/**
 * Runs in the hub namespace: a TCP server. A connection's first line says what to do:
 * `send N` → N bytes back, then FIN; `recv N` → reads N bytes, answers `ok\n`; `echo` → echoes everything.
 */
const SERVER = String.raw`
const net = require('node:net');
const [host, port] = process.argv.slice(1);
net.createServer((s) => {
  s.on('error', () => {});
  let head = Buffer.alloc(0);
  const onData = (d) => {
    head = Buffer.concat([head, d]);
    const nl = head.indexOf(10);
    if (nl < 0) return;
    s.off('data', onData);
    const [cmd, arg] = head.subarray(0, nl).toString().split(' ');
    const rest = head.subarray(nl + 1);
    if (cmd === 'send') s.end(Buffer.alloc(Number(arg), 120));
    else if (cmd === 'recv') {
      let got = rest.length;
      const check = () => { if (got >= Number(arg)) s.end('ok\n'); };
      s.on('data', (c) => { got += c.length; check(); });
      check();
    } else if (cmd === 'echo') {
      if (rest.length) s.write(rest);
      s.on('data', (c) => s.write(c));
    }
  };
  s.on('data', onData);
}).listen(Number(port), host, () => console.log('listening'));
`;

/**
 * Runs in the box namespace: reads one JSON command a line from stdin, prints one JSON answer a line.
 * { op: 'download', n } / { op: 'upload', n }: one connection, answers { ok, ms, bytes } timed from connect to done;
 * { op: 'connect', timeoutMs }: a fresh connection, answers { ok, ms } or { ok: false, code };
 * { op: 'open' } then { op: 'echo', text, timeoutMs }: one long-lived connection, echo through it.
 */
const CLIENT = String.raw`
const net = require('node:net');
const readline = require('node:readline');
const [host, port] = process.argv.slice(1);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let held;
function connect(timeoutMs, cb) {
  const t0 = performance.now();
  const s = net.connect(Number(port), host);
  const timer = setTimeout(() => { s.destroy(); cb({ ok: false, code: 'TIMEOUT', ms: performance.now() - t0 }); }, timeoutMs);
  s.once('connect', () => { clearTimeout(timer); cb({ ok: true, ms: performance.now() - t0, socket: s, t0 }); });
  s.once('error', (e) => { clearTimeout(timer); cb({ ok: false, code: e.code, ms: performance.now() - t0 }); });
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.op === 'download' || cmd.op === 'upload') {
    connect(10000, (r) => {
      if (!r.ok) return out(r);
      const s = r.socket;
      const t0 = performance.now();
      let bytes = 0;
      s.on('data', (d) => { bytes += d.length; });
      s.on('end', () => out({ ok: true, ms: performance.now() - t0, bytes }));
      if (cmd.op === 'download') s.write('send ' + cmd.n + '\n');
      else { s.write('recv ' + cmd.n + '\n'); s.write(Buffer.alloc(cmd.n, 121)); }
    });
  } else if (cmd.op === 'connect') {
    connect(cmd.timeoutMs, (r) => { if (r.socket) r.socket.destroy(); out({ ok: r.ok, code: r.code, ms: r.ms }); });
  } else if (cmd.op === 'open') {
    connect(5000, (r) => {
      if (!r.ok) return out(r);
      held = r.socket;
      held.on('error', () => {});
      held.write('echo\n');
      out({ ok: true });
    });
  } else if (cmd.op === 'echo') {
    const t0 = performance.now();
    let got = '';
    const timer = setTimeout(() => { held.off('data', onData); out({ ok: false, code: 'TIMEOUT', got }); }, cmd.timeoutMs);
    const onData = (d) => {
      got += d;
      if (got.includes(cmd.text)) { clearTimeout(timer); held.off('data', onData); out({ ok: true, ms: performance.now() - t0 }); }
    };
    held.on('data', onData);
    held.write(cmd.text);
  }
});
`;

interface Answer {
  ok: boolean;
  ms: number;
  code?: string;
  bytes?: number;
}

/** The box-side client, driven line by line. */
class BoxClient {
  private readonly waiting: ((a: Answer) => void)[] = [];

  constructor(readonly child: ChildProcess) {
    if (!child.stdout) throw new Error('no stdout');
    createInterface({ input: child.stdout }).on('line', (l) => this.waiting.shift()?.(JSON.parse(l) as Answer));
  }

  ask(cmd: Record<string, unknown>): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin?.write(JSON.stringify(cmd) + '\n');
    });
  }
}

async function startPair(link: NetnsLink): Promise<BoxClient> {
  const server = link.spawn('hub', process.execPath, ['-e', SERVER, link.hub.address, String(PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.stdout?.once('data', () => resolve());
    server.once('exit', (code) => reject(new Error(`hub server exited (${code})`)));
  });
  const client = link.spawn('box', process.execPath, ['-e', CLIENT, link.hub.address, String(PORT)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new BoxClient(client);
}

/** Seconds a payload of `bytes` needs at `kbit` kbit/s. */
const secondsAt = (bytes: number, kbit: number): number => (bytes * 8) / (kbit * 1000);

describe('tbf parameters', () => {
  it('keep a full frame in the bucket and a small window in the queue at any rate', () => {
    for (const kbit of [9.6, 64, 384, 2000, 100_000]) {
      const { burst, limit } = tbfParams(kbit);
      expect(burst).toBeGreaterThanOrEqual(2 * 1514);
      expect(limit - burst).toBeGreaterThanOrEqual(4 * 1514);
    }
    // At 100 Mbit/s the bucket is 5 ms of traffic and the queue 500 ms.
    expect(tbfParams(100_000)).toEqual({ burst: 62_500, limit: 6_250_000 + 62_500 });
    expect(() => tbfParams(0)).toThrow(/positive/);
  });
});

describe('netns link: two namespaces, a veth pair, tbf each way', () => {
  let link: NetnsLink;
  let box: BoxClient;

  beforeAll(async () => {
    if (skip) return;
    link = await createNetnsLink({ rateKbit: 1000 });
    box = await startPair(link);
  });
  afterAll(async () => {
    await link?.close();
  });

  it.skipIf(skip)('names, addresses and a /30 of its own', async () => {
    expect(link.box.netns).toMatch(new RegExp(`^fenghuo-\\d+-${process.pid}-\\d+-box$`));
    expect(link.hub.netns).toBe(link.box.netns.replace(/-box$/, '-hub'));
    expect(link.subnet).toMatch(/^10\.199\.\d+\.\d+\/30$/);
    const [a, b, c, d] = link.subnet.split(/[./]/).map(Number);
    expect(link.box.address).toBe(`${a}.${b}.${c}.${(d ?? 0) + 1}`);
    expect(link.hub.address).toBe(`${a}.${b}.${c}.${(d ?? 0) + 2}`);
    // A second link at the same time gets another block.
    const other = await createNetnsLink();
    try {
      expect(other.subnet).not.toBe(link.subnet);
      expect(other.box.netns).not.toBe(link.box.netns);
    } finally {
      await other.close();
    }
  });

  it.skipIf(skip)('spawn runs the command itself inside the namespace: its pid is the child pid, it sees only lo and its veth', async () => {
    const child = link.spawn('box', process.execPath, ['-e', 'console.log(JSON.stringify({ pid: process.pid, ifs: require("node:os").networkInterfaces() }))'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    await new Promise((r) => child.once('close', r));
    const seen = JSON.parse(out) as { pid: number; ifs: Record<string, { address: string; family: string }[]> };
    expect(seen.pid).toBe(child.pid);
    expect(Object.keys(seen.ifs).sort()).toEqual(['box0', 'lo']);
    expect(seen.ifs.box0?.find((i) => i.family === 'IPv4')?.address).toBe(link.box.address);
    const r = await link.exec('hub', 'ip', ['-br', 'addr']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${link.hub.address}/30`);
    expect(r.stdout).not.toContain(link.box.address);
  });

  it.skipIf(skip)('a download takes about as long as the rate says, and setRate changes it at once', async () => {
    const n = 250_000;
    const slow = await box.ask({ op: 'download', n });
    expect(slow).toMatchObject({ ok: true, bytes: n });
    const expected = secondsAt(n, 1000) * 1000; // 2000 ms
    console.log(`250 kB at 1000 kbit/s: ${slow.ms.toFixed(0)} ms (rate says ${expected} ms)`);
    expect(slow.ms).toBeGreaterThan(0.5 * expected);
    expect(slow.ms).toBeLessThan(1.5 * expected);

    await link.setRate(4000);
    expect(link.rates()).toEqual({ boxToHub: 4000, hubToBox: 4000 });
    const fast = await box.ask({ op: 'download', n });
    const expectedFast = secondsAt(n, 4000) * 1000; // 500 ms
    console.log(`250 kB at 4000 kbit/s: ${fast.ms.toFixed(0)} ms (rate says ${expectedFast} ms)`);
    expect(fast.ms).toBeGreaterThan(0.5 * expectedFast);
    expect(fast.ms).toBeLessThan(1.5 * expectedFast);
    await link.setRate(1000);
  });

  it.skipIf(skip)('each direction has its own rate: a slow upload beside an unshaped download', async () => {
    await link.setRate(500, 'boxToHub');
    await link.setRate(undefined, 'hubToBox');
    try {
      const up = await box.ask({ op: 'upload', n: 100_000 });
      const expected = secondsAt(100_000, 500) * 1000; // 1600 ms
      console.log(`100 kB up at 500 kbit/s: ${up.ms.toFixed(0)} ms (rate says ${expected} ms)`);
      expect(up.ok).toBe(true);
      expect(up.ms).toBeGreaterThan(0.5 * expected);
      expect(up.ms).toBeLessThan(1.5 * expected);
      const down = await box.ask({ op: 'download', n: 1_000_000 });
      console.log(`1 MB down unshaped (its ACKs go up the 500 kbit/s side): ${down.ms.toFixed(0)} ms`);
      expect(down).toMatchObject({ ok: true, bytes: 1_000_000 });
      // 1 MB at 500 kbit/s would take 16 s. Not instant either: its ACKs (a 66-byte packet per one or two segments)
      // queue on the slow uplink, as on a real asymmetric link.
      expect(down.ms).toBeLessThan(3_000);
    } finally {
      await link.setRate(1000);
    }
  });

  it.skipIf(skip)('the counters count what crossed the veth, each way', async () => {
    await link.setRate(undefined);
    try {
      const before = await link.bytes();
      const r = await box.ask({ op: 'download', n: 500_000 });
      expect(r.bytes).toBe(500_000);
      const after = await link.bytes();
      const hubTx = after.hub.tx - before.hub.tx;
      const boxRx = after.box.rx - before.box.rx;
      const boxTx = after.box.tx - before.box.tx;
      console.log(`500 kB download: hub tx ${hubTx}, box rx ${boxRx}, box tx ${boxTx} bytes`);
      // Payload plus TCP/IP/Ethernet headers: a few per cent more (up to ~15 % when a loaded machine makes the sender
      // write smaller segments; a counter counting twice would show 2×), and what one end sent the other received
      // (give or take a last small packet, an ACK or a FIN, crossing between the two reads).
      expect(hubTx).toBeGreaterThanOrEqual(500_000);
      expect(hubTx).toBeLessThan(500_000 * 1.2);
      expect(Math.abs(boxRx - hubTx)).toBeLessThanOrEqual(200);
      // The other way only the request line and ACKs.
      expect(boxTx).toBeGreaterThan(0);
      expect(boxTx).toBeLessThan(50_000);
      expect(Math.abs(after.hub.rx - before.hub.rx - boxTx)).toBeLessThanOrEqual(200);
    } finally {
      await link.setRate(1000);
    }
  });

  it.skipIf(skip)('down() fails new connections at once, an open connection waits it out, up() restores both', async () => {
    await link.setRate(undefined);
    try {
      expect((await box.ask({ op: 'open' })).ok).toBe(true);
      expect((await box.ask({ op: 'echo', text: 'before', timeoutMs: 2000 })).ok).toBe(true);

      await link.down();
      expect(link.isUp()).toBe(false);
      const refused = await box.ask({ op: 'connect', timeoutMs: 3000 });
      expect(refused).toMatchObject({ ok: false, code: 'ENETUNREACH' });
      expect(refused.ms).toBeLessThan(500);
      // Sent while down: not delivered, but not lost either.
      const during = box.ask({ op: 'echo', text: 'during', timeoutMs: 8000 });
      await new Promise((r) => setTimeout(r, 700));

      await link.up();
      expect(link.isUp()).toBe(true);
      const echoed = await during;
      expect(echoed.ok).toBe(true);
      expect(echoed.ms).toBeGreaterThan(600); // it waited for up()
      expect((await box.ask({ op: 'connect', timeoutMs: 3000 })).ok).toBe(true);
    } finally {
      await link.up();
      await link.setRate(1000);
    }
  });

  it.skipIf(skip)('down("blackhole") swallows packets: a connect hangs until its own timeout; up() restores the shaping', async () => {
    await link.down('blackhole');
    const hung = await box.ask({ op: 'connect', timeoutMs: 800 });
    expect(hung).toMatchObject({ ok: false, code: 'TIMEOUT' });
    await link.up();
    expect((await box.ask({ op: 'connect', timeoutMs: 3000 })).ok).toBe(true);
    const qdisc = await link.exec('box', 'tc', ['qdisc', 'show', 'dev', 'box0']);
    expect(qdisc.stdout).toMatch(/tbf .*rate 1Mbit/);
  });
});

describe('netns link cleanup', () => {
  const list = async (): Promise<string> => {
    const r = await new Promise<string>((resolve) => {
      const c = spawn('ip', ['netns', 'list'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      c.once('close', () => resolve(out));
    });
    return r;
  };

  it.skipIf(skip)('close() kills what runs inside and removes both namespaces', async () => {
    const link = await createNetnsLink({ rateKbit: 64 });
    const sleeper = link.spawn('hub', 'sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise((r) => sleeper.once('exit', r));
    expect(await list()).toContain(link.box.netns);
    await link.close();
    await exited;
    const names = await list();
    expect(names).not.toContain(link.box.netns);
    expect(names).not.toContain(link.hub.netns);
    await link.close(); // idempotent
  });

  it.skipIf(skip)('a later run removes the namespaces of a dead creator, and the processes in them', async () => {
    // The "crashed run": a process of ours that lives while the link is made (so that no sweep of a test file
    // running in parallel takes it half made), then dies.
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    const stale = await createNetnsLink({ ownerPid: owner.pid });
    const live = await createNetnsLink();
    try {
      expect(stale.box.netns).toContain(`-${owner.pid}-`);
      const sleeper = stale.spawn('box', 'sleep', ['60'], { stdio: 'ignore' });
      const exited = new Promise((r) => sleeper.once('exit', r));
      await removeStaleNetns();
      expect(await list()).toContain(stale.box.netns); // its owner lives
      owner.kill('SIGKILL');
      await new Promise((r) => owner.once('exit', r));
      await removeStaleNetns();
      await exited;
      const names = await list();
      expect(names).not.toContain(stale.box.netns);
      expect(names).not.toContain(stale.hub.netns);
      // Ours (a live pid) stay.
      expect(names).toContain(live.box.netns);
      expect(names).toContain(live.hub.netns);
    } finally {
      await stale.close();
      await live.close();
    }
  });
});
