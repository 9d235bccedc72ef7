import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AlarmService } from '../alarms/store/alarm-service.js';
import type { Logger } from '../core/log.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../core/types.js';
import type { BackupHealth, BackupRunHealth, BackupTargetHealth } from '../http/schemas/backup.js';
import type { HubUploadStatus } from '../sync/backup-upload/plan.js';
import { nextDueAt, planRotation, runResult, wakeAt, type FolderEntry } from './backup-plan.js';
import { HUB_TARGET, type BackupConfig } from './config-schema.js';
import { MANIFEST_FILE } from './manifest.js';
import { createBackup } from './snapshot.js';

/** The failed-backup fault alarm's key: one for the box. */
export const BACKUP_ALARM_KEY = 'fault:backup';
const BACKUP_ALARM_TITLE = '定时备份失败 Scheduled backup failed';
const NO_HUB = '本机未登记县级平台或未开启同步，无法上传 the box is not enrolled with a county hub (fenghuo enroll), or sync.push is false: nothing can be sent';
const UNSUPPORTED_NOTE = '县级平台不接收备份（版本较旧） the county hub does not take backups (an older hub)';

/** What the scheduled backups need of the upload to the hub (node-daemon/sync/backup-upload/uploader.ts). */
export interface HubUploadPort {
  /** Where the backup for the hub is made. */
  readonly stagingDir: string;
  /** A new backup is in the staging folder: it replaces any older one being sent. */
  offer(backup: string): void;
  status(): HubUploadStatus;
}

