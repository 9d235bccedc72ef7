// Issue #15, "the link": the box reports the demo flood to the centre simulator, all real processes. The site is
// `fenghuo sim --demo` (the Llano River 2018 flood replayed over Modbus TCP, real time, sped up); the centre is
// `fenghuo sim --sl651-centre`; the daemon runs under libfaketime at x120 (LD_PRELOAD libfaketimeMT, FAKETIME
// "+0 x120": its wall and monotonic clocks and every timer 120x faster), so its 5-minute 定时报, its 小时报 and a
// 30-minute outage of the centre take seconds. The centre sees the timed reports at every 5-minute mark, the 加报 from
// the first reading past each threshold, and the hourly report; the centre is killed for 30 fake minutes and comes
// back on the same port: every report the daemon queued arrives once, oldest first. Every frame the centre received
// is also decoded by the independent Python decoder (sl651_reference.py) and must agree with the centre's reading.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../node-daemon/core/paths.js';
import type { HealthSnapshot } from '../../../node-daemon/health/health-types.js';
import { DB_FILE_NAME } from '../../../node-daemon/storage/database.js';
import { getJson, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../../helpers/dist-build.js';
import { findLibfaketime, removeFaketimeLeftovers } from '../../helpers/libfaketime.js';
import { freeTcpPort } from '../../helpers/pymodbus.js';
import { startCentreProcess, type CentreLine, type CentreProcess } from './centre-process.js';
import { decodeWithReference, referencePython, type ReferenceFrame } from './reference.js';

const SPEED_UP = 120;
/** The flood replay: 20 minutes of the Llano record per real second; the Mason gauge passes 7 m ~19 s after start. */
const FLOOD_SPEED = 1_200;
const MINUTE = 60_000;
const THRESHOLDS = [7, 10.1];
const POLL_MS = 10_000;
const LIBFAKETIME = findLibfaketime({ multiThreadedOnly: true });
const PYTHON = referencePython();
const describeLink = LIBFAKETIME !== undefined ? describe : describe.skip;
if (LIBFAKETIME === undefined) console.warn('SL 651 demo-flood test skipped: libfaketime is not installed (apt-get install -y libfaketime)');

type Line = Record<string, unknown> & { readonly event: string };

interface Child {
  readonly child: ChildProcess;
  readonly lines: Line[];
  exited(): boolean;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'fenghuo.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LANG: 'C', ...env } });
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Line);
    } catch {
      // not a JSON line
    }
  });
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    lines,
    exited,
    kill9: async () => {
      if (!exited()) child.kill('SIGKILL');
      await exit;
    },
    stop: async () => {
      if (!exited()) child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(guard);
    },
  };
}

interface CentreFrame {
  readonly fn: string;
  readonly serial: number;
  readonly observed?: string;
  readonly elements?: readonly { id: string; value?: number | null; values?: (number | null)[] }[];
  readonly hex: string;
  readonly duplicate: boolean;
  readonly confirmed: boolean;
}

const framesOf = (c: CentreProcess): CentreFrame[] => c.lines.filter((l: CentreLine) => l.event === 'frame').map((l) => l as unknown as CentreFrame);
const level = (f: CentreFrame): number | null | undefined => f.elements?.find((e) => e.id === '39')?.value;
const floorMinute = (t: number): number => Math.floor(t / MINUTE) * MINUTE;

function siteYaml(sitePort: number, centrePort: number): string {
  return [
    'buses:',
    // Fake milliseconds: 60 s of timeout is half a real second at x120.
    `  - { id: site, type: tcp, host: 127.0.0.1, port: ${sitePort}, timeoutMs: 60000, reconnectMs: 1000 }`,
    'sensors:',
    `  - { id: mason, name: Mason, bus: site, slave: 1, profile: submersible-level, pollIntervalMs: ${POLL_MS}, critical: true }`,
    'uplinks:',
    '  sl651:',
    '    - id: county',
    '      host: 127.0.0.1',
    `      port: ${centrePort}`,
    '      centre: 1',
    '      station: "0012345678"',
    '      password: "1234"',
    `      levels: [{ element: "39", sensor: mason, thresholdsM: [${THRESHOLDS.join(', ')}] }]`,
    '      timedIntervalMin: 5',
    '      confirmTimeoutMs: 120000',
    '      maxBackoffMs: 60000',
    '',
  ].join('\n');
}

