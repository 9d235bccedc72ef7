// Scheduled backups by the daemon itself (issue #17 item 1), on a real daemon (dist/) with `backup.schedule` every
// 3 seconds: to a folder (backups appear, each one's manifest verifies, rotation keeps `keep` and touches nothing
// else), to a folder that is missing (health names the reason, the fault alarm opens; once the folder exists the
// next backup is ok and the alarm clears), to `hub` (recorded as not implemented, never a failure). A second daemon
// whose backups take longer than the schedule's period skips the due times that find one running.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, verifyFiles } from '../../node-daemon/backup/manifest.js';
import { TEST_STEP_DELAY_ENV } from '../../node-daemon/backup/snapshot.js';
import type { BackupHealth } from '../../node-daemon/http/contract.js';
import { getJson, health, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

interface AlarmJson {
  readonly key: string;
  readonly kind: string;
  readonly state: string;
  readonly title: string;
}

const KEEP = 2;
const OLD_BACKUP = 'fenghuo-backup-20200101-000000Z';

let work: { dir: string; cleanup(): void };
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  await ensureDistBuilt();
  work = tempDir('fenghuo-scheduled-backup-');
}, 300_000);

afterAll(async () => {
  for (const d of daemons) if (!d.exited()) await d.sigterm();
  work?.cleanup();
});

async function backupHealth(d: DaemonProcess): Promise<BackupHealth> {
  const h = await health(d);
  if (h.backup === undefined) throw new Error('no backup in /api/v1/health');
  return h.backup;
}

const completeBackups = (folder: string): string[] =>
  readdirSync(folder)
    .filter((n) => /^fenghuo-backup-\d{8}-\d{6}Z(-\d+)?$/.test(n) && existsSync(join(folder, n, 'manifest.json')))
    .sort();

async function backupAlarm(d: DaemonProcess): Promise<AlarmJson | undefined> {
  const list = await getJson<{ alarms: AlarmJson[] }>(`${d.url}/api/v1/alarms?state=all`);
  return list.alarms.find((a) => a.key === 'fault:backup');
}

