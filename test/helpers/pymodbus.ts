import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../node-daemon/core/paths.js';

/** Register tables of the test slave: decimal start address -> consecutive 16-bit words. */
export interface SlaveUnitMap {
  holding?: Record<string, number[]>;
  input?: Record<string, number[]>;
}

/** Units not listed never answer (a silent slave on the line). */
export interface SlaveMap {
  units: Record<string, SlaveUnitMap>;
}

export type SlaveEndpoint =
  | { kind: 'tcp'; host?: string; port?: number }
  | { kind: 'rtu'; path: string; baud?: number; parity?: 'N' | 'E' | 'O'; stopbits?: 1 | 2 };

export interface StartSlaveOptions {
  map: SlaveMap;
  endpoint: SlaveEndpoint;
  /** How long to wait for the slave's READY line. */
  readyTimeoutMs?: number;
}

export interface RunningSlave {
  readonly pid: number;
  /** TCP only. */
  readonly host?: string;
  readonly port?: number;
  /** RTU only: the pty end the slave listens on. */
  readonly path?: string;
  /** SIGTERM, then waits for exit (SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, as if the device lost power. Idempotent. */
  kill9(): Promise<void>;
  /** Everything the slave wrote to stderr so far (pymodbus logs), for failing-test diagnostics. */
  stderr(): string;
}

export const PYMODBUS_PYTHON = '/usr/bin/python3';

export function pymodbusSlaveScript(): string {
  return join(packageRoot(), 'test', 'peers', 'pymodbus_slave.py');
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the slave needs a concrete port on its command line). */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts test/peers/pymodbus_slave.py and resolves once it printed READY. */
export async function startPymodbusSlave(opts: StartSlaveOptions): Promise<RunningSlave> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-slave-'));
  const mapPath = join(dir, 'map.json');
  writeFileSync(mapPath, JSON.stringify(opts.map));

  const ep = opts.endpoint;
  let host: string | undefined;
  let port: number | undefined;
  const args = [pymodbusSlaveScript()];
  if (ep.kind === 'tcp') {
    host = ep.host ?? '127.0.0.1';
    port = ep.port ?? (await freeTcpPort(host));
    args.push('--tcp', `${host}:${port}`);
  } else {
    args.push('--rtu', ep.path, '--baud', String(ep.baud ?? 9600), '--parity', ep.parity ?? 'N', '--stopbits', String(ep.stopbits ?? 1));
  }
  args.push('--map', mapPath);

  const child = spawn(PYMODBUS_PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err = (err + s).slice(-20_000);
  });
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  child.once('exit', cleanup);

  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pymodbus slave not READY within ${timeoutMs} ms: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.split('\n').some((l) => l.trim() === 'READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pymodbus slave exited before READY (code ${code}, signal ${signal}): ${err.slice(-2000)}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await waitExit(child);
    clearTimeout(force);
  };
  const kill9 = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await waitExit(child);
  };

  return {
    pid: child.pid ?? -1,
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(ep.kind === 'rtu' ? { path: ep.path } : {}),
    stop,
    kill9,
    stderr: () => err,
  };
}
