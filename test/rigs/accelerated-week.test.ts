// Fault rig (issue #14), "an accelerated week of operation with memory flat", run for real: the daemon and a
// simulated Modbus site both under libfaketime at x1000 (LD_PRELOAD libfaketimeMT, FAKETIME="+0 x1000"), which speeds
// up the whole process: the wall and monotonic clocks, and the timeouts of epoll_wait/poll/nanosleep/timerfd, so every
// Node timer (polls, the hourly retention fold, health, alarm rules) fires 1000x sooner. A fake week is ~10 minutes of
// real time and pegs about one core, so the rig runs only when asked:
//   FENGHUO_RIG_WEEK=1 npx vitest run test/rigs/accelerated-week.test.ts
// Give it an otherwise idle machine: the daemon needs most of a core at x1000, and a build or a test run beside it
// starves its event loop, which the rig then reports as fake hours that missed polls.
// Every ~5 s of real time it samples the daemon's fake clock and live heap (/api/v1/system), its resident size
// (/proc/<pid>/status) and the raw readings count; at the end it checks that polling kept up, that the retention fold
// ran every fake hour and kept the readings table flat, that no alarm was raised after start-up, that the memory did
// not grow from fake day 2 to fake day 7, and that the database is intact.
//
// Scaling that x1000 needs (measured): every real-I/O timeout is 1000x shorter in real time, so the bus timeout is
// 20 s (fake) = 20 ms real; the first connect may meet a refused port and the reconnect backoff costs fake minutes, so
// alarms of the first fake 15 minutes are ignored. Node's HTTP server timeouts shrink too (requestTimeout 300 s fake =
// 0.3 s real): API calls stay tiny and local. /proc/uptime is not faked (the rig's clock is its own, unpreloaded).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { bearerHeaders, TEST_API_TOKEN } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { freeTcpPort } from '../helpers/pymodbus.js';
import { findLibfaketime, removeFaketimeLeftovers } from '../helpers/libfaketime.js';
import { tempDir, waitUntil, type LogLine } from '../daemon/daemon-harness.js';

const ENABLED = process.env.FENGHUO_RIG_WEEK === '1';
const RUN_HINT = 'FENGHUO_RIG_WEEK=1 npx vitest run test/rigs/accelerated-week.test.ts';

const SPEED_UP = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FAKE_DAYS = 7;
/** Real time between samples. */
const SAMPLE_MS = 5_000;
/** Real-time cap of the run: a week at x1000 takes ~10.1 min; beyond this something is wrong. */
const REAL_CAP_MS = 17 * 60_000;
/** Fake time at the start whose alarms (a refused first connect, its backoff) are ignored. */
const STARTUP_GRACE_MS = 15 * 60_000;
const SENSORS = [
  { id: 's1', pollMs: 5_000 },
  { id: 's2', pollMs: 10_000 },
  { id: 's3', pollMs: 15_000 },
] as const;
/** Bounds (justified in the report): polled readings per sensor per fake hour vs the poll rate; memory growth. */
const HOURLY_RATE_TOLERANCE = 0.05;
const MAX_RSS_GROWTH_MB = 16;
const MAX_HEAP_MIN_GROWTH_MB = 4;
const MIN_RETENTION_PASSES = 150;

const LIBFAKETIME = ENABLED ? findLibfaketime({ multiThreadedOnly: true }) : undefined;
const describeRig = ENABLED && LIBFAKETIME !== undefined ? describe : describe.skip;
if (!ENABLED) {
  console.log(`accelerated-week rig skipped: it takes ~11 minutes of one core, so npm test leaves it out. Run it with: ${RUN_HINT}`);
} else if (LIBFAKETIME === undefined) {
  console.log('accelerated-week rig skipped: libfaketime (libfaketimeMT.so.1) is not installed (Debian: apt-get install libfaketime)');
}

/** A gently varying level that loops: 3 m +- 0.3 m, period 6 h, a point every 10 minutes over one day (CSV, feet). */
function seriesCsv(): string {
  const rows = ['timestamp,station_id,station_name,gage_height_ft'];
  const t0 = Date.UTC(2024, 0, 1);
  for (let m = 0; m <= 24 * 60; m += 10) {
    const metres = 3 + 0.3 * Math.sin((2 * Math.PI * m) / 360);
    rows.push(`${new Date(t0 + m * 60_000).toISOString()},RIG,rig,${(metres / 0.3048).toFixed(4)}`);
  }
  return `${rows.join('\n')}\n`;
}

