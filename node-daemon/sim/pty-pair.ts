import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readlinkSync, rmSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Logger } from '../core/log.js';
import { packageRoot } from '../core/paths.js';

/**
 * Two linked pseudo-terminals for the embedded demo: bytes written to one device come out of the other, like the
 * two ends of a serial cable. Made by socat when it is on PATH, otherwise by node-daemon/sim/pty-bridge.py (Python 3
 * standard library), so that `npm start` works on a machine without socat. Either way the bridge runs in its own
 * process group (a Ctrl-C at the terminal reaches the daemon, which closes its ports before the bridge goes) and
 * exits by itself when its stdin pipe closes, i.e. when the daemon dies without calling close().
 */

export type PtyBridgeKind = 'socat' | 'python';

export interface PtyPairOptions {
  /** Directory of the two symlinks; created if missing. */
  readonly dir: string;
  /** File names of the two symlinks in `dir`. Default ['a', 'b']. */
  readonly names?: readonly [string, string];
  /** 'auto' (default): socat if on PATH, else python3. The others force one (tests). */
  readonly via?: 'auto' | PtyBridgeKind;
  /** Default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** PATH to search for socat/python3; default process.env.PATH. */
  readonly searchPath?: string;
  readonly log?: Logger;
}

export interface PtyPair {
  /** Symlink to the first pty. */
  readonly a: string;
  /** Symlink to the second pty. */
  readonly b: string;
  readonly via: PtyBridgeKind;
  /** Process id of the bridge (socat's supervising shell, or python3). */
  readonly pid: number;
  /** Whether the bridge is running. */
  alive(): boolean;
  /** Stops the bridge (both devices vanish) and removes the symlinks. Idempotent. */
  close(): Promise<void>;
}

export type PtyPairErrorCode =
  /** Neither socat nor python3 is on PATH (or the one forced is not). */
  | 'no_tool'
  /** The bridge did not report ready in time, or exited first. */
  | 'not_ready';

export class PtyPairError extends Error {
  constructor(
    readonly code: PtyPairErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PtyPairError';
  }
}

/** The Python bridge shipped in the repository (not compiled: found from the package root, also when run from dist/). */
export function ptyBridgeScript(): string {
  return join(packageRoot(), 'node-daemon', 'sim', 'pty-bridge.py');
}

