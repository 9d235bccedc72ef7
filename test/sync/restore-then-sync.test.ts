// Issue #17 item 2, "Restore then sync: the hub holds exactly one copy of every record". Real parts: `fenghuo hub` on
// its embedded SQLite, a box (`fenghuo run`, dist/) enrolled through the real CLI and polling a Modbus gauge
// (pymodbus) every 100 ms, both on loopback. The box syncs; `fenghuo backup --passphrase-env` while it runs; the box
// goes on (an alarm acknowledged, another raised, the hub acknowledges past the backup); kill -9; `fenghuo restore`
// onto a fresh data dir; the box starts on it and syncs new readings and alarm transitions. At the hub: one copy of
// every reading by (box, sensor, ts) and of every transition by (box, alarm key, raise time, type, ts), every record
// the box made after the restore is there, and the box is the same box (same id, same key, no second enrolment).
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFenghuo, spawnFenghuo, localSpawner, loggedEvent, type FenghuoProcess } from '../../bench/support/fenghuo-process.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { freePort } from '../hub/http/cli-runner.js';
import { LOW_CM, postJson, siteYaml, startGauge, type Gauge } from '../rigs/fault-rig.js';
import { bearerHeaders } from '../helpers/auth.js';

const BOX_ID = 'qingshui-restore';
const PASS_ENV = 'FENGHUO_TEST_RESTORE_PASSPHRASE';
const PASSPHRASE = 'restore-then-sync-17';

let work: { dir: string; cleanup(): void };
let gauge: Gauge | undefined;
let hub: FenghuoProcess | undefined;
const boxes: DaemonProcess[] = [];

beforeAll(async () => {
  await ensureDistBuilt();
}, 300_000);

afterAll(async () => {
  for (const b of boxes) if (!b.exited()) await b.sigterm();
  await hub?.stop(3_000).catch(() => undefined);
  await gauge?.stop();
  work?.cleanup();
});

