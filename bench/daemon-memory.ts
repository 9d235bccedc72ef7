// Resident memory of the whole daemon process with 64 sensors polled every second, sampled over a run
// (default 5 minutes; FENGHUO_BENCH_MEMORY_S to change). Printed against the 120 MB aim, with the growth between
// the first and the last minute to show whether it stays flat.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnUntil, stopChild } from './fixtures/child.js';
import type { BenchResult } from './result.js';
import { freePort } from '../node-daemon/core/free-port.js';

const SENSORS = 64;
const LIMIT_MB = 120;


function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function siteConfig(slavePort: number, httpPort: number): string {
  const buses = [`  - { id: tcp-0, type: tcp, host: 127.0.0.1, port: ${slavePort} }`];
  const sensors = Array.from(
    { length: SENSORS },
    (_, i) => `  - { id: s${i}, bus: tcp-0, slave: ${1 + i}, profile: generic-uint16-cm, pollIntervalMs: 1000, critical: ${i % 8 === 0} }`,
  );
  return [`http: { listen: "127.0.0.1:${httpPort}" }`, 'buses:', ...buses, 'sensors:', ...sensors, ''].join('\n');
}

export async function benchMemory(durationS = Number(process.env.FENGHUO_BENCH_MEMORY_S ?? 300)): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-mem-'));
  const slaveScript = fileURLToPath(new URL('./fixtures/fast-tcp-slave.js', import.meta.url));
  const cli = fileURLToPath(new URL('../../bin/fenghuo.js', import.meta.url));
  const slave = await spawnUntil(slaveScript, [], /^PORT (\d+)$/);
  const httpPort = await freePort();
  const configFile = join(dir, 'site.yaml');
  writeFileSync(configFile, siteConfig(Number(slave.match[1]), httpPort));
  const daemon = await spawnUntil(cli, ['run', '--config', configFile, '--data', join(dir, 'data')], /"event":"daemon.started"/);
  try {
    const pid = daemon.child.pid!;
    const samples: { t: number; mb: number }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < durationS * 1000) {
      await new Promise((r) => setTimeout(r, 5_000));
      samples.push({ t: (Date.now() - t0) / 1000, mb: rssMb(pid) });
    }
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`);
    const health = (await res.json()) as { sensors: { status: string }[] };
    const good = health.sensors.filter((s) => s.status === 'good').length;
    const window = Math.min(60, durationS / 3);
    const mean = (xs: { mb: number }[]): number => xs.reduce((a, s) => a + s.mb, 0) / Math.max(1, xs.length);
    const first = mean(samples.filter((s) => s.t <= window));
    const last = mean(samples.filter((s) => s.t >= durationS - window));
    const peak = Math.max(...samples.map((s) => s.mb));
    return {
      name: `daemon RSS, ${SENSORS} sensors polled every 1 s for ${durationS} s`,
      ours: peak,
      peer: LIMIT_MB,
      ratio: peak / LIMIT_MB,
      unit: 'MB peak RSS (peer = the 120 MB aim)',
      aim: '<= 1.0, flat',
      note: `first ${window}s mean ${first.toFixed(1)} MB, last ${window}s mean ${last.toFixed(1)} MB (growth ${(last - first).toFixed(1)} MB); ${good}/${SENSORS} sensors good at the end`,
    };
  } finally {
    await stopChild(daemon.child);
    await stopChild(slave.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchMemory()));
}
