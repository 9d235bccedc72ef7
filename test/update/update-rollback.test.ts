// fenghuo update / update --rollback / version (issue #17 item 3), end to end without systemd: release tarballs of
// this checkout installed by the real systemd/install.sh into a scratch root, the daemon run from `<prefix>/current`
// by a service rig that restarts it on command and whenever it exits (as Restart=always would), two Modbus gauges of
// the demo's simulated site, and `fenghuo update` run from the installed release as the technician would.
//   (a) a good release (version bumped): healthy, `current` switched, the previous release kept, recorded;
//   (d) --rollback goes back to the kept release with the data kept;
//   (b) a release whose migration fails (crash loop): rolled back on its own, the pre-update data restored (the
//       readings and the open alarm from before are served by the old release), the new release's database kept aside;
//   (c) a release that starts but never polls: rolled back after the deadline;
//   then --rollback refuses to go "back" to a release that was rolled back from.
import Database from 'better-sqlite3';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestSchemaVersion } from '../../node-daemon/backup/restore.js';
import { readUpdateRecord } from '../../node-daemon/update/update-state.js';
import { getJson, tempDir, waitUntil } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { postJson } from '../rigs/fault-rig.js';
import { boxOptions, buildReleaseTarball, patchFile, startBox, type Box } from './update-rig.js';

interface Health {
  readonly version: string;
  readonly uptimeS: number;
  readonly sensors: readonly { readonly id: string; readonly lastReading?: { readonly ts: number } }[];
}

interface AlarmJson {
  readonly id: number;
  readonly state: string;
}

let work: { dir: string; cleanup(): void };
let box: Box;
let alarmId: number;
let readingsBefore: number;
let beforeUpdates: number;

const health = (): Promise<Health> => getJson<Health>(`${box.url}/api/v1/health`);

/** Health answers and every sensor has a reading newer than `since`. */
async function waitPolling(version: string, since: number): Promise<void> {
  await waitUntil(
    async () => {
      const h = await health().catch((err: unknown) => {
        throw new Error(`health: ${String(err)} ${String((err as { cause?: unknown }).cause)}`);
      });
      return h.version === version && h.sensors.every((s) => (s.lastReading?.ts ?? 0) > since);
    },
    20_000,
    () => `fenghuo ${version} polling at ${box.url}; the daemon's log ends: ${tail(box.daemonLog)}`,
  );
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").filter((l) => !l.includes("readings.stored")).slice(-15).join("\n");
  } catch {
    return '(no log)';
  }
}

const currentTarget = (): string => readlinkSync(join(box.prefixDir, 'current'));
const releases = (): string[] => readdirSync(join(box.prefixDir, 'releases')).sort();
const lastStartedRelease = (): unknown => box.rigEvents.filter((e) => e.event === 'rig.started').at(-1)?.release;

async function update(file: string, deadlineS: number): Promise<{ code: number | null; out: string; err: string }> {
  return box.fenghuo(['update', file, '--deadline-s', String(deadlineS), ...boxOptions(box)]);
}

/** The stderr line that is not a JSON log event: the update's one-line answer on failure. */
const answerLine = (err: string): string => err.split('\n').filter((l) => l !== '' && !l.startsWith('{')).join('\n');

beforeAll(async () => {
  await ensureDistBuilt();
  work = tempDir('fenghuo-update-');
  box = await startBox(join(work.dir, 'root'), buildReleaseTarball(join(work.dir, 'fenghuo-9.9.0.tar.gz'), '9.9.0'));
  const t0 = Date.now();
  await waitPolling('9.9.0', t0);
  const raised = await postJson<{ alarm: AlarmJson }>(`${box.url}/api/v1/alarms`, { level: 'prepare', drill: true, title: '更新演练' });
  expect(raised.status).toBe(201);
  alarmId = raised.body.alarm.id;
  await waitPolling('9.9.0', Date.now());
  beforeUpdates = Date.now();
}, 120_000);

afterAll(async () => {
  await box?.stop();
  work?.cleanup();
});

