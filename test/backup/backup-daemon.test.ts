// fenghuo backup beside a running daemon (issue #17 items 1-2): a Modbus gauge polled every 100 ms, a manual alarm
// acknowledged while the backup runs; the snapshot passes integrity_check and holds every reading the daemon logged as
// stored before the backup started; restored onto a fresh data dir, a daemon serves the same readings for that period
// and the same alarms. kill -9 of a backup half-way leaves no complete-looking backup and the previous one intact.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../node-daemon/cli.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { TEST_STEP_DELAY_ENV } from '../../node-daemon/backup/snapshot.js';
import { getJson, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess, type RawReading } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { checkKept, committedTransitions, LOW_CM, postJson, siteYaml, sleep, startGauge, type Gauge } from '../rigs/fault-rig.js';

const PASS_ENV = 'FENGHUO_TEST_BACKUP_PASSPHRASE';
const PASSPHRASE = 'river-gauge-backup-17';

interface Child {
  readonly pid: number;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  kill9(): void;
}

/** `node bin/fenghuo.js ARGS` (the built CLI, as a technician runs it). */
function fenghuoChild(args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'fenghuo.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [PASS_ENV]: PASSPHRASE, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { pid: child.pid ?? -1, done, kill9: () => child.kill('SIGKILL') };
}

