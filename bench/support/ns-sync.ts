// The county hub and a township box as real processes (`node bin/fenghuo.js hub` / `run`, from dist/) in the two
// network namespaces of netns-link.ts, joined by its tbf-shaped veth. The hub listens on its veth address; the box is
// enrolled through the real CLI (`fenghuo hub enrol-code` on the hub's database, `fenghuo enroll` inside the box
// namespace). The calling process cannot reach either namespace, so it talks to the box's HTTP API with curl run
// inside the box namespace. Used by bench/sync-goodput.ts and test/sync/impaired-link.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import { loggedEvent, runFenghuo, spawnFenghuo, launcher, type FenghuoProcess } from './fenghuo-process.js';
import type { LinkCounters, NetnsLink } from './netns-link.js';

export const HUB_PORT = 8470;
/** The box's API inside its own namespace: nothing else there can hold the port. */
export const BOX_API = 'http://127.0.0.1:8080';

export interface NsHub {
  readonly proc: FenghuoProcess;
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
  const proc = spawnFenghuo((c, a, o) => link.spawn('hub', c, a, o), 'hub', dir, ['hub', '--config', config]);
  await loggedEvent(proc, 'hub.started', 30_000);
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
  const made = await runFenghuo(cwd, ['hub', 'enrol-code', '--config', hub.config, '--box', boxId, '--ttl', '30m']);
  if (made.code !== 0) throw new Error(`hub enrol-code: exit ${made.code}: ${made.stderr}`);
  const code = made.stdout.trim();
  const r = await runIn(link, 'box', process.execPath, [launcher, 'enroll', '--hub', hub.url, '--code', code, '--data', dataDir], 60_000);
  if (r.code !== 0) throw new Error(`fenghuo enroll: exit ${String(r.code)}: ${r.stderr}${r.stdout}`);
}

/** `fenghuo run` in the box namespace with the config text `yaml` (written to `dir`/box.yaml), its API on BOX_API. */
export async function startBoxInNs(link: NetnsLink, dir: string, dataDir: string, yaml: string): Promise<FenghuoProcess> {
  const config = join(dir, 'box.yaml');
  writeFileSync(config, yaml);
  const proc = spawnFenghuo((c, a, o) => link.spawn('box', c, a, o), 'box', dir, ['run', '--config', config, '--data', dataDir, '--listen', new URL(BOX_API).host]);
  await loggedEvent(proc, 'daemon.started', 30_000);
  return proc;
}

/** A hub and a box enrolled to it on the two sides of a link, as the sync benches run them. */
export interface NsPair {
  readonly hub: NsHub;
  readonly box: FenghuoProcess;
  /** A viewer token of the box's API (boxApi). */
  readonly token: string;
  /** The link's counters just before the box started. */
  readonly before: LinkCounters;
  /** The pair's folder: the hub's data under `hub-data/`, the configs. */
  readonly dir: string;
  /** Stops the box and the hub and removes `dir` (the link and the box's data stay the caller's). */
  close(): Promise<void>;
}

/** `fenghuo hub` started, a box on `dataDir` enrolled to it as `boxId` and started with a viewer token; the link stays the caller's. */
export async function startEnrolledPair(link: NetnsLink, dataDir: string, boxId: string, tmpPrefix: string): Promise<NsPair> {
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  let hub: NsHub | undefined;
  let box: FenghuoProcess | undefined;
  const close = async (): Promise<void> => {
    await box?.stop(5_000).catch(() => undefined);
    await hub?.proc.stop(5_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    hub = await startHubInNs(link, dir);
    await enrolInNs(link, hub, dataDir, boxId, dir);
    const token = randomBytes(24).toString('hex');
    const yaml = ['site:', '  name: 拉诺河 (bench)', 'http:', '  apiTokens:', `    - { id: bench, role: viewer, sha256: "${sha256Hex(token)}" }`, ''].join('\n');
    const before = await link.bytes();
    box = await startBoxInNs(link, dir, dataDir, yaml);
    return { hub, box, token, before, dir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** An HTTP request to the box's API with a bearer token, made by curl inside the box namespace; the body parsed as JSON. */
export async function boxApi<T>(link: NetnsLink, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const args = ['-sS', '-m', '5', '-X', method, '-H', `authorization: Bearer ${token}`, '-w', '\n%{http_code}'];
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
export async function syncView(link: NetnsLink, token: string): Promise<SyncView> {
  const r = await boxApi<{ sync?: SyncView }>(link, token, 'GET', '/api/v1/health');
  if (r.status !== 200 || r.json.sync === undefined) throw new Error(`health: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  return r.json.sync;
}

export const backlogEmpty = (s: SyncView): boolean => Object.values(s.backlog).every((l) => l.records === 0);

/** Veth bytes as a one-line summary. */
export function describeBytes(b: { box: { tx: number; rx: number }; hub: { tx: number; rx: number } }): string {
  return `box→hub ${b.box.tx} B (hub rx ${b.hub.rx} B), hub→box ${b.hub.tx} B (box rx ${b.box.rx} B)`;
}
