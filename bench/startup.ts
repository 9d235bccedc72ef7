// Start-up of the box (issue #16 item 2), with the flags and environment the box starts with: from exec to the first
// stored reading (the `readings.stored` log line) and to `GET /api/v1/health` answering 200, against Node's own
// start-up (`node -e 0`, exec to exit) measured in the same run; medians of FENGHUO_BENCH_STARTUP_RUNS (default 5).
// Twice: on a small database, and on a year of readings in the retention's shape (3 sensors, one reading a minute:
// 90 days raw, the older 275 days as 15-minute aggregates, a change-log row a minute for the raw days; ~40 MB), made
// here with better-sqlite3 directly. The year must not cost start-up time: quick_check runs after start on large
// files (storage/integrity-check.ts). "open" is daemon.starting to the storage.quick_check log line (open + checks).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnUntil, stopChild } from './fixtures/child.js';
import type { BenchResult } from './result.js';
import { LAUNCHER, launcherNodeFlags, median, siteYaml, unitEnvironment } from './support/box-launch.js';
import { freePort } from '../node-daemon/core/free-port.js';
import { silentLogger } from '../node-daemon/core/log.js';
import { DB_FILE_NAME, openDatabase } from '../node-daemon/storage/database.js';

const SENSORS = 64;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface Run {
  readonly firstStoredMs: number;
  readonly healthMs: number;
  readonly openMs: number;
}

async function nodeEmptyMs(flags: readonly string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...flags, '-e', '0'], { stdio: 'ignore', env: { ...process.env, ...env } });
  await new Promise((r) => child.once('exit', r));
  return performance.now() - t0;
}

async function daemonRun(configFile: string, dataDir: string, httpPort: number, flags: readonly string[], env: Record<string, string>): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...flags, LAUNCHER, 'run', '--config', configFile, '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let firstStoredMs: number | undefined;
  let healthMs: number | undefined;
  const logTimes = new Map<string, number>();
  createInterface({ input: child.stdout }).on('line', (l) => {
    const event = /"event":"([^"]+)"/.exec(l)?.[1];
    if (event === undefined) return;
    if (event === 'readings.stored' && firstStoredMs === undefined) firstStoredMs = performance.now() - t0;
    if ((event === 'daemon.starting' || event === 'storage.quick_check') && !logTimes.has(event)) {
      const time = /"time":"([^"]+)"/.exec(l)?.[1];
      if (time !== undefined) logTimes.set(event, Date.parse(time));
    }
  });
  try {
    const end = Date.now() + 30_000;
    while ((firstStoredMs === undefined || healthMs === undefined) && Date.now() < end) {
      if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode})`);
      if (healthMs === undefined) {
        try {
          const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`, { signal: AbortSignal.timeout(1_000) });
          if (res.status === 200) healthMs = performance.now() - t0;
          await res.arrayBuffer();
        } catch {
          /* not listening yet */
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (firstStoredMs === undefined || healthMs === undefined) throw new Error('no stored reading or no health within 30 s');
    const openMs = (logTimes.get('storage.quick_check') ?? NaN) - (logTimes.get('daemon.starting') ?? NaN);
    return { firstStoredMs, healthMs, openMs };
  } finally {
    await stopChild(child);
  }
}

