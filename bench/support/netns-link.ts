import { execFile, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';

/**
 * A slow, metered, breakable link between a township box and the county hub, made of real kernel networking:
 * two network namespaces (box side, hub side) joined by a veth pair with IPv4 addresses on a private /30, shaped
 * with `tc qdisc … tbf` on each end's egress (so each direction has its own rate), cut with `ip link set … down`.
 * Processes the tests start (the daemon, the hub, probes) run inside a namespace through `spawn()` /
 * `ip netns exec`. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); `netnsAvailable()` says why not otherwise.
 *
 * Names: every namespace is `fenghuo-<pid-namespace inode>-<creator pid>-<block>-box|hub`, unique per process and
 * link, so test files running in parallel never clash. `close()` removes both namespaces (killing what still runs in
 * them); a process exit removes those its run left open; and a later run removes those whose creator pid is dead
 * (`removeStaleNetns()`, run before the first link of a process), which covers a crashed or SIGKILLed run.
 *
 * Addresses: each link takes its own /30 out of 10.199.0.0/16 (`<block>` in the names, box .1, hub .2 of the
 * block), never one another live link of this machine holds. Because each link lives in its own pair of namespaces
 * a clash could not misroute anything; distinct blocks keep listings, logs and captures unambiguous.
 *
 * The test process itself stays in its own namespace: it cannot connect to either address. Anything that talks over
 * the link runs inside a namespace (`spawn`, `exec`). The kernel here has tbf but no netem: latency, jitter, stalls
 * and resets mid-stream come from the userspace proxy (test/rigs/impairment-proxy.ts) instead.
 *
 * It lives in bench/ because the goodput bench (bench/sync-goodput.ts) runs over it too, and bench never imports
 * test/; the tests import it from here.
 */

export type Side = 'box' | 'hub';
/** `boxToHub` is shaped on the box end's egress, `hubToBox` on the hub end's. */
export type Direction = 'boxToHub' | 'hubToBox' | 'both';

/**
 * How `down()` cuts the link:
 * - `link` (default): `ip link set … down` on both ends. The kernel drops the /30's connected route with the link,
 *   so a new connection fails at once with ENETUNREACH (like a modem that has lost its PPP session); established
 *   connections see nothing at first: their segments are not delivered and are retransmitted, and they carry on
 *   after `up()` if TCP has not given up meanwhile (net.ipv4.tcp_retries2, about 15 minutes by default).
 * - `blackhole`: the link stays up but both ends' root qdisc becomes `blackhole`, which swallows every packet
 *   without a word (like a satellite fade or a 3G cell that takes packets and delivers nothing): a new connection
 *   hangs in SYN-SENT until its own timeout; established ones stall the same way.
 */
export type DownMode = 'link' | 'blackhole';

export interface NetnsEnd {
  readonly side: Side;
  /** The namespace's name, for `ip netns exec` / `ip -n`. */
  readonly netns: string;
  /** The veth end's name inside the namespace: always `box0` or `hub0`. */
  readonly ifname: string;
  /** Its IPv4 address (the /30's first host for the box, second for the hub). */
  readonly address: string;
}

export interface NetnsLinkOptions {
  /** Rate of both directions in kbit/s (tc's kbit: 1000 bit/s). Undefined: not shaped. */
  readonly rateKbit?: number;
  /** Overrides `rateKbit` for box → hub (the box's upload). */
  readonly boxToHubKbit?: number;
  /** Overrides `rateKbit` for hub → box. */
  readonly hubToBoxKbit?: number;
  /** How long a packet may wait in the shaper's queue before tbf drops it (see `tbfParams`). Default 500 ms. */
  readonly queueMs?: number;
  /** The pid written into the names, default this process's. Only tests of the stale sweep pass another. */
  readonly ownerPid?: number;
}

export interface SideCounters {
  /**
   * Bytes the veth end sent: whole frames, Ethernet header (14 bytes) and IP and TCP headers of every packet
   * included (GSO is off on the veth so no packet is bigger than the MTU), ARP too. A 3G meter bills IP packets:
   * subtract 14 bytes a packet to get its count.
   */
  readonly tx: number;
  /** Bytes it received. */
  readonly rx: number;
}

export interface LinkCounters {
  readonly box: SideCounters;
  readonly hub: SideCounters;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface NetnsLink {
  readonly box: NetnsEnd;
  readonly hub: NetnsEnd;
  /** The /30, e.g. `10.199.3.40/30`. */
  readonly subnet: string;
  /** The rate each direction is shaped to now, kbit/s; undefined: not shaped. */
  rates(): { readonly boxToHub: number | undefined; readonly hubToBox: number | undefined };
  /** Shapes a direction (or both) to `kbit` kbit/s, or removes the shaping with undefined. Applies at once. */
  setRate(kbit: number | undefined, dir?: Direction): Promise<void>;
  /** Cuts the link (see `DownMode`). Idempotent; a second call with another mode switches mode. */
  down(mode?: DownMode): Promise<void>;
  /** Restores the link as it was (addresses, routes, shaping). Idempotent. */
  up(): Promise<void>;
  /** Whether the link is up (not cut by `down()`). */
  isUp(): boolean;
  /**
   * The veth counters of both ends, read with `ip -s -j link` (the kernel's /sys/class/net/<if>/statistics). Two
   * reads at nearly the same time, not one snapshot: a packet crossing between them is in one end's count only.
   */
  bytes(): Promise<LinkCounters>;
  /**
   * Starts `command args…` inside a side's namespace via `ip netns exec NS setpriv --pdeathsig SIGTERM -- command
   * args…`. `ip` and `setpriv` each exec the next (no fork), so `child.pid` is the command's own pid and signals
   * reach it directly; the parent-death signal gives it SIGTERM should the test process die without `close()`.
   * Processes still running in the namespace at `close()` get SIGTERM, then SIGKILL after 2 s.
   */
  spawn(side: Side, command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command in a side's namespace to completion and collects its output (kills it after `timeoutMs`, default 30 s). */
  exec(side: Side, command: string, args?: readonly string[], options?: { timeoutMs?: number; input?: string }): Promise<ExecResult>;
  /** Kills what runs in the namespaces and removes them (the veth pair goes with them). Idempotent. */
  close(): Promise<void>;
}

export type NetnsAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const PREFIX = 'fenghuo-';
const NAME_RE = /^fenghuo-(\d+)-(\d+)-(\d+|probe)-(box|hub)$/;
const BASE = [10, 199] as const;
const BLOCKS = 1 << 14; // /30 blocks in a /16
const MTU_FRAME = 1514; // a full Ethernet frame as tbf counts it (1500 + 14 bytes of header)
const IP = 'ip';
/** util-linux's setpriv, to give spawned processes a parent-death signal (see `spawn`). */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const TC = 'tc';

interface CmdResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: NodeJS.ErrnoException;
}

function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      if (e && typeof e.code === 'string') resolve({ code: null, stdout, stderr, spawnError: e });
      else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

async function must(cmd: string, args: readonly string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    const why = r.spawnError ? r.spawnError.message : r.stderr.trim() || `exit ${r.code}`;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}`);
  }
  return r.stdout;
}

/** The inode of this process's pid namespace: pids are only comparable within one. */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function listNetns(): Promise<string[]> {
  const r = await run(IP, ['-j', 'netns', 'list']);
  if (r.code !== 0) return [];
  const text = r.stdout.trim();
  if (text === '') return [];
  try {
    return (JSON.parse(text) as { name: string }[]).map((n) => n.name);
  } catch {
    return text.split('\n').map((l) => l.split(' ')[0] ?? '').filter(Boolean);
  }
}

async function netnsPids(name: string): Promise<number[]> {
  const r = await run(IP, ['netns', 'pids', name]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** Kills every process inside the namespaces (SIGTERM, then SIGKILL after `graceMs`) and deletes them. */
async function destroyNetns(names: readonly string[], graceMs: number): Promise<void> {
  const pids = new Set<number>();
  for (const n of names) for (const p of await netnsPids(n)) pids.add(p);
  if (pids.size > 0) {
    for (const p of pids) signal(p, 'SIGTERM');
    const end = Date.now() + graceMs;
    while ([...pids].some(pidAlive) && Date.now() < end) await sleep(20);
    for (const p of pids) if (pidAlive(p)) signal(p, 'SIGKILL');
  }
  for (const n of names) await run(IP, ['netns', 'del', n]);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Removes the namespaces of earlier runs whose creator is dead (same pid namespace, pid no longer alive), killing
 * whatever still runs in them. Returns the names removed. Namespaces of live processes, and of other pid namespaces
 * (whose pids this process cannot judge), are left alone.
 */
export async function removeStaleNetns(): Promise<string[]> {
  const ours = pidNamespace();
  const stale = (await listNetns()).filter((name) => {
    const m = NAME_RE.exec(name);
    return m !== null && m[1] === ours && !pidAlive(Number(m[2]));
  });
  if (stale.length > 0) await destroyNetns(stale, 500);
  return stale;
}

/**
 * tbf's parameters for a rate (all in bytes):
 * - `burst`, the bucket: how much may leave at line speed after a pause. It must hold one full frame, or tbf drops
 *   every full-sized packet; much more than that lets a short transfer outrun the rate (a 32 KB bucket on a
 *   64 kbit/s link would be 4 s of traffic at wire speed). So: two full frames, or 5 ms of traffic at high rates so
 *   that the kernel's timers, not the bucket, pace the link.
 * - `limit`, the queue in front of the bucket: packets beyond it are dropped, and TCP retransmits them, as when a
 *   modem's buffer overflows. `queueMs` of traffic at the rate (a real 3G modem buffers hundreds of milliseconds),
 *   but never less than four full frames, else at low rates the queue could not hold even a small window and TCP
 *   would see little but drops.
 * tbf counts whole frames (Ethernet header included), so TCP's payload gets about 1448/1514 ≈ 96 % of the rate.
 */
export function tbfParams(kbit: number, queueMs = 500): { burst: number; limit: number } {
  if (!(kbit > 0) || !Number.isFinite(kbit)) throw new Error(`rate must be a positive number of kbit/s, got ${kbit}`);
  const bytesPerSec = (kbit * 1000) / 8;
  const burst = Math.max(2 * MTU_FRAME, Math.ceil(bytesPerSec * 0.005));
  const limit = Math.max(4 * MTU_FRAME, Math.ceil((bytesPerSec * queueMs) / 1000)) + burst;
  return { burst, limit };
}

let availability: Promise<NetnsAvailability> | undefined;

/**
 * Whether this machine can make the link, tried for real once per process (a throwaway namespace with a veth pair
 * and a tbf qdisc). The reason, when not, is exact enough to print beside a skipped test.
 */
export function netnsAvailable(): Promise<NetnsAvailability> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<NetnsAvailability> {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces are Linux only (this is ${process.platform})` };
  const uid = process.getuid?.();
  const notRoot = uid !== 0 ? ` (running as uid ${uid}, not root: ip netns needs CAP_SYS_ADMIN and CAP_NET_ADMIN; CI runs the tests as root)` : '';
  const v = await run(IP, ['-V']);
  if (v.spawnError) {
    return { ok: false, reason: `\`ip\` not found (${v.spawnError.code}): install Debian's iproute2 as root: apt-get update && apt-get install -y iproute2` };
  }
  const t = await run(TC, ['-V']);
  if (t.spawnError) return { ok: false, reason: `\`tc\` not found (${t.spawnError.code}): apt-get update && apt-get install -y iproute2` };
  const name = `${PREFIX}${pidNamespace()}-${process.pid}-probe-box`;
  const steps: [string, string[]][] = [
    [IP, ['netns', 'add', name]],
    [IP, ['-n', name, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1']],
    [TC, ['-n', name, 'qdisc', 'add', 'dev', 'probe0', 'root', 'tbf', 'rate', '1000kbit', 'burst', '3028', 'limit', '9000']],
    [TC, ['-n', name, 'qdisc', 'replace', 'dev', 'probe0', 'root', 'blackhole']],
  ];
  try {
    for (const [cmd, args] of steps) {
      const r = await run(cmd, args);
      if (r.code !== 0) return { ok: false, reason: `\`${cmd} ${args.join(' ')}\` failed: ${r.stderr.trim() || `exit ${r.code}`}${notRoot}` };
    }
    return { ok: true };
  } finally {
    await run(IP, ['netns', 'del', name]);
  }
}

// ---- bookkeeping for cleanup at exit ----

const open = new Set<string>();
let exitHooked = false;
let swept: Promise<unknown> | undefined;
let seq = 0;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // A normal exit (or an uncaught error) with links still open: remove them synchronously. A SIGKILLed run leaves
  // them to the next run's stale sweep.
  process.on('exit', () => {
    for (const name of open) {
      const pids = spawnSync(IP, ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
      for (const p of pids.split(/\s+/).filter(Boolean)) signal(Number(p), 'SIGKILL');
      spawnSync(IP, ['netns', 'del', name], { stdio: 'ignore' });
    }
  });
}

function blockAddress(block: number, host: number): string {
  const off = block * 4 + host;
  return `${BASE[0]}.${BASE[1]}.${off >> 8}.${off & 255}`;
}

/** Creates the link; rejects (after cleaning up) if any step fails. Check `netnsAvailable()` first. */
export async function createNetnsLink(opts: NetnsLinkOptions = {}): Promise<NetnsLink> {
  swept ??= removeStaleNetns().catch(() => []);
  await swept;
  hookExit();

  const owner = opts.ownerPid ?? process.pid;
  const mySeq = seq++;
  const taken = new Set<number>();
  for (const name of await listNetns()) {
    const m = NAME_RE.exec(name);
    if (m && m[3] !== 'probe') taken.add(Number(m[3]));
  }
  // Start from a place that depends on pid and sequence, so parallel processes rarely even look at the same block.
  let block = (owner * 131 + mySeq * 7) % BLOCKS;
  for (let i = 0; i < BLOCKS && taken.has(block); i++) block = (block + 1) % BLOCKS;

  const stem = `${PREFIX}${pidNamespace()}-${owner}-${block}`;
  const box: NetnsEnd = { side: 'box', netns: `${stem}-box`, ifname: 'box0', address: blockAddress(block, 1) };
  const hub: NetnsEnd = { side: 'hub', netns: `${stem}-hub`, ifname: 'hub0', address: blockAddress(block, 2) };
  const subnet = `${blockAddress(block, 0)}/30`;
  const queueMs = opts.queueMs ?? 500;
  const rate = { boxToHub: opts.boxToHubKbit ?? opts.rateKbit, hubToBox: opts.hubToBoxKbit ?? opts.rateKbit };
  const children = new Set<ChildProcess>();
  let state: 'up' | DownMode = 'up';
  let closed: Promise<void> | undefined;

  const endOf = (d: 'boxToHub' | 'hubToBox'): NetnsEnd => (d === 'boxToHub' ? box : hub);

  /** Puts the right root qdisc on one end: blackhole when cut so, tbf when shaped, the default otherwise. */
  const applyQdisc = async (d: 'boxToHub' | 'hubToBox'): Promise<void> => {
    const end = endOf(d);
    const base = ['-n', end.netns, 'qdisc'];
    if (state === 'blackhole') {
      await must(TC, [...base, 'replace', 'dev', end.ifname, 'root', 'blackhole']);
      return;
    }
    const kbit = rate[d];
    if (kbit === undefined) {
      // Back to the kernel's default qdisc; deleting when there is none is fine.
      await run(TC, [...base, 'del', 'dev', end.ifname, 'root']);
      return;
    }
    const { burst, limit } = tbfParams(kbit, queueMs);
    await must(TC, [...base, 'replace', 'dev', end.ifname, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burst), 'limit', String(limit)]);
  };

  open.add(box.netns);
  open.add(hub.netns);
  try {
    await must(IP, ['netns', 'add', box.netns]);
    await must(IP, ['netns', 'add', hub.netns]);
    // Made inside the box namespace with its peer sent straight to the hub's: the pair never exists in ours, so its
    // names only have to be unique within each namespace.
    await must(IP, ['-n', box.netns, 'link', 'add', box.ifname, 'type', 'veth', 'peer', 'name', hub.ifname, 'netns', hub.netns]);
    for (const end of [box, hub]) {
      await must(IP, ['-n', end.netns, 'addr', 'add', `${end.address}/30`, 'dev', end.ifname]);
      await must(IP, ['-n', end.netns, 'link', 'set', 'lo', 'up']);
      // One segment per packet (no GSO super-packets): the counters then see every packet's headers, as a
      // metered 3G link would bill them, and tbf paces packet by packet.
      await must(IP, ['-n', end.netns, 'link', 'set', end.ifname, 'gso_max_segs', '1']);
      await must(IP, ['-n', end.netns, 'link', 'set', end.ifname, 'up']);
    }
    await applyQdisc('boxToHub');
    await applyQdisc('hubToBox');
  } catch (e) {
    await destroyNetns([box.netns, hub.netns], 0);
    open.delete(box.netns);
    open.delete(hub.netns);
    throw e;
  }

  const nsOf = (side: Side): string => (side === 'box' ? box.netns : hub.netns);

  const readCounters = async (end: NetnsEnd): Promise<SideCounters> => {
    const out = await must(IP, ['-n', end.netns, '-s', '-j', 'link', 'show', 'dev', end.ifname]);
    const [info] = JSON.parse(out) as { stats64?: { rx: { bytes: number }; tx: { bytes: number } } }[];
    if (!info?.stats64) throw new Error(`no counters in: ${out}`);
    return { tx: info.stats64.tx.bytes, rx: info.stats64.rx.bytes };
  };

  const setLinks = async (updown: 'up' | 'down'): Promise<void> => {
    for (const end of [box, hub]) await must(IP, ['-n', end.netns, 'link', 'set', end.ifname, updown]);
  };

  const link: NetnsLink = {
    box,
    hub,
    subnet,
    rates: () => ({ ...rate }),
    setRate: async (kbit, dir = 'both') => {
      if (kbit !== undefined) tbfParams(kbit); // validates
      const dirs = dir === 'both' ? (['boxToHub', 'hubToBox'] as const) : ([dir] as const);
      for (const d of dirs) {
        rate[d] = kbit;
        await applyQdisc(d);
      }
    },
    down: async (mode = 'link') => {
      if (state === mode) return;
      if (state !== 'up') await link.up();
      state = mode;
      if (mode === 'link') await setLinks('down');
      else {
        await applyQdisc('boxToHub');
        await applyQdisc('hubToBox');
      }
    },
    up: async () => {
      if (state === 'up') return;
      const was = state;
      state = 'up';
      if (was === 'link') {
        // Bringing the links up re-adds the /30's connected routes (the addresses stayed).
        await setLinks('up');
      } else {
        await applyQdisc('boxToHub');
        await applyQdisc('hubToBox');
      }
    },
    isUp: () => state === 'up',
    bytes: async () => {
      const [b, h] = await Promise.all([readCounters(box), readCounters(hub)]);
      return { box: b, hub: h };
    },
    spawn: (side, command, args = [], options = {}) => {
      if (closed) throw new Error('link is closed');
      const cmd = SETPRIV ? [SETPRIV, '--pdeathsig', 'SIGTERM', '--', command, ...args] : [command, ...args];
      const child = spawn(IP, ['netns', 'exec', nsOf(side), ...cmd], options);
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    exec: (side, command, args = [], options = {}) =>
      new Promise<ExecResult>((resolve, reject) => {
        const child = link.spawn(side, command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
        child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
        child.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.once('close', (code, sig) => {
          clearTimeout(timer);
          resolve({ code, signal: sig, stdout, stderr });
        });
        // A command that exits before reading its input closes the pipe: EPIPE is then no error of the rig's.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(options.input ?? '');
      }),
    close: () => {
      closed ??= (async () => {
        // Our own children first (they may not be in the namespace's pid list yet if they just started), then
        // anything else in there (what they forked), then the namespaces.
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
        await destroyNetns([box.netns, hub.netns], 2_000);
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        open.delete(box.netns);
        open.delete(hub.netns);
      })();
      return closed;
    },
  };
  return link;
}
