// Memory of the box (issue #16 item 1), all measured in this run with the flags and environment the box starts with
// (bench/support/box-launch.ts reads them from bin/fenghuo.js and systemd/fenghuo.service):
//  - Node's own floor: the RSS of an empty `node -e "setTimeout(()=>{},2000)"`;
//  - a table of what each layer of the daemon costs when imported (bench/memory-layers-child.ts), then the daemon
//    itself with 64 sensors polled every second: after start, and after the run (default 5 minutes;
//    FENGHUO_BENCH_MEMORY_S to change), its RSS sampled every 200 ms for the peak;
//  - the running daemon's live heap from a heap snapshot (--heapsnapshot-signal), by kind of object, top 12;
//  - the peak RSS against Node's floor and the 80 MB aim, and the growth between the first and the last minute.
// benchMemoryDay (bench/daemon-memory-day.ts) is the accelerated day.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnUntil, stopChild } from './fixtures/child.js';
import { summariseHeapSnapshot } from './heap-summary.js';
import type { LayerSample } from './memory-layers-child.js';
import type { BenchResult } from './result.js';
import { BENCH_TOKEN, cpuSecondsOf, LAUNCHER, launcherNodeFlags, nodeFloorRssMb, rssMbOf, siteYaml, unitEnvironment } from './support/box-launch.js';
import { freePort } from '../node-daemon/core/free-port.js';

const SENSORS = 64;
const AIM_MB = 80;
const MB = 2 ** 20;
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

