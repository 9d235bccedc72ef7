// Helpers for the security tests that run the real thing: `bin/fenghuo.js run` as a child process listening on a
// chosen address, the CLI as a child process, and HTTP requests sent from a chosen source address (the whole of
// 127.0.0.0/8 is loopback on Linux, so 127.0.0.2 and 127.0.0.3 are two different clients of one machine).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { freePort } from '../../node-daemon/core/free-port.js';
import { packageRoot } from '../../node-daemon/core/paths.js';

const root = packageRoot();
const BIN = join(root, 'bin', 'fenghuo.js');
const run = promisify(execFile);

export interface LogLine {
  readonly event?: string;
  readonly [key: string]: unknown;
}

export interface RunningDaemon {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly lines: readonly LogLine[];
  events(name: string): LogLine[];
  /** Resolves once a log line of that event matching `match` has arrived (lines come through a pipe, a little after the answer). */
  waitForEvent(name: string, match?: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stderr(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Runs `fenghuo run --config FILE --data DIR --listen HOST:PORT` and resolves once it logged `daemon.started`. */
export async function startDaemonAt(opts: { host: string; configFile: string; dataDir: string }): Promise<RunningDaemon> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(opts.host);
    const child: ChildProcess = spawn(process.execPath, [BIN, 'run', '--config', opts.configFile, '--data', opts.dataDir, '--listen', `${opts.host}:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LANG: 'C', FENGHUO_LOG_LEVEL: 'info' },
    });
    const lines: LogLine[] = [];
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-10_000)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        stderr += `${line}\n`;
      }
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const started = await new Promise<boolean>((resolve) => {
      const timer = setInterval(() => {
        if (lines.some((l) => l.event === 'daemon.started')) {
          clearInterval(timer);
          resolve(true);
        }
      }, 20);
      void exited.then(() => {
        clearInterval(timer);
        resolve(false);
      });
      setTimeout(() => {
        clearInterval(timer);
        resolve(false);
      }, 20_000);
    });
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    if (started) {
      const url = `http://${opts.host}:${port}`;
      const events = (name: string): LogLine[] => lines.filter((l) => l.event === name);
      const waitForEvent = async (name: string, match: (line: LogLine) => boolean = () => true, timeoutMs = 5_000): Promise<LogLine> => {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const found = events(name).find(match);
          if (found !== undefined) return found;
          if (Date.now() > end) throw new Error(`no ${name} log line as expected within ${timeoutMs} ms; got ${JSON.stringify(events(name))}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      return { url, host: opts.host, port, lines, events, waitForEvent, stderr: () => stderr, stop };
    }
    await stop();
    last = `${stderr}\n${JSON.stringify(lines.slice(-5))}`;
    if (!last.includes('EADDRINUSE')) break;
  }
  throw new Error(`the daemon did not start: ${last}`);
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/fenghuo.js ARGS`, with `input` on its stdin (a pipe, not a TTY). */
export function runCli(args: readonly string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP request whose TCP connection comes from `localAddress` (so the daemon sees that client address). */
export function httpFrom(
  localAddress: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<HttpAnswer> {
  const body = init.json === undefined ? undefined : JSON.stringify(init.json);
  const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (s: string) => (text += s));
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${url}: no answer within 10 s`)));
    req.end(body);
  });
}

export interface NonLoopbackAddress {
  readonly address: string;
  /** How the address was found, for the test's name in a failure message. */
  readonly how: string;
  release(): Promise<void>;
}

/**
 * An IPv4 address of this machine outside 127.0.0.0/8, for a daemon to listen on and a client to connect from.
 * As root, a private /32 is added to the loopback interface (lo never sends to the network; removed by `release`);
 * otherwise an address an interface already has is used. Undefined, with the reason, when neither is possible.
 */
export async function nonLoopbackAddress(): Promise<NonLoopbackAddress | string> {
  if (process.getuid?.() === 0) {
    // A per-process address, so two runs at once do not remove each other's.
    const address = `10.255.${(process.pid >> 8) & 0xff}.${(process.pid & 0xff) || 1}`;
    try {
      await run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
      return { address, how: `${address}/32 added to lo`, release: async () => void (await run('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']).catch(() => undefined)) };
    } catch {
      // no `ip`, or no CAP_NET_ADMIN in this container: try the interfaces' own addresses
    }
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return { address: a.address, how: `the address of an interface`, release: async () => undefined };
    }
  }
  return 'this machine has no IPv4 address outside 127.0.0.0/8 and the test is not root (cannot add one to lo)';
}