describeLink('SL 651: the demo flood reported to the centre simulator (daemon at x120 under libfaketime)', () => {
  let dir = { dir: '', cleanup: (): void => undefined };
  const children: Child[] = [];
  const centres: CentreProcess[] = [];
  let daemon: DaemonProcess | undefined;

  beforeAll(async () => {
    dir = tempDir('fenghuo-sl651-flood-');
    await ensureDistBuilt();
  }, 200_000);

  afterAll(async () => {
    if (daemon !== undefined && !daemon.exited()) await daemon.sigterm();
    if (daemon !== undefined) removeFaketimeLeftovers(daemon.pid);
    for (const c of children) await c.stop();
    for (const c of centres) await c.stop();
    dir.cleanup();
  }, 60_000);

  it('timed reports, the 加报 at each crossing, the hourly report; a 30-minute outage loses and repeats nothing', async () => {
    const centrePort = await freeTcpPort();
    const sitePort = await freeTcpPort();
    const startCentre = async (): Promise<CentreProcess> => {
      const c = await startCentreProcess({ port: centrePort });
      centres.push(c);
      return c;
    };
    const centre1 = await startCentre();
    const configFile = writeConfig(dir.dir, siteYaml(sitePort, centrePort));
    const d = await startDaemon({ configFile, dataDir: dir.dir, env: { LD_PRELOAD: LIBFAKETIME, FAKETIME: `+0 x${SPEED_UP}` } });
    daemon = d;
    const site = spawnCli(['sim', '--demo', '--tcp', `127.0.0.1:${sitePort}`, '--speed', String(FLOOD_SPEED)]);
    children.push(site);
    const health = (): Promise<HealthSnapshot> => getJson<HealthSnapshot>(`${d.url}/api/v1/health`);
    const centreState = async () => (await health()).uplinks?.sl651[0];

    // ---- the flood rises past 7 m and 10.1 m and falls back below 10.1 m ----
    await waitUntil(
      () => {
        const levels = framesOf(centre1).filter((f) => f.fn === '33').map((f) => level(f) ?? 0);
        const top = levels.findIndex((v) => v >= 10.1);
        return top >= 0 && levels.slice(top).some((v) => v < 10.1);
      },
      90_000,
      'added reports of the rise past 10.1 m and the fall below it',
    );

    // ---- the centre goes away for 30 minutes (daemon time), at a moment nothing is in flight ----
    await waitUntil(() => framesOf(centre1).filter((f) => f.fn !== '2F').every((f) => f.confirmed), 10_000, 'every report confirmed (keep-alives never are)');
    let queued = (await centreState())?.queueLength;
    for (let i = 0; i < 50 && queued !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      queued = (await centreState())?.queueLength;
    }
    expect(queued).toBe(0);
    await centre1.kill9();
    const killedAt = (await health()).ts;
    let down: Awaited<ReturnType<typeof centreState>>;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      down = await centreState();
      if ((await health()).ts >= killedAt + 30 * MINUTE) break;
    }
    expect(down?.state === 'backoff' || down?.state === 'connecting').toBe(true);
    expect(down?.queueLength ?? 0).toBeGreaterThan(0);
    const queuedDuringOutage = down?.queueLength ?? 0;

    const centre2 = await startCentre();
    await waitUntil(() => framesOf(centre2).length >= queuedDuringOutage, 30_000, 'the queue sent to the centre that came back');
    // ---- run on until an hourly report has arrived and the queue is empty ----
    const allFrames = (): CentreFrame[] => [...framesOf(centre1), ...framesOf(centre2)];
    await waitUntil(() => allFrames().some((f) => f.fn === '34'), 60_000, 'an hourly report');
    let after = await centreState();
    for (let i = 0; i < 100 && after?.queueLength !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await centreState();
    }
    expect(after?.queueLength).toBe(0);
    expect(after?.state).toBe('connected');
    await d.sigterm();
    removeFaketimeLeftovers(d.pid);

    // ---- every queued report arrived once, in queue order ----
    const queuedLines = d.events('sl651.report_queued');
    const reports = allFrames().filter((f) => f.fn !== '2F');
    expect(reports.map((f) => f.serial)).toEqual(queuedLines.map((l) => Number(l.serial)));
    expect(reports.every((f) => !f.duplicate)).toBe(true);
    expect(framesOf(centre2).filter((f) => f.fn !== '2F').length).toBeGreaterThanOrEqual(queuedDuringOutage);

    // ---- 定时报 at every 5-minute mark, none skipped, the outage included ----
    const timed = reports.filter((f) => f.fn === '32').map((f) => Date.parse(f.observed!));
    expect(timed.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < timed.length; i++) expect(timed[i]! - timed[i - 1]!).toBe(5 * MINUTE);
    expect(timed.every((t) => t % (5 * MINUTE) === 0)).toBe(true);
    expect(timed.some((t) => t > killedAt && t < killedAt + 30 * MINUTE)).toBe(true);

    const db = new Database(join(dir.dir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
    const readings = db
      .prepare<[], { ts: number; value: number }>("SELECT ts, value FROM readings WHERE sensor_id = 'mason' AND quality = 0 AND value IS NOT NULL ORDER BY id")
      .all();
    db.close();

    // ---- the 小时报: on the hour, the hour's twelve 5-minute levels as stored (none where the box had none) ----
    const hourly = reports.find((f) => f.fn === '34')!;
    const hour = Date.parse(hourly.observed!);
    expect(hour % (60 * MINUTE)).toBe(0);
    const f5 = hourly.elements?.find((e) => e.id === 'F5')?.values ?? [];
    const stored = Array.from({ length: 12 }, (_, i) => {
      const mark = hour - (11 - i) * 5 * MINUTE;
      const r = readings.filter((x) => x.ts <= mark && x.ts > mark - 5 * MINUTE).pop();
      return r === undefined ? null : Math.round(r.value * 100) / 100;
    });
    expect(stored.filter((v) => v !== null).length).toBeGreaterThan(0);
    expect(f5.map((v) => (v === null ? null : Math.round(v * 100) / 100))).toEqual(stored);

    // ---- 加报 from the first reading past each threshold (either way) ----
    const added = reports.filter((f) => f.fn === '33').map((f) => ({ at: Date.parse(f.observed!), value: level(f) }));
    let crossings = 0;
    for (let i = 1; i < readings.length; i++) {
      const [prev, cur] = [readings[i - 1]!, readings[i]!];
      for (const t of THRESHOLDS) {
        if ((prev.value < t) === (cur.value < t)) continue;
        crossings++;
        // The report carries that first reading past the threshold, observed at its minute.
        expect(added, `a 加报 for the crossing of ${t} m at ${new Date(cur.ts).toISOString()} (${prev.value} → ${cur.value})`).toContainEqual({
          at: floorMinute(cur.ts),
          value: Math.round(cur.value * 1000) / 1000,
        });
      }
    }
    expect(crossings).toBeGreaterThanOrEqual(3);

    // ---- the frames themselves, read by the independent decoder ----
    if (PYTHON === null) return;
    const decoded = await decodeWithReference(allFrames().map((f) => f.hex));
    decoded.forEach((r, i) => {
      const f = allFrames()[i]!;
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const ref = r as ReferenceFrame;
      expect(ref.direction).toBe('up');
      expect(ref.fn.toUpperCase()).toBe(f.fn);
      expect(ref.serial).toBe(f.serial);
      if (f.fn === '2F') return;
      const refLevel = ref.groups.flatMap((g) => g.elements).find((e) => e.id === '39')?.value;
      expect(refLevel ?? null).toBe(level(f) ?? null);
    });
  }, 300_000);
});
