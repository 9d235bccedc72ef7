// `node bin/fenghuo.js …` (the launcher installers use, which runs dist/) as a child process whose JSON log lines are
// collected: the box (`run`) or the county hub (`hub`), started here or inside a network namespace of
// netns-link.ts (the spawner decides). Shared by the benches (sync-goodput) and the tests (impaired link, crashes):
// bench never imports test/, so it lives here.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../node-daemon/core/paths.js';

export const launcher = join(packageRoot(), 'bin', 'fenghuo.js');

export type Line = Record<string, unknown> & { readonly event?: string };

/** Starts a command: here (`localSpawner`) or, e.g., `(c, a, o) => link.spawn('box', c, a, o)` in a namespace. */
export type Spawner = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export const localSpawner: Spawner = (command, args, options) => spawn(command, [...args], options);

export interface FenghuoProcess {
  readonly child: ChildProcess;
  readonly lines: Line[];
  events(name: string): Line[];
  diagnostics(): string;
  /** Resolves to the exit code (null when killed by a signal) once it exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (SIGKILL after `timeoutMs`), resolves to the exit code once stdout is drained. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, as a crash or a power cut: resolves once it is gone. */
  kill9(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it gives a value (not undefined or false); on timeout throws with `what`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string | (() => string),
  intervalMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const text = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${text}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`);
    }
    await sleep(intervalMs);
  }
}

/** `node bin/fenghuo.js ARGS` through `spawner`, its stdout's JSON lines collected. */
export function spawnFenghuo(spawner: Spawner, label: string, cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): FenghuoProcess {
  const child = spawner(process.execPath, [launcher, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LANG: 'C', FENGHUO_LOG_LEVEL: 'info', ...env },
  });
  const lines: Line[] = [];
  let other = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-10_000)));
  const stdoutEnded = new Promise<void>((resolve) => (child.stdout ? child.stdout.once('end', () => resolve()) : resolve()));
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as Line);
      } catch {
        other = (other + line + '\n').slice(-5_000);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const isExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    lines,
    exited,
    events: (name) => lines.filter((l) => l.event === name),
    diagnostics: () =>
      `${label} exit ${String(child.exitCode ?? child.signalCode)}; stderr: ${stderr.slice(-3_000)}\nnon-JSON stdout: ${other.slice(-1_000)}\n` +
      `last sync/hub lines: ${JSON.stringify(lines.filter((l) => /^(sync|hub)\./.test(String(l.event))).slice(-8))}\nlast lines: ${JSON.stringify(lines.slice(-5))}`,
    async stop(timeoutMs = 10_000) {
      if (!isExited()) child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(guard);
      await Promise.race([stdoutEnded, sleep(2_000)]);
      return code;
    },
    async kill9() {
      if (!isExited()) child.kill('SIGKILL');
      await exited;
      await Promise.race([stdoutEnded, sleep(2_000)]);
    },
  };
}

/** Resolves once `p` logged `event`; rejects if it exits first or `timeoutMs` passes. */
export async function loggedEvent(p: FenghuoProcess, event: string, timeoutMs: number): Promise<void> {
  await Promise.race([
    waitFor(() => p.events(event).length > 0, timeoutMs, () => `${event}: ${p.diagnostics()}`),
    p.exited.then(() => sleep(200)).then(() => {
      if (p.events(event).length === 0) throw new Error(`exited before ${event}: ${p.diagnostics()}`);
    }),
  ]);
}

/** `node bin/fenghuo.js ARGS` here, to completion. */
export function runFenghuo(cwd: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [launcher, ...args], { cwd, env: { ...process.env, LANG: 'C' }, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code: unknown = err === null ? 0 : (err as { code?: unknown }).code;
      if (typeof code !== 'number') reject(err ?? new Error('no exit code'));
      else resolve({ code, stdout, stderr });
    });
  });
}
