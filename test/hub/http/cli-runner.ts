// Runs the real launcher as installers do (`node bin/fenghuo.js …`, which runs dist/), for the hub's and the box's
// enrolment verbs. dist/ must be built first (ensureDistBuilt).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../../node-daemon/core/paths.js';

const run = promisify(execFile);
export const root = packageRoot();
export const launcher = join(root, 'bin', 'fenghuo.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function fenghuo(cwd: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [launcher, ...args], { cwd, env: { ...process.env, LANG: 'C' }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A port free right now on loopback (the hub's config refuses port 0, as the box's does). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RunningHub {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  /** Stops it with SIGTERM (by its pid) and resolves to its exit code. */
  stop(): Promise<number | null>;
}

/** `fenghuo hub --config FILE` as a child process, resolved once it logged `hub.started`. */
export async function startHubProcess(cwd: string, config: string): Promise<RunningHub> {
  const child = spawn(process.execPath, [launcher, 'hub', '--config', config], { cwd, env: { ...process.env, LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`the hub did not start: ${stderr}`)), 30_000);
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (line.event === 'hub.started') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited ${code}: ${stderr}`));
    });
  });
  return {
    child,
    lines,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      return exited;
    },
  };
}