/** The layers' costs, measured in a child with the box's flags (and --expose-gc, to sample after a full collection). */
export async function measureLayerTable(flags = launcherNodeFlags(), env = unitEnvironment()): Promise<LayerSample[]> {
  const script = fileURLToPath(new URL('./memory-layers-child.js', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', ...flags, script, 'child'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const samples: LayerSample[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => samples.push(JSON.parse(l) as LayerSample));
  await new Promise((r) => child.once('close', r));
  return samples;
}

interface Row {
  readonly what: string;
  readonly rssMb: number;
  readonly deltaMb?: number;
  readonly heapMb?: number;
  readonly externalMb?: number;
  readonly note?: string;
}

function printTable(title: string, rows: readonly Row[]): void {
  console.log(title);
  console.log(`  ${'what'.padEnd(40)} ${'RSS'.padStart(6)} ${'+RSS'.padStart(6)} ${'heap'.padStart(6)} ${'ext'.padStart(5)}  MB`);
  for (const r of rows) {
    const delta = r.deltaMb === undefined ? '' : `${r.deltaMb >= 0 ? '+' : ''}${f1(r.deltaMb)}`;
    console.log(
      `  ${r.what.padEnd(40)} ${f1(r.rssMb).padStart(6)} ${delta.padStart(6)} ${(r.heapMb === undefined ? '' : f1(r.heapMb)).padStart(6)} ${(r.externalMb === undefined ? '' : f1(r.externalMb)).padStart(5)}${r.note ? `  ${r.note}` : ''}`,
    );
  }
}

async function systemMemory(port: number): Promise<{ heapMb: number; ts: number } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/system`, { headers: { authorization: `Bearer ${BENCH_TOKEN}` }, signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { ts: number; memory: { heapUsedBytes: number } };
    return { heapMb: body.memory.heapUsedBytes / MB, ts: body.ts };
  } catch {
    return undefined;
  }
}

/** Asks the daemon (started with --heapsnapshot-signal=SIGUSR2, cwd `dir`) for a heap snapshot; resolves to its file. */
async function heapSnapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    const size = statSync(join(dir, file)).size;
    await new Promise((r) => setTimeout(r, 500));
    if (size > 0 && statSync(join(dir, file)).size === size) return join(dir, file);
  }
  throw new Error('no heap snapshot within 60 s');
}

export async function benchMemory(durationS = Number(process.env.FENGHUO_BENCH_MEMORY_S ?? 300)): Promise<BenchResult[]> {
  const flags = launcherNodeFlags();
  const env = unitEnvironment();
  const floorMb = await nodeFloorRssMb(flags, env);
  const layers = await measureLayerTable(flags, env);

  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-mem-'));
  const slave = await spawnUntil(fileURLToPath(new URL('./fixtures/fast-tcp-slave.js', import.meta.url)), [], /^PORT (\d+)$/);
  const httpPort = await freePort();
  const configFile = join(dir, 'site.yaml');
  writeFileSync(configFile, siteYaml({ slavePort: Number(slave.match[1]), httpPort, sensors: SENSORS, pollMs: 1000 }));
  const daemon = spawn(process.execPath, [...flags, '--heapsnapshot-signal=SIGUSR2', LAUNCHER, 'run', '--config', configFile, '--data', join(dir, 'data')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let started = false;
  createInterface({ input: daemon.stdout }).on('line', (l) => {
    if (l.includes('"daemon.started"')) started = true;
  });
  try {
    const pid = daemon.pid!;
    const samples: { t: number; mb: number }[] = [];
    const t0 = Date.now();
    let startedAt: { rss: number; heap: number | undefined } | undefined;
    while (Date.now() - t0 < durationS * 1000) {
      await new Promise((r) => setTimeout(r, 200));
      if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode})`);
      const mb = rssMbOf(pid);
      samples.push({ t: (Date.now() - t0) / 1000, mb });
      if (started && startedAt === undefined) startedAt = { rss: mb, heap: (await systemMemory(httpPort))?.heapMb };
    }
    const cpuS = cpuSecondsOf(pid);
    const endHeap = (await systemMemory(httpPort))?.heapMb;
    const endRss = rssMbOf(pid);
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`);
    const health = (await res.json()) as { sensors: { status: string }[] };
    const good = health.sensors.filter((s) => s.status === 'good').length;
    const snapshot = summariseHeapSnapshot(await heapSnapshot(pid, dir), 12);

    const window = Math.min(60, durationS / 3);
    const mean = (xs: { mb: number }[]): number => xs.reduce((a, s) => a + s.mb, 0) / Math.max(1, xs.length);
    const first = mean(samples.filter((s) => s.t <= window));
    const last = mean(samples.filter((s) => s.t >= durationS - window));
    const peak = Math.max(...samples.map((s) => s.mb).filter(Number.isFinite));

    const rows: Row[] = [{ what: 'node -e (empty process), peak', rssMb: floorMb }];
    let prev: number | undefined;
    for (const l of layers) {
      rows.push({ what: l.layer, rssMb: l.rss / MB, ...(prev === undefined ? {} : { deltaMb: (l.rss - prev) / MB }), heapMb: l.heapUsed / MB, externalMb: l.external / MB });
      prev = l.rss;
    }
    if (startedAt !== undefined) rows.push({ what: `daemon started, ${SENSORS} sensors`, rssMb: startedAt.rss, ...(startedAt.heap === undefined ? {} : { heapMb: startedAt.heap }) });
    rows.push({ what: `daemon after ${durationS} s of polling`, rssMb: endRss, ...(endHeap === undefined ? {} : { heapMb: endHeap }), note: `peak ${f1(peak)}` });
    printTable(`memory of the box (flags: ${flags.join(' ') || 'none'}; ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || 'no env'})`, rows);
    console.log(`  live heap of the running daemon (heap snapshot): ${f1(snapshot.totalBytes / MB)} MB; largest kinds (self size):`);
    for (const r of snapshot.rows) console.log(`    ${r.what.padEnd(42)} ${f1(r.bytes / MB).padStart(5)} MB  ${String(r.count).padStart(6)}`);

    return [
      {
        name: `daemon peak RSS, ${SENSORS} sensors polled every 1 s for ${durationS} s, vs Node's empty process`,
        ours: peak,
        peer: floorMb,
        ratio: peak / floorMb,
        unit: 'MB peak RSS (peer = node -e, same flags, same run)',
        aim: `peak <= ${AIM_MB} MB: ${peak <= AIM_MB ? 'met' : 'not met'}`,
        note: `${f1(peak - floorMb)} MB above Node's floor; first ${window}s mean ${f1(first)} MB, last ${window}s mean ${f1(last)} MB (growth ${f1(last - first)} MB); ${good}/${SENSORS} sensors good at the end; CPU ${f1((100 * cpuS) / durationS)}% of a core`,
      },
    ];
  } finally {
    await stopChild(daemon);
    await stopChild(slave.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await benchMemory()) console.log(JSON.stringify(r));
}