/** `node bin/fenghuo.js ARGS` with the passphrase in the environment; resolves with its exit and output. */
function fenghuoCli(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'fenghuo.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, [PASS_ENV]: PASSPHRASE },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

/** Reads the hub's SQLite file beside the running hub (WAL: a reader sees committed ingests). */
function atHub<T>(hubDb: string, read: (db: Database.Database) => T): T {
  const db = new Database(hubDb, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function onBox<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'fenghuo.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

interface HubFacts {
  readonly readings: number;
  readonly maxSeq: number;
  readonly transitions: readonly { key: string; raised_at: number; type: string; ts: number }[];
}

function hubFacts(hubDb: string): HubFacts {
  return atHub(hubDb, (db) => ({
    readings: db.prepare('SELECT COUNT(*) FROM hub_readings WHERE box_id = ?').pluck().get(BOX_ID) as number,
    maxSeq: (db.prepare('SELECT MAX(seq) FROM hub_records WHERE box_id = ?').pluck().get(BOX_ID) as number | null) ?? 0,
    transitions: db
      .prepare(
        `SELECT a.key, a.raised_at, t.type, t.ts FROM hub_alarm_transitions t
         JOIN hub_alarms a ON a.box_id = t.box_id AND a.db_id = t.db_id AND a.alarm_id = t.alarm_id WHERE t.box_id = ?`,
      )
      .all(BOX_ID) as { key: string; raised_at: number; type: string; ts: number }[],
  }));
}

const transitionKey = (t: { key: string; raised_at: number; type: string; ts: number }): string => `${t.key}|${t.raised_at}|${t.type}|${t.ts}`;

async function backlogEmpty(box: DaemonProcess): Promise<boolean> {
  const res = await fetch(`${box.url}/api/v1/health`, { headers: bearerHeaders() });
  const body = (await res.json()) as { sync?: { state: string; backlog: Record<string, { records: number }> } };
  return body.sync?.state === 'up' && Object.values(body.sync.backlog).every((l) => l.records === 0);
}

describe('restore then sync', () => {
  it('the hub holds exactly one copy of every record, and every record made after the restore', async () => {
    work = tempDir('fenghuo-restore-sync-');
    const dir = work.dir;
    const hubPort = await freePort();
    const hubConfig = join(dir, 'hub.yaml');
    const hubData = join(dir, 'hub-data');
    const hubDb = join(hubData, 'hub.db');
    writeFileSync(hubConfig, [`listen: 127.0.0.1:${hubPort}`, `dataDir: ${hubData}`, ''].join('\n'));
    hub = spawnFenghuo(localSpawner, 'hub', dir, ['hub', '--config', hubConfig]);
    await loggedEvent(hub, 'hub.started', 30_000);

    const dataDir = join(dir, 'box-data');
    mkdirSync(dataDir);
    const made = await runFenghuo(dir, ['hub', 'enrol-code', '--config', hubConfig, '--box', BOX_ID, '--ttl', '30m']);
    expect(made.code, made.stderr).toBe(0);
    const enrolled = await runFenghuo(dir, ['enroll', '--hub', `http://127.0.0.1:${hubPort}`, '--code', made.stdout.trim(), '--data', dataDir]);
    expect(enrolled.code, enrolled.stderr + enrolled.stdout).toBe(0);
    const identity = readFileSync(join(dataDir, 'sync', 'enrolment.json'), 'utf8');
    const boxKey = readFileSync(join(dataDir, 'sync', 'box.key'));

    gauge = await startGauge(LOW_CM);
    const configFile = writeConfig(dir, siteYaml({ gaugePort: gauge.port, pollIntervalMs: 100, extra: ['sync:', '  maxBackoffMs: 2000'] }));
    const box = await startDaemon({ configFile, dataDir });
    boxes.push(box);

    // 1. The box syncs: readings and a raised alarm reach the hub.
    const a = await postJson<{ alarm: { id: number } }>(`${box.url}/api/v1/alarms`, { level: 'prepare', drill: true, title: '恢复演练 A' });
    expect(a.status).toBe(201);
    await waitUntil(() => hubFacts(hubDb).readings >= 20 && hubFacts(hubDb).transitions.length >= 1, 30_000, 'readings and alarm A at the hub');

    // 2. Backup while it runs, identity encrypted with the passphrase.
    const backup = await fenghuoCli(['backup', '--data', dataDir, '--to', join(dir, 'backups'), '--config', configFile, '--passphrase-env', PASS_ENV]);
    expect(backup.err).toBe('');
    expect(backup.code).toBe(0);
    const backupDir = backup.out.trim().split('\n')[0]!;
    const snap = new Database(join(backupDir, 'fenghuo.db'), { readonly: true });
    const backupSeq = snap.prepare('SELECT MAX(seq) FROM change_log').pluck().get() as number;
    const backupReadingId = snap.prepare('SELECT MAX(id) FROM readings').pluck().get() as number;
    const backupTransitionId = snap.prepare('SELECT MAX(id) FROM alarm_transitions').pluck().get() as number;
    snap.close();

    // 3. The box goes on after the backup: A acknowledged, B raised, the hub acknowledges well past the backup.
    expect((await postJson(`${box.url}/api/v1/alarms/${a.body.alarm.id}/ack`, { note: 'after backup' })).status).toBe(200);
    expect((await postJson(`${box.url}/api/v1/alarms`, { level: 'evacuate', drill: true, title: '恢复演练 B' })).status).toBeLessThan(300);
    await waitUntil(() => hubFacts(hubDb).maxSeq > backupSeq + 30 && hubFacts(hubDb).transitions.length >= 3, 30_000, 'the hub past the backup');
    await waitUntil(() => backlogEmpty(box), 30_000, 'the first box drained');

    // 4. The card dies.
    await box.kill9();
    const beforeRestore = hubFacts(hubDb);

    // 5. Restore onto a fresh card, identity back with the passphrase; the box starts on it.
    const fresh = join(dir, 'fresh-data');
    const restore = await fenghuoCli(['restore', backupDir, '--data', fresh, '--passphrase-env', PASS_ENV]);
    expect(restore.err).toBe('');
    expect(restore.code).toBe(0);
    expect(readFileSync(join(fresh, 'sync', 'enrolment.json'), 'utf8')).toBe(identity);
    expect(readFileSync(join(fresh, 'sync', 'box.key')).equals(boxKey)).toBe(true);
    // The restored database numbers above anything the lost card gave out (sync/restore-floor.ts), and says so.
    const mark = onBox(fresh, (db) => JSON.parse(db.prepare("SELECT value FROM meta WHERE key = 'sync_restored'").pluck().get() as string) as { backupSeq: number; floor: { change_log: number; readings: number } });
    expect(mark.backupSeq).toBe(backupSeq);
    expect(mark.floor.change_log).toBeGreaterThan(beforeRestore.maxSeq);
    const restored = await startDaemon({ configFile, dataDir: fresh });
    boxes.push(restored);

    // 6. New records after the restore: readings, A acknowledged again (it was active in the backup), escalated (C).
    const ackAgain = await postJson(`${restored.url}/api/v1/alarms/${a.body.alarm.id}/ack`, { note: 'after restore' });
    expect(ackAgain.status).toBe(200);
    expect((await postJson(`${restored.url}/api/v1/alarms`, { level: 'evacuate', drill: true, title: '恢复演练 C' })).status).toBeLessThan(300);
    await waitUntil(() => onBox(fresh, (db) => db.prepare('SELECT COUNT(*) FROM readings WHERE id > ?').pluck().get(backupReadingId) as number) >= 30, 30_000, 'readings after the restore');
    // The box keeps polling: what it had stored before a health view said every lane was empty is what must be there.
    let syncedUpTo = 0;
    await waitUntil(
      async () => {
        const maxId = onBox(fresh, (db) => db.prepare('SELECT MAX(id) FROM readings').pluck().get() as number);
        if (!(await backlogEmpty(restored))) return false;
        syncedUpTo = maxId;
        return true;
      },
      30_000,
      'the restored box drained',
    );
    await restored.sigterm();

    // 7. At the hub.
    const after = hubFacts(hubDb);
    expect(after.readings).toBeGreaterThan(beforeRestore.readings);
    const readingDupes = atHub(hubDb, (db) =>
      db.prepare('SELECT sensor_id, ts, COUNT(*) AS n FROM hub_readings WHERE box_id = ? GROUP BY sensor_id, ts HAVING COUNT(*) > 1').all(BOX_ID),
    );
    expect(readingDupes).toEqual([]);
    const counts = new Map<string, number>();
    for (const t of after.transitions) counts.set(transitionKey(t), (counts.get(transitionKey(t)) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    // What the hub held before the restore is all still there (records the box no longer has: S+1..T).
    for (const t of beforeRestore.transitions) expect(counts.get(transitionKey(t)), transitionKey(t)).toBe(1);

    // Every record the box made after the restore arrived (no gap).
    const newReadings = onBox(fresh, (db) => db.prepare('SELECT sensor_id, ts FROM readings WHERE id > ? AND id <= ?').all(backupReadingId, syncedUpTo) as { sensor_id: string; ts: number }[]);
    expect(newReadings.length).toBeGreaterThanOrEqual(30);
    const hubReadingKeys = atHub(hubDb, (db) => new Set((db.prepare('SELECT sensor_id, ts FROM hub_readings WHERE box_id = ?').all(BOX_ID) as { sensor_id: string; ts: number }[]).map((r) => `${r.sensor_id}|${r.ts}`)));
    expect(newReadings.filter((r) => !hubReadingKeys.has(`${r.sensor_id}|${r.ts}`))).toEqual([]);
    const newTransitions = onBox(fresh, (db) =>
      db
        .prepare('SELECT a.key, a.raised_at, t.type, t.ts FROM alarm_transitions t JOIN alarms a ON a.id = t.alarm_id WHERE t.id > ?')
        .all(backupTransitionId) as { key: string; raised_at: number; type: string; ts: number }[],
    );
    expect(newTransitions.length).toBeGreaterThanOrEqual(2);
    for (const t of newTransitions) expect(counts.get(transitionKey(t)), `after the restore: ${transitionKey(t)}`).toBe(1);

    // The same box: one enrolment, its key, and the restored box's requests taken (hub.box.* lines name no other).
    const boxesAtHub = atHub(hubDb, (db) => db.prepare('SELECT id, public_key FROM hub_boxes').all() as { id: string; public_key: string }[]);
    expect(boxesAtHub.map((b) => b.id)).toEqual([BOX_ID]);
    expect(restored.events('sync.state').some((l) => l['state'] === 'up')).toBe(true);
  }, 240_000);
});
