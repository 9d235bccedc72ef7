// Issue 12, "impaired link, for real": the county hub and a township box as real processes (`node bin/fenghuo.js
// hub` / `run`, from dist/) in the two network namespaces of test/rigs/netns-link.ts, joined by its tbf-shaped veth.
// The hub listens on its veth address; the box is enrolled through the real CLI (`fenghuo hub enrol-code` on the
// hub's database, `fenghuo enroll` inside the box namespace); the box's data dir is filled beforehand by the sync
// tests' fixture (outbox-fixture.ts, the real writers). The test process cannot reach either namespace, so it talks
// to the box's HTTP API with curl run inside the box namespace, and reads both databases from disk.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NetnsLink } from '../rigs/netns-link.js';
import { bearerHeaders, withTestToken } from '../helpers/auth.js';
import { fenghuo, launcher } from '../hub/http/cli-runner.js';
import { waitUntil } from '../daemon/daemon-harness.js';

export const HUB_PORT = 8470;
/** The box's API inside its own namespace: nothing else there can hold the port. */
export const BOX_API = 'http://127.0.0.1:8080';

export type Line = Record<string, unknown> & { readonly event?: string };

/** A `node bin/fenghuo.js …` process inside one side of the link, its JSON log lines collected. */
export interface NsProcess {
  readonly child: ChildProcess;
  readonly lines: Line[];
  events(name: string): Line[];
  diagnostics(): string;
  /** SIGTERM (SIGKILL after `timeoutMs`), resolves to the exit code once stdout is drained. */
  stop(timeoutMs?: number): Promise<number | null>;
}

function spawnFenghuo(link: NetnsLink, side: 'box' | 'hub', cwd: string, args: readonly string[]): NsProcess {
  const child = link.spawn(side, process.execPath, [launcher, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LANG: 'C', FENGHUO_LOG_LEVEL: 'info' },
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
  const exit = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    lines,
    events: (name) => lines.filter((l) => l.event === name),
    diagnostics: () =>
      `${side} exit ${String(child.exitCode ?? child.signalCode)}; stderr: ${stderr.slice(-3_000)}\nnon-JSON stdout: ${other.slice(-1_000)}\n` +
      `last sync/hub lines: ${JSON.stringify(lines.filter((l) => /^(sync|hub)\./.test(String(l.event))).slice(-8))}\nlast lines: ${JSON.stringify(lines.slice(-5))}`,
    async stop(timeoutMs = 10_000) {
      if (!exited()) child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exit;
      clearTimeout(guard);
      await Promise.race([stdoutEnded, new Promise((r) => setTimeout(r, 2_000))]);
      return code;
    },
  };
}

async function started(p: NsProcess, event: string, timeoutMs: number): Promise<void> {
  await Promise.race([
    waitUntil(() => p.events(event).length > 0, timeoutMs, () => `${event}: ${p.diagnostics()}`),
    new Promise<never>((_, reject) =>
      p.child.once('exit', () => setTimeout(() => reject(new Error(`exited before ${event}: ${p.diagnostics()}`)), 200)),
    ),
  ]);
}

export interface NsHub {
  readonly proc: NsProcess;
  readonly url: string;
  readonly config: string;
  readonly dbPath: string;
}

/** `fenghuo hub` in the hub namespace on its veth address, SQLite under `dir`; resolves once it logged hub.started. */
export async function startHubInNs(link: NetnsLink, dir: string): Promise<NsHub> {
  const dataDir = join(dir, 'hub-data');
  mkdirSync(dataDir, { recursive: true });
  const dbPath = join(dataDir, 'hub.db');
  const config = join(dir, 'hub.yaml');
  writeFileSync(config, `listen: ${link.hub.address}:${HUB_PORT}\ndataDir: ${dataDir}\nstore:\n  sqlite: ${dbPath}\n`);
  const proc = spawnFenghuo(link, 'hub', dir, ['hub', '--config', config]);
  await started(proc, 'hub.started', 30_000);
  return { proc, url: `http://${link.hub.address}:${HUB_PORT}`, config, dbPath };
}

/**
 * Runs a command in a side's namespace to completion, stdin closed from the start (the rig's own `exec` writes to the
 * child's stdin, which can end in an unhandled EPIPE when the child has already exited).
 */
export function runIn(link: NetnsLink, side: 'box' | 'hub', command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = link.spawn(side, command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A one-time code made by `fenghuo hub enrol-code` on the hub's database, then `fenghuo enroll` in the box namespace. */
export async function enrolInNs(link: NetnsLink, hub: NsHub, dataDir: string, boxId: string, cwd: string): Promise<void> {
  const made = await fenghuo(cwd, 'hub', 'enrol-code', '--config', hub.config, '--box', boxId, '--ttl', '30m');
  if (made.code !== 0) throw new Error(`hub enrol-code: exit ${made.code}: ${made.stderr}`);
  const code = made.stdout.trim();
  const r = await runIn(link, 'box', process.execPath, [launcher, 'enroll', '--hub', hub.url, '--code', code, '--data', dataDir], 60_000);
  if (r.code !== 0) throw new Error(`fenghuo enroll: exit ${String(r.code)}: ${r.stderr}${r.stdout}`);
}

/** `fenghuo run` in the box namespace with `yaml` (plus the test API token), its API on BOX_API. */
export async function startBoxInNs(link: NetnsLink, dir: string, dataDir: string, yaml: string): Promise<NsProcess> {
  const config = join(dir, 'box.yaml');
  writeFileSync(config, withTestToken(yaml));
  const proc = spawnFenghuo(link, 'box', dir, ['run', '--config', config, '--data', dataDir, '--listen', new URL(BOX_API).host]);
  await started(proc, 'daemon.started', 30_000);
  return proc;
}

/** An HTTP request to the box's API, made by curl inside the box namespace; the body parsed as JSON. */
export async function boxApi<T>(link: NetnsLink, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const auth = bearerHeaders().authorization!;
  const args = ['-sS', '-m', '5', '-X', method, '-H', `authorization: ${auth}`, '-w', '\n%{http_code}'];
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(body));
  args.push(`${BOX_API}${path}`);
  const r = await runIn(link, 'box', 'curl', args, 10_000);
  if (r.code !== 0) throw new Error(`curl ${method} ${path}: exit ${String(r.code)}: ${r.stderr}`);
  const nl = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(nl + 1)), json: JSON.parse(r.stdout.slice(0, nl)) as T };
}

export interface SyncView {
  readonly state: string;
  readonly backlog: Record<string, { records: number; bytes: number }>;
  readonly budget?: { dayBytes: number; dailyBytes?: number };
}

/** `sync` of the box's GET /api/v1/health. */
export async function syncView(link: NetnsLink): Promise<SyncView> {
  const r = await boxApi<{ sync?: SyncView }>(link, 'GET', '/api/v1/health');
  if (r.status !== 200 || r.json.sync === undefined) throw new Error(`health: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.sync;
}

export const backlogEmpty = (s: SyncView): boolean => Object.values(s.backlog).every((l) => l.records === 0);

/** Veth bytes as a one-line summary for the test output. */
export function describeBytes(b: { box: { tx: number; rx: number }; hub: { tx: number; rx: number } }): string {
  return `box→hub ${b.box.tx} B (hub rx ${b.hub.rx} B), hub→box ${b.hub.tx} B (box rx ${b.box.rx} B)`;
}
