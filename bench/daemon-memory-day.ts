// "Flat over an accelerated day" (issue #16 item 1): the daemon, with the box's flags and environment, under
// libfaketime (LD_PRELOAD libfaketimeMT, FAKETIME "+0 x360": every clock and timer 360x faster, the recipe of
// test/rigs/accelerated-week.test.ts), 64 sensors polled every fake minute (at x360 that is 6 polls a second per
// sensor, ~380 a second in all: 64 sensors at 1 s cannot be sped up), through the hourly retention fold and the
// health, alarm and sync timers. Prints the RSS and live heap at each fake hour.
// FENGHUO_BENCH_DAY_H: fake hours (default 6, 24 for the whole day, ~4 real minutes; 0 skips).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnUntil, stopChild } from './fixtures/child.js';
import type { BenchResult } from './result.js';
import { BENCH_TOKEN, LAUNCHER, launcherNodeFlags, rssMbOf, siteYaml, unitEnvironment } from './support/box-launch.js';
import { freePort } from '../node-daemon/core/free-port.js';

const SPEED_UP = 360;
const SENSORS = 64;
const HOUR = 3_600_000;

function libfaketimeMT(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(...execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n'));
  } catch {
    /* not Debian, or not installed */
  }
  candidates.push('/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/arm-linux-gnueabihf/faketime/libfaketimeMT.so.1');
  return candidates.map((l) => l.trim()).find((l) => l.endsWith('/libfaketimeMT.so.1') && existsSync(l));
}

export async function benchMemoryDay(fakeHours = Number(process.env.FENGHUO_BENCH_DAY_H ?? 6)): Promise<BenchResult[]> {
  if (!(fakeHours > 0)) return [];
  const lib = libfaketimeMT();
  if (lib === undefined) {
    console.log('accelerated day: skipped (libfaketime is not installed: apt-get install libfaketime)');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-bench-day-'));
  const slave = await spawnUntil(fileURLToPath(new URL('./fixtures/fast-tcp-slave.js', import.meta.url)), [], /^PORT (\d+)$/);
  const httpPort = await freePort();
  const configFile = join(dir, 'site.yaml');
  // Timeouts are fake time too: 20 s fake = 56 ms real.
  writeFileSync(configFile, siteYaml({ slavePort: Number(slave.match[1]), httpPort, sensors: SENSORS, pollMs: 60_000, timeoutMs: 20_000 }));
  const daemon = spawn(process.execPath, [...launcherNodeFlags(), LAUNCHER, 'run', '--config', configFile, '--data', join(dir, 'data')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...unitEnvironment(), LD_PRELOAD: lib, FAKETIME: `+0 x${SPEED_UP}`, FENGHUO_LOG_LEVEL: 'warn' },
  });
  createInterface({ input: daemon.stdout }).on('line', () => undefined);
  const perHour: { hour: number; rssMb: number; heapMb: number }[] = [];
  let peak = 0;
  try {
    let t0: number | undefined;
    const realEnd = Date.now() + (fakeHours * HOUR) / SPEED_UP + 120_000;
    while (Date.now() < realEnd) {
      await new Promise((r) => setTimeout(r, 500));
      if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode})`);
      const rss = rssMbOf(daemon.pid!);
      if (Number.isFinite(rss)) peak = Math.max(peak, rss);
      let body: { ts: number; memory: { heapUsedBytes: number } } | undefined;
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/system`, { headers: { authorization: `Bearer ${BENCH_TOKEN}` }, signal: AbortSignal.timeout(3_000) });
        body = (await res.json()) as typeof body;
      } catch {
        continue;
      }
      if (body === undefined) continue;
      t0 ??= body.ts;
      const hour = Math.floor((body.ts - t0) / HOUR);
      if (perHour.length === 0 || perHour[perHour.length - 1]!.hour < hour) perHour.push({ hour, rssMb: rss, heapMb: body.memory.heapUsedBytes / 2 ** 20 });
      if (hour >= fakeHours) break;
    }
  } finally {
    await stopChild(daemon);
    await stopChild(slave.child);
    rmSync(dir, { recursive: true, force: true });
  }
  if (perHour.length < 2) throw new Error('the accelerated day gave fewer than 2 hourly samples');
  console.log(`accelerated day (libfaketime x${SPEED_UP}, ${SENSORS} sensors every fake minute): fake hour RSS/heap MB`);
  console.log(`  ${perHour.map((h) => `h${h.hour} ${h.rssMb.toFixed(1)}/${h.heapMb.toFixed(1)}`).join('  ')}`);
  const second = perHour[Math.min(1, perHour.length - 1)]!;
  const last = perHour[perHour.length - 1]!;
  return [
    {
      name: `daemon RSS over ${last.hour} fake hours (x${SPEED_UP})`,
      ours: last.rssMb,
      peer: second.rssMb,
      ratio: last.rssMb / second.rssMb,
      unit: `MB RSS at fake hour ${last.hour} (peer = at fake hour ${second.hour})`,
      aim: '~1.0 (flat)',
      note: `peak ${peak.toFixed(1)} MB; live heap ${second.heapMb.toFixed(1)} -> ${last.heapMb.toFixed(1)} MB`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await benchMemoryDay()) console.log(JSON.stringify(r));
}