describe('scheduled backups', () => {
  it('backs up on schedule, rotates, reports a missing folder in health with a fault alarm, and clears it', async () => {
    const usb = join(work.dir, 'usb');
    const missing = join(work.dir, 'stick-not-plugged', 'fenghuo');
    mkdirSync(usb);
    // What rotation must leave alone: another file, another folder, the .partial of a backup still running (a live
    // pid: this test's), and a backup folder without a manifest; and an old complete backup it must remove.
    writeFileSync(join(usb, 'notes.txt'), 'not a backup');
    mkdirSync(join(usb, 'photos'));
    mkdirSync(join(usb, `fenghuo-backup-20200102-000000Z.${process.pid}.partial`));
    mkdirSync(join(usb, 'fenghuo-backup-20200103-000000Z'));
    mkdirSync(join(usb, OLD_BACKUP));
    writeFileSync(join(usb, OLD_BACKUP, 'manifest.json'), '{}');
    const passFile = join(work.dir, 'backup-pass');
    writeFileSync(passFile, 'usb-stick-passphrase\n');
    const configFile = writeConfig(
      work.dir,
      ['backup:', '  schedule: "*/3 * * * * *"', `  keep: ${KEEP}`, `  to: [${usb}, ${missing}, hub]`, `  passphraseFile: ${passFile}`, ''].join('\n'),
    );
    const d = await startDaemon({ configFile, dataDir: join(work.dir, 'data') });
    daemons.push(d);

    // The first run: ok on the stick, failed where the folder is missing, the hub unsupported (the box is not enrolled).
    const first = await waitUntil(async () => (await backupHealth(d)).last, 20_000, 'the first scheduled backup', 200);
    expect(first.result).toBe('partly_failed');
    expect(first.identity).toBe('none'); // not enrolled: no identity to keep
    const byTarget = new Map(first.targets.map((t) => [t.target, t]));
    expect(byTarget.get(usb)).toMatchObject({ result: 'ok' });
    expect(byTarget.get(missing)).toMatchObject({ result: 'failed' });
    expect(byTarget.get(missing)?.error).toMatch(/no such folder \(is the USB stick plugged in and mounted\?\)/);
    expect(byTarget.get(missing)?.error).toContain(missing);
    expect(byTarget.get('hub')).toMatchObject({ result: 'unsupported' });
    expect(byTarget.get('hub')?.note).toMatch(/not enrolled with a county hub/);
    expect(existsSync(missing)).toBe(false); // never created on the box's own disk
    const status = await backupHealth(d);
    expect(status).toMatchObject({ schedule: '*/3 * * * * *', timeZone: 'Asia/Shanghai', keep: KEEP, targets: [usb, missing, 'hub'], passphrase: true, alarmOpen: true });
    expect(status.nextDueAt).toBeGreaterThan(first.startedAt);
    expect(status.lastOkAt).toBeUndefined();
    const alarm = await backupAlarm(d);
    expect(alarm).toMatchObject({ kind: 'fault', state: 'active' });
    expect(d.events('backup.alarm_raised')).toHaveLength(1);

    // The backup made is complete and verifies, config file included.
    const made = byTarget.get(usb)!.dir!;
    const manifest = readManifest(made);
    await verifyFiles(made, manifest);
    expect(manifest.config?.source).toBe(configFile);

    // Rotation: after more runs, exactly `keep` complete backups, the old one gone, nothing else touched.
    await waitUntil(() => d.events('backup.failed').length >= 3, 30_000, 'three scheduled backups');
    await waitUntil(() => (completeBackups(usb).length === KEEP ? true : undefined), 10_000, `${KEEP} backups kept`);
    expect(completeBackups(usb)).not.toContain(OLD_BACKUP);
    expect(d.events('backup.rotated').map((e) => e.removed)).toContain(OLD_BACKUP);
    for (const other of ['notes.txt', 'photos', `fenghuo-backup-20200102-000000Z.${process.pid}.partial`, 'fenghuo-backup-20200103-000000Z']) expect(existsSync(join(usb, other)), other).toBe(true);
    for (const name of completeBackups(usb)) await verifyFiles(join(usb, name), readManifest(join(usb, name)));
    expect(d.events('backup.alarm_raised')).toHaveLength(1); // raised once, not at every failure

    // The stick is plugged in: the next backup is ok everywhere and the alarm clears.
    mkdirSync(missing, { recursive: true });
    const ok = await waitUntil(async () => {
      const last = (await backupHealth(d)).last;
      return last?.result === 'ok' ? last : undefined;
    }, 20_000, 'a backup ok everywhere', 200);
    expect(ok.targets.map((t) => [t.target, t.result])).toEqual([
      [usb, 'ok'],
      [missing, 'ok'],
      ['hub', 'unsupported'],
    ]);
    const after = await backupHealth(d);
    expect(after.alarmOpen).toBe(false);
    expect(after.lastOkAt).toBeGreaterThanOrEqual(ok.finishedAt);
    expect((await backupAlarm(d))?.state).toBe('cleared');
    expect(d.events('backup.alarm_cleared')).toHaveLength(1);
    const onStick = completeBackups(missing);
    expect(onStick.length).toBeGreaterThanOrEqual(1);
    await verifyFiles(join(missing, onStick[0]!), readManifest(join(missing, onStick[0]!)));
    expect(completeBackups(usb).length).toBe(KEEP);
  }, 120_000);

  it('skips a due time that finds the backup before still running, and says so', async () => {
    const dir = join(work.dir, 'slow');
    const to = join(dir, 'backups');
    mkdirSync(to, { recursive: true });
    const configFile = writeConfig(dir, ['backup:', '  schedule: "* * * * * *"', `  to: [${to}]`, ''].join('\n'));
    // Four steps of 800 ms each: a backup takes over 3 s while one is due every second.
    const d = await startDaemon({ configFile, dataDir: join(dir, 'data'), env: { [TEST_STEP_DELAY_ENV]: '800' } });
    daemons.push(d);
    await waitUntil(() => d.events('backup.done').length >= 1, 30_000, 'a slow backup done');
    const status = await backupHealth(d);
    expect(status.skippedOverlaps).toBeGreaterThanOrEqual(2);
    expect(d.events('backup.skipped_overlap').length).toBeGreaterThanOrEqual(2);
    expect(status.last?.result).toBe('ok');
    expect(status.passphrase).toBe(false);
    expect(d.events('backup.identity_left_out')).toHaveLength(1);
    // Every backup it finished is whole.
    for (const name of completeBackups(to)) await verifyFiles(join(to, name), readManifest(join(to, name)));
    await d.sigterm();
  }, 60_000);
});