describe('fenghuo update', () => {
  it('(a) a good release: healthy, current switched, the previous release kept, version shows it', async () => {
    const tarball = buildReleaseTarball(join(work.dir, 'fenghuo-9.9.1.tar.gz'), '9.9.1');
    const r = await update(tarball, 30);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^updated: fenghuo 9\.9\.0 -> 9\.9\.1 \(.*\/opt\/fenghuo\/releases\/9\.9\.1-[0-9a-f]{12}\), healthy after \d+ s; 9\.9\.0-[0-9a-f]{12} kept/);
    expect(r.err).toMatch(/"event":"update\.backed_up"/);
    expect(currentTarget()).toMatch(/^releases\/9\.9\.1-[0-9a-f]{12}$/);
    expect(releases().map((id) => id.slice(0, 5))).toEqual(['9.9.0', '9.9.1']);
    expect(String(lastStartedRelease())).toMatch(/\/releases\/9\.9\.1-/);
    expect((await health()).version).toBe('9.9.1');

    const record = readUpdateRecord(box.dataDir).record;
    expect(record).toMatchObject({ kind: 'update', outcome: 'updated', from: { version: '9.9.0' }, to: { version: '9.9.1' }, schemaBefore: latestSchemaVersion() });
    expect(record?.backup).toMatch(/\/backups\/pre-update\/fenghuo-backup-\d{8}-\d{6}Z$/);

    const v = await box.fenghuo(['version', '--data', box.dataDir]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^fenghuo 9\.9\.1\n/);
    expect(v.out).toMatch(/release: +.*\/opt\/fenghuo\/releases\/9\.9\.1-[0-9a-f]{12} \(current\)/);
    expect(v.out).toMatch(new RegExp(`database: +schema ${latestSchemaVersion()} \\(this release knows up to ${latestSchemaVersion()}\\)`));
    expect(v.out).toMatch(/last update: updated \(update 9\.9\.0 -> 9\.9\.1, .*\): healthy after \d+ s/);
    expect((await box.fenghuo(['--version'])).out.trim()).toBe('fenghuo 9.9.1');

    // The same tarball again: nothing to do, no restart; a file that is no release: refused. The record stays.
    const starts = box.rigEvents.filter((e) => e.event === 'rig.started').length;
    const again = await update(tarball, 30);
    expect(again.code, again.err).toBe(0);
    expect(again.out.trim()).toMatch(/^fenghuo 9\.9\.1 \(9\.9\.1-[0-9a-f]{12}\) is already the running release: nothing to do$/);
    const junk = join(work.dir, 'junk.tar.gz');
    writeFileSync(junk, 'not a tarball');
    const refused = await update(junk, 30);
    expect(refused.code).toBe(1);
    expect(answerLine(refused.err)).toMatch(/^update FAILED: .*junk\.tar\.gz: cannot unpack it as a release tarball .*\(9\.9\.1-[0-9a-f]{12} still runs\)$/);
    expect(box.rigEvents.filter((e) => e.event === 'rig.started').length).toBe(starts);
    expect(readUpdateRecord(box.dataDir).record).toEqual(record);
  }, 90_000);

  it('(d) --rollback: back to the kept release, data kept, recorded', async () => {
    const r = await box.fenghuo(['update', '--rollback', '--deadline-s', '30', ...boxOptions(box)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^rolled back: fenghuo 9\.9\.1 -> 9\.9\.0 .*healthy \(data kept; --restore-backup would put back the pre-update backup .* \(made \d+ min ago\)\)$/);
    expect(currentTarget()).toMatch(/^releases\/9\.9\.0-/);
    expect((await health()).version).toBe('9.9.0');
    expect(readUpdateRecord(box.dataDir).record).toMatchObject({ kind: 'manual-rollback', outcome: 'rolled-back', rollbackHealthy: true, to: { version: '9.9.0' } });
    const alarm = await getJson<{ alarm?: AlarmJson } & AlarmJson>(`${box.url}/api/v1/alarms/${alarmId}`);
    expect(alarm.alarm?.state ?? alarm.state).toBe('active');
  }, 90_000);

  it('(b) a release whose migration fails: rolled back on its own, the data from before restored', async () => {
    const tarball = buildReleaseTarball(join(work.dir, 'fenghuo-9.9.2.tar.gz'), '9.9.2', (top) =>
      patchFile(
        top,
        'dist/node-daemon/storage/migrations.js',
        // Two more at the end of the list: 900 succeeds (a schema the old release does not know), 901 fails.
        /(export const MIGRATIONS = \[[\s\S]*?)\n\];/,
        [
          '$1',
          "    { version: 900, name: 'update test: a new table', up(db) { db.exec('CREATE TABLE update_test_probe (x INTEGER)'); } },",
          "    { version: 901, name: 'update test: bad SQL', up(db) { db.exec('CREATE TABLE update_test_bad (x INTEGER); THIS IS NOT SQL'); } },",
          '];',
        ].join('\n'),
      ),
    );
    const started = Date.now();
    const r = await update(tarball, 12);
    expect(r.code, r.out).toBe(1);
    expect(answerLine(r.err)).toMatch(
      /^ROLLED BACK: fenghuo 9\.9\.2 not healthy within 12 s: health does not answer .*; fenghuo 9\.9\.0 runs again \(healthy\), data restored from .*\/pre-update\/fenghuo-backup-.*; the new release's database kept as .*fenghuo\.db\.before-restore-\d+$/,
    );
    for (const e of ['update.restarted', 'update.unhealthy', 'update.rollback.stopped', 'update.rollback.switched', 'update.rollback.restored', 'update.rollback.done']) {
      expect(r.err, e).toContain(`"event":"${e}"`);
    }
    // The crash loop happened: the new release was started more than once, from `current`.
    const loop = box.rigEvents.filter((e) => e.event === 'rig.started' && Number(e.at) > started && String(e.release).includes('/releases/9.9.2-'));
    expect(loop.length).toBeGreaterThan(1);
    expect(currentTarget()).toMatch(/^releases\/9\.9\.0-/);
    expect(String(lastStartedRelease())).toMatch(/\/releases\/9\.9\.0-/);
    expect((await health()).version).toBe('9.9.0');

    // The data from before, served by the old release: the readings, the open alarm, the schema it knows.
    const readings = await getJson<{ readings: { ts: number }[] }>(`${box.url}/api/v1/sensors/mason/readings?from=${beforeUpdates - 60_000}&limit=10000`);
    readingsBefore = readings.readings.filter((x) => x.ts < beforeUpdates).length;
    expect(readingsBefore).toBeGreaterThan(0);
    const alarm = await getJson<{ alarm?: AlarmJson } & AlarmJson>(`${box.url}/api/v1/alarms/${alarmId}`);
    expect(alarm.alarm?.state ?? alarm.state).toBe('active');
    const record = readUpdateRecord(box.dataDir).record;
    expect(record).toMatchObject({ outcome: 'rolled-back', rollbackHealthy: true, to: { version: '9.9.2' }, schemaBefore: latestSchemaVersion(), schemaAfter: 900 });
    const aside = readdirSync(box.dataDir).find((n) => /^fenghuo\.db\.before-restore-\d+$/.test(n));
    expect(aside).toBeDefined();
    const db = new Database(join(box.dataDir, aside!), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(900);
    db.close();
    const v = await box.fenghuo(['version', '--data', box.dataDir]);
    expect(v.out).toMatch(/^fenghuo 9\.9\.0\n/);
    expect(v.out).toMatch(new RegExp(`database: +schema ${latestSchemaVersion()} `));
    expect(v.out).toMatch(/last update: rolled-back \(update 9\.9\.0 -> 9\.9\.2, .*\): not healthy within 12 s: .*; healthy after it/);
  }, 90_000);

  it('(c) a release that never polls: rolled back after the deadline; then --rollback has nothing to go back to', async () => {
    const tarball = buildReleaseTarball(join(work.dir, 'fenghuo-9.9.3.tar.gz'), '9.9.3', (top) =>
      patchFile(top, 'dist/node-daemon/sensing/poller.js', /async start\(\) \{\n(\s+)if \(this\.running\)/, 'async start() {\n$1return;\n$1if (this.running)'),
    );
    const r = await update(tarball, 8);
    expect(r.code, r.out).toBe(1);
    expect(answerLine(r.err)).toMatch(/^ROLLED BACK: fenghuo 9\.9\.3 not healthy within 8 s: first poll cycle not done: 2 of 2 sensors not polled yet \(mason, junction\); fenghuo 9\.9\.0 runs again \(healthy\)/);
    expect(currentTarget()).toMatch(/^releases\/9\.9\.0-/);
    // install.sh kept the release that was running (9.9.0), not the newer one rolled back from before (9.9.2).
    expect(releases().map((id) => id.slice(0, 5))).toEqual(['9.9.0', '9.9.3']);
    await waitPolling('9.9.0', Date.now());
    const alarm = await getJson<{ alarm?: AlarmJson } & AlarmJson>(`${box.url}/api/v1/alarms/${alarmId}`);
    expect(alarm.alarm?.state ?? alarm.state).toBe('active');
    expect(readUpdateRecord(box.dataDir).record).toMatchObject({ outcome: 'rolled-back', to: { version: '9.9.3' }, reason: expect.stringMatching(/first poll cycle not done/) });

    const back = await box.fenghuo(['update', '--rollback', ...boxOptions(box)]);
    expect(back.code).toBe(1);
    expect(back.err).toMatch(/rollback refused: no previous release to go back to/);
    expect(currentTarget()).toMatch(/^releases\/9\.9\.0-/);
  }, 90_000);
});