function siteYaml(simPort: number): string {
  return [
    'site:',
    '  name: accelerated-week',
    '  timezone: Asia/Shanghai',
    'http:',
    '  apiTokens:',
    `    - { id: rig, role: viewer, sha256: "${sha256Hex(TEST_API_TOKEN)}" }`,
    'storage:',
    '  rawRetentionDays: 2',
    'buses:',
    // 20 s fake = 20 ms real: at x1000 a 1 s timeout failed 28% of polls.
    `  - { id: sim, type: tcp, host: 127.0.0.1, port: ${simPort}, timeoutMs: 20000 }`,
    // The sim serves one device (unit 1, submersible-level); the config refuses two sensors reading one slave with
    // the same profile, so s2 and s3 read it through copies of the profile under other names.
    'profiles:',
    ...['level-b', 'level-c'].flatMap((name) => [
      `  ${name}:`,
      '    functionCode: 3',
      '    addressBase: 0',
      '    value: { address: 4, type: int16, order: ABCD, unit: m }',
      '    unitRegister: { address: 2, codes: { "7": m, "8": mm } }',
      '    decimalsRegister: { address: 3, max: 4 }',
      '    sentinels: [32767, -32768]',
      '    range: { min: -1, max: 100 }',
    ]),
    'sensors:',
    ...SENSORS.map(
      (s, i) =>
        `  - { id: ${s.id}, bus: sim, slave: 1, profile: ${['submersible-level', 'level-b', 'level-c'][i]}, pollIntervalMs: ${s.pollMs}, critical: ${i === 0} }`,
    ),
    'alarms:',
    '  sites:',
    '    - { id: river, name: river, sensors: [s1, s2], prepare: { levelM: 50 }, evacuate: { levelM: 60 } }',
    '    - { id: creek, name: creek, sensors: [s3], prepare: { levelM: 50 }, evacuate: { levelM: 60 } }',
    '',
  ].join('\n');
}

/** A child under libfaketime whose JSON log lines are kept, but for the per-write `readings.stored` ones. */
interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly lines: LogLine[];
  stderr(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

function spawnFaked(args: string[], fakeEnv: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, [join(packageRoot(), 'bin', 'fenghuo.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LANG: 'C', FENGHUO_LOG_LEVEL: 'info', ...fakeEnv },
  });
  const lines: LogLine[] = [];
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-5_000)));
  if (proc.stdout === null) throw new Error('no stdout pipe');
  createInterface({ input: proc.stdout }).on('line', (line) => {
    if (line.includes('"readings.stored"')) return;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      stderr = (stderr + line + '\n').slice(-5_000);
    }
  });
  const exit = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const pid = proc.pid ?? -1;
  return {
    proc,
    pid,
    lines,
    stderr: () => stderr,
    exited,
    stop: async () => {
      if (!exited()) proc.kill('SIGTERM');
      const guard = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(guard);
      removeFaketimeLeftovers(pid);
    },
  };
}

const events = (c: Child, name: string): LogLine[] => c.lines.filter((l) => l.event === name);
const fakeTimeOf = (l: LogLine): number => Date.parse(String(l.time));