/** A year of 3 sensors' readings (s0..s2) in the retention's steady shape, ending now; returns the file's size, MB. */
export function makeYearDatabase(dataDir: string, now = Date.now()): number {
  const { db } = openDatabase({ dataDir, log: silentLogger() });
  const raw = db.prepare('INSERT INTO readings (sensor_id, ts, value, quality) VALUES (?, ?, ?, 0)');
  const agg = db.prepare('INSERT INTO aggregates_15m (sensor_id, bucket, min, mean, max, count) VALUES (?, ?, ?, ?, ?, 15)');
  const log = db.prepare("INSERT INTO change_log (ts, kind, payload) VALUES (?, 'readings', ?)");
  const rawFrom = now - 90 * DAY + 10 * MINUTE;
  const level = (ts: number): number => 3 + Math.sin(ts / (6 * 3_600_000));
  db.transaction(() => {
    const quarter = 15 * MINUTE;
    for (let b = Math.floor((now - 365 * DAY) / quarter) * quarter; b < rawFrom - quarter; b += quarter) {
      for (let s = 0; s < 3; s++) agg.run(`s${s}`, b, level(b) - 0.01, level(b), level(b) + 0.01);
    }
    let id = 0;
    for (let ts = rawFrom; ts < now; ts += MINUTE) {
      for (let s = 0; s < 3; s++) raw.run(`s${s}`, ts, level(ts));
      log.run(ts, JSON.stringify({ firstId: id + 1, lastId: id + 3, count: 3 }));
      id += 3;
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return statSync(join(dataDir, DB_FILE_NAME)).size / 2 ** 20;
}

export async function benchStartup(runs = Number(process.env.FENGHUO_BENCH_STARTUP_RUNS ?? 5)): Promise<BenchResult[]> {
  const flags = launcherNodeFlags();
  const env = unitEnvironment();
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-startup-'));
  const slave = await spawnUntil(fileURLToPath(new URL('./fixtures/fast-tcp-slave.js', import.meta.url)), [], /^PORT (\d+)$/);
  try {
    const httpPort = await freePort();
    const configFile = join(dir, 'site.yaml');
    writeFileSync(configFile, siteYaml({ slavePort: Number(slave.match[1]), httpPort, sensors: SENSORS, pollMs: 1000 }));
    const small = join(dir, 'small');
    const year = join(dir, 'year');
    mkdirSync(year);
    const yearMb = makeYearDatabase(year);
    // A first run makes the small database (and warms the page cache for both, as a box that restarts has).
    await daemonRun(configFile, small, httpPort, flags, env);
    await daemonRun(configFile, year, httpPort, flags, env);
    const nodeMs: number[] = [];
    const smallRuns: Run[] = [];
    const yearRuns: Run[] = [];
    // Interleaved, so that the machine's load falls alike on all three.
    for (let i = 0; i < runs; i++) {
      nodeMs.push(await nodeEmptyMs(flags, env));
      smallRuns.push(await daemonRun(configFile, small, httpPort, flags, env));
      yearRuns.push(await daemonRun(configFile, year, httpPort, flags, env));
    }
    const node = median(nodeMs);
    const line = (label: string, rs: readonly Run[], what: 'firstStoredMs' | 'healthMs', extra: string): BenchResult => {
      const ours = median(rs.map((r) => r[what]));
      return {
        name: `start-up, ${label}: exec to ${what === 'firstStoredMs' ? 'first stored reading' : '/api/v1/health answering'} (median of ${runs})`,
        ours,
        peer: node,
        ratio: ours / node,
        unit: 'ms (peer = node -e 0, exec to exit, same flags, same run)',
        ...(what === 'firstStoredMs' ? { aim: `<= node + 1500 ms: ${ours - node <= 1500 ? 'met' : 'not met'}` } : {}),
        note: `${(ours - node).toFixed(0)} ms beyond Node's own start-up${extra}`,
      };
    };
    const openNote = (rs: readonly Run[]): string => `; database open ${median(rs.map((r) => r.openMs)).toFixed(0)} ms`;
    return [
      line('small database', smallRuns, 'firstStoredMs', openNote(smallRuns)),
      line('small database', smallRuns, 'healthMs', ''),
      line(`a year of readings (${yearMb.toFixed(0)} MB)`, yearRuns, 'firstStoredMs', openNote(yearRuns)),
      line(`a year of readings (${yearMb.toFixed(0)} MB)`, yearRuns, 'healthMs', ''),
    ];
  } finally {
    await stopChild(slave.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await benchStartup()) console.log(JSON.stringify(r));
}
