import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A pair of connected pseudo-terminals made by socat, reachable through fixed symlinks `dir/a` and `dir/b`:
 * bytes written to one come out of the other, like the two ends of an RS-485 line. `kill()` makes both devices
 * disappear (as when a USB adapter is pulled) and `recreate()` brings them back at the same paths.
 */
export interface PtyPair {
  readonly dir: string;
  /** Conventionally the master (our bus) end. */
  readonly a: string;
  /** Conventionally the slave (pymodbus) end. */
  readonly b: string;
  /** Whether socat is running now. */
  alive(): boolean;
  /** Stops socat; both paths vanish. Idempotent. */
  kill(): Promise<void>;
  /** Starts socat again with the same paths (kills the running one first). */
  recreate(): Promise<void>;
  /** Stops socat and removes the temp dir. */
  close(): Promise<void>;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startSocat(a: string, b: string, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`socat not ready within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      err = (err + s).slice(-10_000);
      // socat logs this once both ptys exist and their links are in place.
      if (err.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited (code ${code}) before it was ready: ${err}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  child.stderr?.resume();
  return child;
}

export async function createPtyPair(opts: { readyTimeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const timeoutMs = opts.readyTimeoutMs ?? 5_000;
  let child: ChildProcess | undefined = await startSocat(a, b, timeoutMs);

  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      const force = setTimeout(() => c.kill('SIGKILL'), 2_000);
      await waitExit(c);
      clearTimeout(force);
    }
    // socat removes its links on SIGTERM; make sure even after SIGKILL that the paths are gone.
    rmSync(a, { force: true });
    rmSync(b, { force: true });
  };

  return {
    dir,
    a,
    b,
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    kill,
    recreate: async () => {
      await kill();
      child = await startSocat(a, b, timeoutMs);
    },
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