/** Absolute path of an executable on the search path, or undefined. */
export function findOnPath(cmd: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Runs socat under a small shell that ends it when stdin closes (socat itself cannot watch its parent) and on
 * SIGTERM/SIGHUP/SIGINT, then waits for it, so that when the shell is gone socat is gone and has removed its links.
 */
const SOCAT_SUPERVISOR = [
  'exec 3<&0',
  '"$1" -d -d "pty,raw,echo=0,link=$2" "pty,raw,echo=0,link=$3" </dev/null &',
  's=$!',
  "trap 'kill -TERM $s 2>/dev/null' TERM HUP INT",
  '(read _x <&3; kill -TERM $s 2>/dev/null) </dev/null >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'st=0',
  'while kill -0 $s 2>/dev/null; do wait $s; st=$?; done',
  'kill -TERM $w 2>/dev/null',
  'exit $st',
].join('\n');

interface Started {
  readonly child: ChildProcess;
  readonly targets: readonly [string, string];
}

function spawnBridge(via: PtyBridgeKind, tool: string, a: string, b: string): ChildProcess {
  const stdio: ['pipe', 'pipe', 'pipe'] = ['pipe', 'pipe', 'pipe'];
  if (via === 'socat') return spawn('sh', ['-c', SOCAT_SUPERVISOR, 'fenghuo-pty', tool, a, b], { detached: true, stdio });
  // -I: ignore PYTHON* variables and the user's site-packages; the script needs only the standard library.
  return spawn(tool, ['-I', ptyBridgeScript(), a, b], { detached: true, stdio });
}

function readTarget(link: string): string | undefined {
  try {
    return readlinkSync(link);
  } catch {
    return undefined;
  }
}

async function startBridge(via: PtyBridgeKind, tool: string, a: string, b: string, timeoutMs: number): Promise<Started> {
  const child = spawnBridge(via, tool, a, b);
  let out = '';
  let err = '';
  let settled = false;
  const onStdout = (s: string): void => {
    out = (out + s).slice(0, 10_000);
    check();
  };
  const onStderr = (s: string): void => {
    err = (err + s).slice(-10_000);
    check();
  };
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
    fail(`exited (${signal ?? `code ${code}`}) before it was ready`);
  const onError = (e: Error): void => fail(`could not start: ${e.message}`);
  let resolveReady: (targets: readonly [string, string]) => void = () => undefined;
  let rejectReady: (e: Error) => void = () => undefined;
  const ready = new Promise<readonly [string, string]>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    child.stdout?.off('data', onStdout);
    child.stderr?.off('data', onStderr);
    child.off('exit', onExit);
    child.off('error', onError);
    // Keep draining (socat logs at exit) and never let an 'error' crash the daemon.
    child.stdout?.resume();
    child.stderr?.resume();
    child.on('error', () => undefined);
    return true;
  };
  function fail(why: string): void {
    if (!settle()) return;
    killGroup(child, 'SIGKILL');
    const detail = err.trim() ? `: ${err.trim().slice(-2_000)}` : '';
    rejectReady(new PtyPairError('not_ready', `${via} pty bridge ${why}${detail}`));
  }
  function succeed(targets: readonly [string, string]): void {
    if (settle()) resolveReady(targets);
  }
  function check(): void {
    if (settled) return;
    if (via === 'socat') {
      // socat logs this once both ptys exist and their links are in place.
      if (!err.includes('starting data transfer loop')) return;
      const ta = readTarget(a);
      const tb = readTarget(b);
      if (ta === undefined || tb === undefined) fail('reported ready but its links are missing');
      else succeed([ta, tb]);
      return;
    }
    const nl = out.indexOf('\n');
    if (nl < 0) return;
    const line = out.slice(0, nl);
    let parsed: { ready?: unknown; a?: unknown; b?: unknown } = {};
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      // reported below
    }
    if (parsed.ready === true && typeof parsed.a === 'string' && typeof parsed.b === 'string') succeed([parsed.a, parsed.b]);
    else fail(`printed an unexpected first line "${line.slice(0, 200)}"`);
  }
  child.stdout?.setEncoding('utf8').on('data', onStdout);
  child.stderr?.setEncoding('utf8').on('data', onStderr);
  child.on('exit', onExit);
  child.on('error', onError);

  const targets = await ready;
  // From here on the bridge must not keep the daemon alive by itself: if close() is never called, the process
  // exits, the stdin pipe closes and the bridge follows.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as { unref?: () => void } | null)?.unref?.();
  return { child, targets };
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals the bridge's whole process group (it was started detached, so the group is its own). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (!running(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** The tool to use, or a PtyPairError naming what is missing. */
export function choosePtyBridge(via: PtyPairOptions['via'] = 'auto', searchPath?: string): { via: PtyBridgeKind; tool: string } {
  const socat = via === 'python' ? undefined : findOnPath('socat', searchPath);
  if (socat) return { via: 'socat', tool: socat };
  if (via === 'socat') throw new PtyPairError('no_tool', 'socat not found on PATH');
  const python = findOnPath('python3', searchPath);
  if (python) return { via: 'python', tool: python };
  if (via === 'python') throw new PtyPairError('no_tool', 'python3 not found on PATH');
  throw new PtyPairError('no_tool', "neither socat nor python3 found: the demo's outputs are off");
}

export async function createPtyPair(opts: PtyPairOptions): Promise<PtyPair> {
  const { via, tool } = choosePtyBridge(opts.via, opts.searchPath);
  const [nameA, nameB] = opts.names ?? ['a', 'b'];
  mkdirSync(opts.dir, { recursive: true });
  const a = join(opts.dir, nameA);
  const b = join(opts.dir, nameB);
  const { child, targets } = await startBridge(via, tool, a, b, opts.readyTimeoutMs ?? 5_000);
  const pid = child.pid ?? -1;
  opts.log?.debug({ event: 'demo.pty_ready', via, a, b, targets, pid }, `pty pair ${a} <-> ${b} (${via})`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (running(child)) {
        child.stdin?.end();
        child.kill('SIGTERM');
        if (!(await waitExit(child, 2_000))) {
          killGroup(child, 'SIGKILL');
          await waitExit(child, 2_000);
        }
      }
      // The bridge removes its links; after a SIGKILL it could not. Leave a link alone if it now points elsewhere
      // (another pair was made at the same path since).
      for (const [link, target] of [[a, targets[0]], [b, targets[1]]] as const) {
        if (readTarget(link) === target) rmSync(link, { force: true });
      }
    })();
    return closing;
  };

  return { a, b, via, pid, alive: () => running(child), close };
}