interface Sample {
  realS: number;
  fakeTs: number;
  rssMb: number;
  heapMb: number | undefined;
  rawReadings: number;
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

const realNowS = (): number => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const mb = (bytes: number): number => bytes / 2 ** 20;
const fmt = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describeRig(`an accelerated week (x${SPEED_UP}) of operation with memory flat`, () => {
  // Made in beforeAll: the body of a skipped describe still runs, and its afterAll would not clean up.
  let dir: { dir: string; cleanup(): void } = { dir: '', cleanup: () => undefined };
  let dataDir = '';
  const fakeEnv = { LD_PRELOAD: LIBFAKETIME, FAKETIME: `+0 x${SPEED_UP}` };
  let sim: Child | undefined;
  let daemon: Child | undefined;

  beforeAll(async () => {
    dir = tempDir('fenghuo-rig-week-');
    dataDir = join(dir.dir, 'data');
    await ensureDistBuilt();
  }, 200_000);

  afterAll(async () => {
    await daemon?.stop();
    await sim?.stop();
    dir.cleanup();
  }, 60_000);

  it(
    'polls, folds and keeps memory flat for a fake week',
    async () => {
      const seriesFile = join(dir.dir, 'series.csv');
      writeFileSync(seriesFile, seriesCsv());
      const simPort = await freeTcpPort();
      sim = spawnFaked(['sim', '--tcp', `127.0.0.1:${simPort}`, '--series', seriesFile, '--speed', '1', '--loop'], fakeEnv);
      await waitUntil(() => events(sim!, 'sim.listening').length > 0 || sim!.exited(), 30_000, 'sim.listening');
      expect(sim.exited(), `sim exited: ${sim.stderr()}`).toBe(false);

      const configFile = join(dir.dir, 'site.yaml');
      writeFileSync(configFile, siteYaml(simPort));
      const apiPort = await freeTcpPort();
      daemon = spawnFaked(['run', '--config', configFile, '--data', dataDir, '--listen', `127.0.0.1:${apiPort}`], fakeEnv);
      const d = daemon;
      await waitUntil(() => events(d, 'daemon.started').length > 0 || d.exited(), 60_000, 'daemon.started');
      expect(d.exited(), `daemon exited: ${d.stderr()}\n${JSON.stringify(d.lines.slice(-5))}`).toBe(false);
      const t0 = fakeTimeOf(events(d, 'daemon.started')[0]!);
      const db = new Database(join(dataDir, 'fenghuo.db'), { readonly: true, fileMustExist: true });
      const countRaw = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM readings');

      // ---- sample until a fake week has passed ----
      const samples: Sample[] = [];
      const r0 = realNowS();
      let apiFailures = 0;
      for (;;) {
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
        expect(d.exited(), `daemon died: ${d.stderr()}\n${JSON.stringify(d.lines.slice(-5))}`).toBe(false);
        let fakeTs = NaN;
        let heapMb: number | undefined;
        try {
          const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/system`, { headers: bearerHeaders(), signal: AbortSignal.timeout(3_000) });
          const body = (await res.json()) as { ts: number; memory: { heapUsedBytes: number } };
          fakeTs = body.ts;
          heapMb = mb(body.memory.heapUsedBytes);
        } catch {
          apiFailures++;
        }
        const rawReadings = countRaw.get()?.n ?? NaN;
        if (!Number.isFinite(fakeTs)) {
          // The newest reading's time stands in for the daemon's clock.
          fakeTs = db.prepare<[], { ts: number }>('SELECT max(ts) AS ts FROM readings').get()?.ts ?? NaN;
        }
        samples.push({ realS: realNowS() - r0, fakeTs, rssMb: rssMb(d.pid), heapMb, rawReadings });
        if (fakeTs - t0 >= FAKE_DAYS * DAY + 10 * 60_000) break;
        if ((realNowS() - r0) * 1000 > REAL_CAP_MS) break;
      }
      const fakeEnd = samples[samples.length - 1]!.fakeTs;
      const realS = realNowS() - r0;

      // ---- stop, then read the database whole ----
      await d.stop();
      await sim.stop();
      const dayOf = (ts: number): number => Math.floor((ts - t0) / DAY);
      // sensor -> fake UTC hour (whole hours, so a folded 15-minute bucket falls in one) -> good readings
      const hourly = new Map<string, Map<number, number>>();
      const add = (sensor: string, ts: number, n: number): void => {
        const h = Math.floor(ts / HOUR);
        const m = hourly.get(sensor) ?? new Map<number, number>();
        m.set(h, (m.get(h) ?? 0) + n);
        hourly.set(sensor, m);
      };
      for (const r of db.prepare<[], { sensor_id: string; bucket: number; count: number }>('SELECT sensor_id, bucket, count FROM aggregates_15m').all()) add(r.sensor_id, r.bucket, r.count);
      for (const r of db.prepare<[], { sensor_id: string; ts: number }>('SELECT sensor_id, ts FROM readings WHERE quality = 0 AND value IS NOT NULL').all()) add(r.sensor_id, r.ts, 1);
      const alarms = db.prepare<[], { key: string; raised_at: number }>('SELECT key, raised_at FROM alarms ORDER BY id').all();
      db.close();
      const check = new Database(join(dataDir, 'fenghuo.db'), { readonly: true, fileMustExist: true });
      const integrity = check.pragma('integrity_check', { simple: true });
      check.close();

      // ---- the table per fake day ----
      const retention = events(d, 'storage.retention');
      const days = Array.from({ length: Math.max(1, dayOf(fakeEnd) + 1) }, (_, i) => i);
      const perDay = days.map((day) => {
        const s = samples.filter((x) => dayOf(x.fakeTs) === day);
        const heaps = s.map((x) => x.heapMb).filter((x): x is number => x !== undefined);
        let readings = 0;
        for (const m of hourly.values()) for (const [h, n] of m) if (dayOf(h * HOUR) === day) readings += n;
        return {
          day: day + 1,
          full: (day + 1) * DAY <= fakeEnd - t0,
          samples: s.length,
          readings,
          retention: retention.filter((l) => dayOf(fakeTimeOf(l)) === day).length,
          deleted: retention.filter((l) => dayOf(fakeTimeOf(l)) === day).reduce((a, l) => a + Number(l.deletedReadings ?? 0), 0),
          rawMax: Math.max(...s.map((x) => x.rawReadings)),
          rssMin: Math.min(...s.map((x) => x.rssMb)),
          rssMed: median(s.map((x) => x.rssMb)),
          rssMax: Math.max(...s.map((x) => x.rssMb)),
          heapMin: heaps.length ? Math.min(...heaps) : NaN,
          heapMax: heaps.length ? Math.max(...heaps) : NaN,
        };
      });
      const lines = [
        `accelerated week: x${SPEED_UP}, ${fmt(realS, 0)} s real, ${fmt((fakeEnd - t0) / DAY, 2)} fake days, ${samples.length} samples (${apiFailures} API failures), ${retention.length} retention passes`,
        'day  samples  readings  retention  deleted  raw-max  RSS min/med/max MB    heap min/max MB',
        ...perDay.map(
          (p) =>
            `${String(p.day).padStart(3)}${p.full ? ' ' : '*'} ${String(p.samples).padStart(7)}  ${String(p.readings).padStart(8)}  ${String(p.retention).padStart(9)}  ${String(p.deleted).padStart(7)}  ${String(p.rawMax).padStart(7)}  ${fmt(p.rssMin).padStart(6)}/${fmt(p.rssMed).padStart(6)}/${fmt(p.rssMax).padStart(6)}  ${fmt(p.heapMin).padStart(6)}/${fmt(p.heapMax).padStart(6)}`,
        ),
        '(* = a partial fake day)',
      ];

      // ---- polling kept up: every full fake hour after the first, per sensor, near the poll rate ----
      const firstHour = Math.ceil((t0 + HOUR) / HOUR);
      const endHour = Math.floor(fakeEnd / HOUR);
      const offHours: string[] = [];
      for (const s of SENSORS) {
        const expected = HOUR / s.pollMs;
        const counts: number[] = [];
        for (let h = firstHour; h < endHour; h++) {
          const n = hourly.get(s.id)?.get(h) ?? 0;
          counts.push(n);
          if (Math.abs(n - expected) > expected * HOURLY_RATE_TOLERANCE) offHours.push(`${s.id} hour ${new Date(h * HOUR).toISOString()}: ${n} of ${expected}`);
        }
        lines.push(`${s.id}: per whole fake hour (${counts.length} hours from the second on) min ${Math.min(...counts)} median ${median(counts)} max ${Math.max(...counts)} of ${expected}`);
      }
      const lateAlarms = alarms.filter((a) => a.raised_at > t0 + STARTUP_GRACE_MS);
      lines.push(`alarms: ${alarms.length} raised in all, ${lateAlarms.length} after the first fake 15 min ${JSON.stringify(alarms.slice(0, 10))}`);
      lines.push(`integrity_check: ${String(integrity)}`);
      console.log(lines.join('\n'));

      expect(fakeEnd - t0, 'fake time elapsed').toBeGreaterThanOrEqual(FAKE_DAYS * DAY);
      expect(offHours.slice(0, 20), 'fake hours whose readings are off the poll rate').toEqual([]);
      expect(retention.length, 'retention passes').toBeGreaterThanOrEqual(MIN_RETENTION_PASSES);
      // Raw readings plateau once the fold deletes (past 2 fake days): the last full day's peak near day 3's.
      const day3 = perDay[2]!;
      const last = perDay.filter((p) => p.full).at(-1)!;
      const steady = (2 * DAY + HOUR) * SENSORS.reduce((a, s) => a + 1 / s.pollMs, 0);
      expect(day3.deleted, 'readings deleted on day 3').toBeGreaterThan(0);
      expect(last.rawMax, 'raw readings on the last fake day').toBeLessThanOrEqual(steady * 1.03);
      expect(last.rawMax, 'raw readings: last day vs day 3').toBeLessThanOrEqual(day3.rawMax * 1.03);
      expect(lateAlarms, 'alarms raised after the first fake 15 minutes').toEqual([]);
      // Memory: the resident size of the last full fake day vs fake day 2 (after warm-up); the live heap's daily minima.
      const day2 = perDay[1]!;
      expect(last.day, 'the last full fake day').toBe(FAKE_DAYS);
      expect(last.rssMed - day2.rssMed, 'RSS median growth, last day - day 2 (MB)').toBeLessThan(MAX_RSS_GROWTH_MB);
      expect(last.rssMax - day2.rssMax, 'RSS max growth, last day - day 2 (MB)').toBeLessThan(MAX_RSS_GROWTH_MB);
      expect(last.heapMin - day2.heapMin, 'live heap daily minimum growth, last day - day 2 (MB)').toBeLessThan(MAX_HEAP_MIN_GROWTH_MB);
      expect(integrity).toBe('ok');
    },
    REAL_CAP_MS + 3 * 60_000,
  );
});