async function inProcess(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface AlarmJson {
  readonly id: number;
  readonly key: string;
  readonly state: string;
  readonly level: string | null;
  readonly transitions: readonly unknown[];
}

let gauge: Gauge;
let daemon: DaemonProcess;
let restored: DaemonProcess | undefined;
let work: { dir: string; cleanup(): void };
let dataDir: string;
let configFile: string;
let startedAt: number;

beforeAll(async () => {
  await ensureDistBuilt();
  work = tempDir('fenghuo-backup-daemon-');
  dataDir = join(work.dir, 'data');
  mkdirSync(dataDir);
  gauge = await startGauge(LOW_CM);
  configFile = writeConfig(work.dir, siteYaml({ gaugePort: gauge.port, pollIntervalMs: 100 }));
  startedAt = Date.now();
  daemon = await startDaemon({ configFile, dataDir });
  await waitUntil(() => daemon.stored().length >= 40, 30_000, '40 stored batches');
}, 300_000);

afterAll(async () => {
  if (restored !== undefined && !restored.exited()) await restored.sigterm();
  if (daemon !== undefined && !daemon.exited()) await daemon.sigterm();
  await gauge?.stop();
  work?.cleanup();
});

const plausible = (r: { value: number | null; quality: number }): boolean => r.value === null || Math.abs(r.value - LOW_CM / 100) < 1e-6;

describe('fenghuo backup beside a running daemon', () => {
  it('is consistent, holds every stored reading, and restores to a daemon answering the same', async () => {
    const raised = await postJson<{ alarm: AlarmJson }>(`${daemon.url}/api/v1/alarms`, { level: 'prepare', drill: true, title: '备份演练' });
    expect(raised.status).toBe(201);
    const alarmId = raised.body.alarm.id;

    const storedBefore = daemon.stored();
    const transitionsBefore = committedTransitions(dataDir);
    const backupStartedAt = Date.now();
    const to = join(work.dir, 'backups');
    const backup = fenghuoChild(['backup', '--data', dataDir, '--to', to, '--config', configFile, '--passphrase-env', PASS_ENV], { [TEST_STEP_DELAY_ENV]: '300' });
    // The alarm changes state while the backup runs (and the daemon keeps polling every 100 ms).
    // (after the database copy began: the copy is the state before the acknowledgement)
    await waitUntil(() => existsSync(to) && readdirSync(to).some((n) => n.endsWith('.partial') && existsSync(join(to, n, 'fenghuo.db'))), 20_000, 'the backup started');
    const acked = await postJson<{ alarm: AlarmJson }>(`${daemon.url}/api/v1/alarms/${alarmId}/ack`, { note: 'during backup' });
    expect(acked.status).toBe(200);
    const result = await backup.done;
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const [dir, summary] = result.out.trim().split('\n');
    expect(summary).toMatch(/^backup ok: \d+ files?, .*, schema \d+, change log up to seq \d+, config, /);
    expect(dir).toMatch(/\/backups\/fenghuo-backup-\d{8}-\d{6}Z$/);
    const backupDir = dir!;

    // The snapshot: integrity_check ok, every batch logged as stored before the backup, every committed transition.
    const kept = checkKept(backupDir, storedBefore, transitionsBefore, plausible);
    expect(kept.problems).toEqual([]);
    expect(kept.report.integrity).toBe('ok');
    expect(kept.report.readings).toBeGreaterThanOrEqual(40);
    const snap = new Database(join(backupDir, 'fenghuo.db'), { readonly: true });
    const snapAlarms = snap.prepare('SELECT id, key, kind, level, state FROM alarms ORDER BY id').all() as { id: number; key: string; kind: string; level: string | null; state: string }[];
    const snapHistory = snap.prepare('SELECT alarm_id, COUNT(*) AS n FROM alarm_transitions GROUP BY alarm_id').all() as { alarm_id: number; n: number }[];
    const maxSeq = snap.prepare('SELECT MAX(seq) FROM change_log').pluck().get() as number;
    snap.close();
    expect(snapAlarms.find((a) => a.id === alarmId)?.state).toBe('active');
    expect(acked.body.alarm.state).toBe('acknowledged');
    const lastStoredBefore = storedBefore.at(-1)!;
    expect(maxSeq).toBeGreaterThanOrEqual(lastStoredBefore.seq);

    // Restore onto a fresh data dir (the restore refuses the running daemon's own data dir).
    process.env[PASS_ENV] = PASSPHRASE;
    const inUse = await inProcess('restore', backupDir, '--data', dataDir, '--force', '--passphrase-env', PASS_ENV);
    expect(inUse.code).toBe(1);
    expect(inUse.err).toMatch(/in use: stop the daemon first/);
    const fresh = join(work.dir, 'restored');
    const r = await inProcess('restore', backupDir, '--data', fresh, '--passphrase-env', PASS_ENV);
    delete process.env[PASS_ENV];
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/integrity_check ok/);

    restored = await startDaemon({ configFile, dataDir: fresh });
    const from = startedAt - 60_000;
    const toMs = backupStartedAt - 1_500;
    const readings = async (d: DaemonProcess): Promise<RawReading[]> =>
      (await getJson<{ readings: RawReading[] }>(`${d.url}/api/v1/sensors/river/readings?from=${from}&to=${toMs}&limit=10000`)).readings;
    const original = await readings(daemon);
    expect(original.length).toBeGreaterThan(20);
    expect(await readings(restored)).toEqual(original);
    for (const a of snapAlarms) {
      const got = await getJson<AlarmJson>(`${restored.url}/api/v1/alarms/${a.id}`);
      expect({ id: got.id, key: got.key, level: got.level, state: got.state }).toEqual({ id: a.id, key: a.key, level: a.level, state: a.state });
      expect(got.transitions.length).toBe(snapHistory.find((h) => h.alarm_id === a.id)?.n ?? 0);
    }
    await restored.sigterm();
  }, 120_000);

  it('kill -9 half-way leaves no complete-looking backup and the previous one intact', async () => {
    const to = join(work.dir, 'kill-backups');
    const first = await fenghuoChild(['backup', '--data', dataDir, '--to', to]).done;
    expect(first.code).toBe(0);
    const previous = first.out.trim().split('\n')[0]!;

    const slow = fenghuoChild(['backup', '--data', dataDir, '--to', to], { [TEST_STEP_DELAY_ENV]: '3000' });
    const partialName = (): string | undefined => readdirSync(to).find((n) => n.endsWith('.partial') && existsSync(join(to, n, 'fenghuo.db')));
    await waitUntil(() => partialName() !== undefined, 20_000, 'the database copied into a .partial directory');
    await sleep(500);
    slow.kill9();
    const killed = await slow.done;
    expect(killed.signal).toBe('SIGKILL');

    const entries = readdirSync(to).sort();
    expect(entries.filter((n) => !n.endsWith('.partial'))).toEqual([previous.split('/').at(-1)]);
    expect(entries.filter((n) => n.endsWith('.partial'))).toHaveLength(1);
    const partial = join(to, entries.find((n) => n.endsWith('.partial'))!);
    const refused = await inProcess('restore', partial, '--data', join(work.dir, 'from-partial'));
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/unfinished backup/);
    const fromPrevious = await inProcess('restore', previous, '--data', join(work.dir, 'from-previous'));
    expect(fromPrevious.err).toBe('');
    expect(fromPrevious.code).toBe(0);

    // The next backup clears the dead one's leftovers.
    const next = await fenghuoChild(['backup', '--data', dataDir, '--to', to]).done;
    expect(next.code).toBe(0);
    expect(readdirSync(to).filter((n) => n.endsWith('.partial'))).toEqual([]);
  }, 120_000);
});
