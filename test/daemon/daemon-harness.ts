import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor as waitUntil } from '../../bench/support/fenghuo-process.js';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import { bearerHeaders, TEST_API_TOKEN, withTestToken } from '../helpers/auth.js';
import { freeTcpPort } from '../helpers/pymodbus.js';

const root = packageRoot();

/** One JSON log line of the daemon. */
export interface LogLine {
  readonly event?: string;
  readonly [key: string]: unknown;
}

/** A `readings.stored` line: readings ids lastId-count+1..lastId were committed in change-log row `seq`. */
export interface StoredLine {
  readonly count: number;
  readonly lastId: number;
  readonly seq: number;
}

export interface RawReading {
  readonly ts: number;
  readonly value: number | null;
  readonly quality: string;
}

/** A unique temp dir, removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` saying `what`. */
export { waitUntil };

// ---- the daemon process ----

export interface DaemonProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Every JSON line so far. */
  readonly lines: readonly LogLine[];
  /** The `readings.stored` lines so far. */
  stored(): StoredLine[];
  events(name: string): LogLine[];
  /** stdout lines that were not JSON, and all of stderr: for failure messages. */
  diagnostics(): string;
  exited(): boolean;
  /** SIGKILL, then waits until it has exited and its stdout is drained (lines in the pipe were printed after their commit). */
  kill9(): Promise<void>;
  /** SIGTERM, then waits for exit; resolves to the exit code (null if it died on a signal). */
  sigterm(timeoutMs?: number): Promise<number | null>;
  /** Resolves once the process exited and stdout is drained. */
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Writes `site.yaml`, with the test API token (test/helpers/auth.ts) added so `getJson` can read the API. */
export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'site.yaml');
  writeFileSync(file, withTestToken(yaml));
  return file;
}

/**
 * The `http:` section (YAML lines) for a box the county pulls: the test token as admin, and each `id: token` of
 * `viewers` as a viewer (the ids a `sync.feedTokens` list names).
 */
export function feedTokensHttpYaml(viewers: Readonly<Record<string, string>>): string[] {
  return [
    'http:',
    '  apiTokens:',
    `    - { id: admin, role: admin, sha256: "${sha256Hex(TEST_API_TOKEN)}" }`,
    ...Object.entries(viewers).map(([id, token]) => `    - { id: ${id}, role: viewer, sha256: "${sha256Hex(token)}" }`),
  ];
}

/** Writes `yaml` as `dir`/site.yaml and starts the daemon on it with its data in `dir`; its stop goes to `cleanups`. */
export async function startDaemonOn(dir: string, yaml: string, cleanups: { push(cleanup: () => Promise<void>): unknown }): Promise<DaemonProcess> {
  const configFile = join(dir, 'site.yaml');
  writeFileSync(configFile, yaml);
  const d = await startDaemon({ configFile, dataDir: dir });
  cleanups.push(async () => {
    if (!d.exited()) await d.sigterm();
  });
  return d;
}

/** Spawns `node bin/fenghuo.js run` on a free port and resolves once it logged `daemon.started`. */
export async function startDaemon(opts: {
  configFile: string;
  dataDir: string;
  startTimeoutMs?: number;
  /** Extra environment of the daemon, over the test's own (e.g. LD_PRELOAD of a fault peer). */
  env?: NodeJS.ProcessEnv;
}): Promise<DaemonProcess> {
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpPort();
    const d = spawnDaemon(opts.configFile, opts.dataDir, port, opts.env);
    const started = await Promise.race([
      waitUntil(() => d.events('daemon.started').length > 0, opts.startTimeoutMs ?? 15_000, 'daemon.started').then(() => true),
      d.waitExit().then(() => false),
    ]);
    if (started) return d;
    await d.kill9();
    lastFailure = d.diagnostics() + JSON.stringify(d.lines.slice(-5));
    // The free port was taken between our probe and the daemon's bind: try another one.
    if (!lastFailure.includes('EADDRINUSE')) break;
  }
  throw new Error(`daemon did not start: ${lastFailure}`);
}

function spawnDaemon(configFile: string, dataDir: string, port: number, env?: NodeJS.ProcessEnv): DaemonProcess {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin', 'fenghuo.js'), 'run', '--config', configFile, '--data', dataDir, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C', FENGHUO_LOG_LEVEL: 'info', ...env } },
  );
  const lines: LogLine[] = [];
  let other = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-20_000)));
  const stdoutEnded = new Promise<void>((resolve) => child.stdout?.once('end', () => resolve()) ?? resolve());
  if (child.stdout === null) throw new Error('no stdout pipe');
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      other = (other + line + '\n').slice(-5_000); // a line cut by kill -9
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitExit = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    const result = await exit;
    await stdoutEnded;
    return result;
  };
  const isExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const url = `http://127.0.0.1:${port}`;
  return {
    port,
    url,
    pid: child.pid ?? -1,
    lines,
    stored: () =>
      lines
        .filter((l) => l.event === 'readings.stored')
        .map((l) => ({ count: Number(l.count), lastId: Number(l.lastId), seq: Number(l.seq) })),
    events: (name) => lines.filter((l) => l.event === name),
    diagnostics: () => `stderr: ${stderr.slice(-3_000)}\nnon-JSON stdout: ${other.slice(-1_000)}`,
    exited: isExited,
    kill9: async () => {
      if (!isExited()) child.kill('SIGKILL');
      await waitExit();
    },
    sigterm: async (timeoutMs = 10_000) => {
      if (!isExited()) child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code } = await waitExit();
      clearTimeout(guard);
      return code;
    },
    waitExit,
  };
}

// ---- HTTP API ----

/** GET with the test API token (the config must grant it: `writeConfig` does, or `testApiTokens()`). */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: bearerHeaders(), signal: AbortSignal.timeout(2_000) });
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function health(d: DaemonProcess): Promise<HealthSnapshot> {
  return getJson<HealthSnapshot>(`${d.url}/api/v1/health`);
}

/** Raw readings of a sensor from `from` (UTC ms) on, oldest first. */
export async function readingsSince(d: DaemonProcess, sensorId: string, from: number): Promise<RawReading[]> {
  const body = await getJson<{ readings: RawReading[] }>(`${d.url}/api/v1/sensors/${sensorId}/readings?from=${from}&limit=10000`);
  return body.readings;
}