export interface ScheduledBackupsOptions {
  readonly config: BackupConfig;
  /** The box's zone (site.timezone): the schedule is read in it. */
  readonly timeZone: string;
  readonly dataDir: string;
  /** The daemon's config file, saved in every backup (as `fenghuo backup --config`); none for the demo. */
  readonly configPath?: string;
  readonly alarms: AlarmService;
  readonly log: Logger;
  readonly clock: Clock;
  /** The upload to the county hub, when the box is enrolled and syncing; without it a `hub` target fails. */
  readonly hubUpload?: HubUploadPort;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Backups made by the daemon itself on `backup.schedule` (issue #17 item 1): the same snapshot as `fenghuo backup`
 * (snapshot.ts), in-process, one run at a time (a due time that finds a run still going is skipped and logged), to
 * each folder of `backup.to` in turn; after a backup succeeds in a folder, the oldest complete backups there are
 * removed so that `backup.keep` remain. A folder that is missing or cannot be written fails that target; any failure
 * opens the fault alarm `fault:backup`, which a later backup that succeeds everywhere clears. The `hub` target makes
 * its own backup in the uploader's staging folder and hands it over (docs/sync.md "Backups to the hub"): the upload
 * goes on after the run, and `status()` shows its live state in the hub target's row.
 */
export class ScheduledBackups implements Module {
  readonly name = 'backup.schedule';
  private readonly folders: readonly string[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private running: Promise<void> | undefined;
  private nextDue: number | null = null;
  private last: BackupRunHealth | undefined;
  private lastOkAt: number | undefined;
  private skippedOverlaps = 0;
  private alarmOpen = false;

  constructor(private readonly opts: ScheduledBackupsOptions) {
    this.folders = opts.config.to.filter((t) => t !== HUB_TARGET);
  }

  async start(): Promise<void> {
    this.alarmOpen = this.opts.alarms.active().some((a) => a.key === BACKUP_ALARM_KEY);
    this.stopped = false;
    this.nextDue = nextDueAt(this.opts.config.schedule, this.opts.timeZone, this.opts.clock());
    this.opts.log.info(
      { event: 'backup.schedule_started', schedule: this.opts.config.schedule, timeZone: this.opts.timeZone, to: this.opts.config.to, keep: this.opts.config.keep, passphrase: this.opts.config.passphraseFile !== undefined, nextDueAt: this.nextDue },
      `scheduled backups: ${this.opts.config.schedule} (${this.opts.timeZone}) to ${this.opts.config.to.join(', ')}`,
    );
    if (this.opts.config.passphraseFile === undefined) {
      this.opts.log.warn({ event: 'backup.identity_left_out' }, 'backup.passphraseFile is not set: scheduled backups leave the identity keys out (the box must be enrolled again after a restore)');
    }
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  status(): BackupHealth {
    const c = this.opts.config;
    const last = this.last === undefined ? undefined : { ...this.last, targets: this.last.targets.map((t) => this.live(t)) };
    return {
      schedule: c.schedule,
      timeZone: this.opts.timeZone,
      keep: c.keep,
      targets: [...c.to],
      passphrase: c.passphraseFile !== undefined,
      running: this.running !== undefined,
      ...(this.nextDue === null ? {} : { nextDueAt: this.nextDue }),
      ...(last === undefined ? {} : { last }),
      ...(this.lastOkAt === undefined ? {} : { lastOkAt: this.lastOkAt }),
      skippedOverlaps: this.skippedOverlaps,
      alarmOpen: this.alarmOpen,
    };
  }

  private arm(): void {
    if (this.stopped || this.nextDue === null) return;
    const now = this.opts.clock();
    // After the wall clock was set back, the schedule's first time from now comes before the one kept.
    const fresh = nextDueAt(this.opts.config.schedule, this.opts.timeZone, now);
    if (fresh !== null && fresh < this.nextDue) this.nextDue = fresh;
    const wake = wakeAt(now, this.nextDue);
    if (!wake.run) {
      this.timer = setTimeout(() => this.arm(), wake.waitMs);
      return;
    }
    const due = this.nextDue;
    this.nextDue = nextDueAt(this.opts.config.schedule, this.opts.timeZone, Math.max(this.opts.clock(), due));
    if (this.running !== undefined) {
      this.skippedOverlaps++;
      this.opts.log.warn({ event: 'backup.skipped_overlap', due, nextDueAt: this.nextDue }, 'a scheduled backup is due while the one before is still running: skipped');
    } else {
      this.running = this.runOnce(due)
        .catch((err: unknown) => this.opts.log.error({ event: 'backup.run_crashed', err: message(err) }, 'scheduled backup run failed unexpectedly'))
        .finally(() => (this.running = undefined));
    }
    this.arm();
  }

  private async runOnce(due: number): Promise<void> {
    const startedAt = this.opts.clock();
    this.opts.log.info({ event: 'backup.started', due, to: this.opts.config.to }, 'scheduled backup started');
    const targets: BackupTargetHealth[] = [];
    let identity: BackupRunHealth['identity'];
    let passphrase: string | undefined;
    let passphraseError: string | undefined;
    try {
      passphrase = this.readPassphrase();
    } catch (err) {
      passphraseError = message(err);
    }
    for (const target of this.opts.config.to) {
      if (this.stopped) break;
      if (passphraseError !== undefined) {
        targets.push({ target, result: 'failed', error: passphraseError, removed: [] });
        continue;
      }
      const hub = target === HUB_TARGET ? this.opts.hubUpload : undefined;
      if (target === HUB_TARGET && hub === undefined) {
        // Not a failure of the backup (no fault alarm): this box has no hub to send to, which its sync status tells.
        targets.push({ target, result: 'unsupported', note: NO_HUB, removed: [] });
        continue;
      }
      try {
        const made = await createBackup({
          dataDir: this.opts.dataDir,
          to: hub?.stagingDir ?? target,
          requireFolder: true,
          now: this.opts.clock,
          ...(this.opts.configPath === undefined ? {} : { configPath: this.opts.configPath }),
          ...(passphrase === undefined ? {} : { passphrase }),
        });
        identity ??= made.manifest.identity.state;
        if (hub !== undefined) {
          hub.offer(basename(made.dir));
          this.opts.log.info({ event: 'backup.hub_handed_over', backup: basename(made.dir), bytes: made.bytes }, `backup ${basename(made.dir)} made for the county hub: uploading through the sync link`);
          targets.push({ target, result: 'uploading', dir: made.dir, bytes: made.bytes, sentBytes: 0, totalBytes: made.bytes, removed: [] });
          continue;
        }
        targets.push({ target, result: 'ok', dir: made.dir, bytes: made.bytes, ...this.rotate(target, basename(made.dir)) });
      } catch (err) {
        targets.push({ target, result: 'failed', error: message(err), removed: [] });
      }
    }
    const run: BackupRunHealth = { startedAt, finishedAt: this.opts.clock(), result: runResult(targets), ...(identity === undefined ? {} : { identity }), targets };
    this.last = run;
    if (run.result === 'ok') this.lastOkAt = run.finishedAt;
    this.logRun(run);
    if (run.result === 'ok' || run.result === 'partly_failed' || run.result === 'failed') this.setAlarm(run);
  }

  /** The hub target's row with the upload's state now (the run recorded only the hand-over). */
  private live(t: BackupTargetHealth): BackupTargetHealth {
    const hub = this.opts.hubUpload;
    if (t.target !== HUB_TARGET || hub === undefined || t.dir === undefined) return t;
    const s = hub.status();
    if (s.backup !== basename(t.dir)) return t;
    const base = { target: t.target, dir: t.dir, ...(t.bytes === undefined ? {} : { bytes: t.bytes }), removed: t.removed };
    const progress = { ...(s.sentBytes === undefined ? {} : { sentBytes: s.sentBytes }), ...(s.totalBytes === undefined ? {} : { totalBytes: s.totalBytes }) };
    switch (s.state) {
      case 'ok':
        return { ...base, result: 'ok', ...(t.bytes === undefined ? {} : { sentBytes: t.bytes, totalBytes: t.bytes }), ...(s.completedAt === undefined ? {} : { completedAt: s.completedAt }) };
      case 'failed':
        return { ...base, result: 'failed', ...progress, error: s.error ?? 'the upload failed' };
      case 'unsupported':
        return { ...base, result: 'unsupported', error: UNSUPPORTED_NOTE };
      case 'waiting':
        return { ...base, result: 'waiting', ...progress, ...(s.waitingFor === undefined ? {} : { waitingFor: s.waitingFor }), ...(s.error === undefined ? {} : { note: s.error }) };
      case 'uploading':
      case 'idle':
        return { ...base, result: 'uploading', ...progress };
    }
  }

  /** The first line of backup.passphraseFile; a file that cannot be read fails the run (never a backup without the identity it was told to keep). */
  private readPassphrase(): string | undefined {
    const file = this.opts.config.passphraseFile;
    if (file === undefined) return undefined;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`backup.passphraseFile ${file}: ${(err as NodeJS.ErrnoException).code ?? message(err)}`);
    }
    const passphrase = text.split(/\r?\n/)[0] ?? '';
    if (passphrase.length === 0) throw new Error(`backup.passphraseFile ${file}: the passphrase (its first line) is empty`);
    return passphrase;
  }

  /** Removes the oldest complete backups of `folder` beyond `keep`; never `justMade`, never anything else. */
  private rotate(folder: string, justMade: string): Pick<BackupTargetHealth, 'removed' | 'rotationError'> {
    const removed: string[] = [];
    try {
      const entries: FolderEntry[] = readdirSync(folder, { withFileTypes: true }).map((e) => ({
        name: e.name,
        isDirectory: e.isDirectory(),
        hasManifest: e.isDirectory() && statSync(join(folder, e.name, MANIFEST_FILE), { throwIfNoEntry: false })?.isFile() === true,
      }));
      const plan = planRotation(entries, this.opts.config.keep, justMade);
      for (const name of plan.remove) {
        rmSync(join(folder, name), { recursive: true });
        removed.push(name);
        this.opts.log.info({ event: 'backup.rotated', folder, removed: name, keep: this.opts.config.keep }, `old backup ${name} removed from ${folder}`);
      }
      return { removed };
    } catch (err) {
      this.opts.log.error({ event: 'backup.rotation_failed', folder, err: message(err) }, `could not remove old backups from ${folder}`);
      return { removed, rotationError: message(err) };
    }
  }

  private logRun(run: BackupRunHealth): void {
    const fields = { event: run.result === 'ok' || run.result === 'skipped' ? 'backup.done' : 'backup.failed', result: run.result, durationMs: run.finishedAt - run.startedAt, identity: run.identity, targets: run.targets, nextDueAt: this.nextDue };
    if (run.result === 'ok' || run.result === 'skipped') this.opts.log.info(fields, `scheduled backup ${run.result}`);
    else this.opts.log.error(fields, `scheduled backup ${run.result}: ${run.targets.filter((t) => t.result === 'failed').map((t) => `${t.target}: ${t.error ?? ''}`).join('; ')}`);
  }

  private setAlarm(run: BackupRunHealth): void {
    const failed = run.targets.filter((t) => t.result === 'failed');
    try {
      if (failed.length > 0 && !this.alarmOpen) {
        const detail = failed.map((t) => `${t.target}: ${t.error ?? ''}`).join('; ');
        this.opts.alarms.raise({ key: BACKUP_ALARM_KEY, kind: 'fault', level: null, drill: false, title: BACKUP_ALARM_TITLE, cause: { rule: 'backup.schedule', detail } });
        this.alarmOpen = true;
        this.opts.log.warn({ event: 'backup.alarm_raised', detail }, 'scheduled backup failed: fault alarm raised');
      } else if (failed.length === 0 && this.alarmOpen) {
        const detail = `backup ok at ${run.targets.filter((t) => t.result === 'ok').map((t) => t.target).join(', ')}`;
        this.opts.alarms.clear({ key: BACKUP_ALARM_KEY }, { rule: 'backup.schedule', detail });
        this.alarmOpen = false;
        this.opts.log.info({ event: 'backup.alarm_cleared', detail }, 'scheduled backup ok again: fault alarm cleared');
      }
    } catch (err) {
      this.opts.log.error({ event: 'backup.alarm_not_recorded', err: message(err) }, 'could not record the backup fault alarm');
    }
  }
}
