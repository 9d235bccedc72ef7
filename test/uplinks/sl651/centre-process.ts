// `fenghuo sim --sl651-centre` as a child process for tests: the real CLI (bin/fenghuo.js → dist/, so call
// ensureDistBuilt() first) playing an SL 651 county centre; its JSON lines collected, queries written to its stdin.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../../node-daemon/core/paths.js';
import { waitFor } from '../../helpers/wait-for.js';

/** One JSON line of the simulator (fields: see node-daemon/uplinks/sl651/centre-sim.ts). */
export type CentreLine = Record<string, unknown> & { readonly event: string };

/** An element as the simulator logs it. */
export interface CentreElement {
  readonly id: string;
  readonly ascii?: string | null;
  readonly value?: number | null;
  readonly values?: readonly (number | null)[];
  readonly stepMinutes?: number;
}

export interface CentreProcess {
  readonly child: ChildProcess;
  /** Every line so far, in order. */
  readonly lines: readonly CentreLine[];
  /** The port it listens on (the real one when started on port 0). */
  readonly port: number;
  /** The first line at index `from` or later that matches; fails after `timeoutMs` listing the lines seen. */
  next(match: (l: CentreLine) => boolean, what: string, from?: number, timeoutMs?: number): Promise<CentreLine>;
  /** Writes one query (or any JSON command) to its stdin. */
  command(json: object): void;
  /** Lines that did not parse as JSON, and stderr: for failure messages. */
  diagnostics(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 5 s); resolves to the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** SIGKILL (a centre that dies), then waits for the exit. */
  kill9(): Promise<void>;
  exited(): boolean;
}

export interface StartCentreOptions {
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  /** Extra flags: `--password 9999`, `--no-confirm`, `--end eot`… */
  readonly args?: readonly string[];
  /** How long to wait for the `listening` line (default 15 s). */
  readonly startTimeoutMs?: number;
}

/** The elements of a `frame`/`answer` line (empty when it has none). */
export function lineElements(l: CentreLine): CentreElement[] {
  return Array.isArray(l.elements) ? (l.elements as CentreElement[]) : [];
}

/** The element `id` of a line, or undefined. */
export function lineElement(l: CentreLine, id: string): CentreElement | undefined {
  return lineElements(l).find((e) => e.id === id);
}

/** Starts the simulator and resolves once it printed `listening`. */
export async function startCentreProcess(opts: StartCentreOptions = {}): Promise<CentreProcess> {
  const root = packageRoot();
  const bind = `${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}`;
  const child = spawn(process.execPath, [join(root, 'bin', 'fenghuo.js'), 'sim', '--sl651-centre', bind, ...(opts.args ?? [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LANG: 'C' },
  });
  const lines: CentreLine[] = [];
  let other = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-10_000)));
  // A write after the child exited must not crash the test process.
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const isExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as CentreLine);
    } catch {
      other = (other + line + '\n').slice(-5_000);
    }
  });
  const diagnostics = (): string => `stderr: ${stderr.slice(-3_000)}\nnon-JSON stdout: ${other.slice(-1_000)}`;
  const dump = (from: number): string =>
    lines
      .slice(from)
      .map((l) => JSON.stringify({ ...l, hex: undefined }))
      .join('\n');
  const next = async (match: (l: CentreLine) => boolean, what: string, from = 0, timeoutMs = 15_000): Promise<CentreLine> => {
    try {
      await waitFor(() => lines.slice(from).some(match) || isExited(), what, timeoutMs, 20);
    } catch {
      throw new Error(`centre ${bind}: timed out waiting for ${what}; lines from ${from}:\n${dump(from)}\n${diagnostics()}`);
    }
    const found = lines.slice(from).find(match);
    if (found === undefined) throw new Error(`centre ${bind} exited (code ${child.exitCode}) before ${what}:\n${dump(from)}\n${diagnostics()}`);
    return found;
  };
  const stop = async (): Promise<number | null> => {
    if (!isExited()) child.kill('SIGTERM');
    const force = setTimeout(() => {
      if (!isExited()) child.kill('SIGKILL');
    }, 5_000);
    const code = await exited;
    clearTimeout(force);
    return code;
  };
  let listening: CentreLine;
  try {
    listening = await next((l) => l.event === 'listening', 'the listening line', 0, opts.startTimeoutMs ?? 15_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const port = Number(String(listening.address).split(':').pop());
  return {
    child,
    lines,
    port,
    next,
    command: (json) => {
      child.stdin?.write(`${JSON.stringify(json)}\n`);
    },
    diagnostics,
    stop,
    kill9: async () => {
      if (!isExited()) child.kill('SIGKILL');
      await exited;
    },
    exited: isExited,
  };
}
