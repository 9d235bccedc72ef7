/**
 * The scheduled backups (`backup` of GET /health) as the 设备 page shows them: the last run's result and tone, one
 * row per target, the next due time, and the notices an installer must act on. Pure: the page renders what this returns.
 */
import type { BackupHealth } from './api.js';
import { bytes, formatTime } from './format.js';
import { t, tk } from './i18n.js';

type Run = NonNullable<BackupHealth['last']>;
type Target = Run['targets'][number];

/** The chip's colour: ok, something to look at, or nothing yet. */
export function backupTone(b: BackupHealth): 'ok' | 'info' | 'warn' {
  const r = b.last?.result;
  if (r === 'ok') return 'ok';
  if (r === 'failed' || r === 'partly_failed') return 'warn';
  return 'info';
}

/** "成功 · 2026-07-02 03:30", or that there was none since the daemon started. */
export function lastRunText(b: BackupHealth): string {
  if (b.last === undefined) return t('backupNever');
  return `${tk(`backupResult_${b.last.result}`)} · ${formatTime(b.last.startedAt, 'short')}`;
}

export function nextDueText(b: BackupHealth): string {
  if (b.running) return t('backupRunning');
  return b.nextDueAt === undefined ? t('backupNoNext') : formatTime(b.nextDueAt, 'short');
}

export function identityText(run: Run): string | undefined {
  if (run.identity === undefined) return undefined;
  return t(run.identity === 'encrypted' ? 'backupIdentity_encrypted' : run.identity === 'none' ? 'backupIdentity_none' : 'backupIdentity_omitted');
}

export interface TargetRow {
  readonly target: string;
  /** The folder, or 县级平台 for `hub`. */
  readonly name: string;
  readonly result: Target['result'];
  readonly resultText: string;
  /** What an installer reads under it: the error, the note, or the backup made and what rotation removed. */
  readonly detail: string;
  readonly failed: boolean;
}

/** The hub target's line: the backup, how much the hub acknowledged, what the upload waits for. */
function hubDetail(x: Target, made: string): string {
  const progress = x.sentBytes !== undefined && x.totalBytes !== undefined ? t('backupHubProgress', { sent: bytes(x.sentBytes), total: bytes(x.totalBytes) }) : '';
  switch (x.result) {
    case 'ok':
      return [made, t('backupHubConfirmed')].filter((s) => s !== '').join(' · ');
    case 'waiting':
      return [made, progress, x.waitingFor === undefined ? '' : tk(`backupHubWait_${x.waitingFor}`)].filter((s) => s !== '').join(' · ');
    case 'unsupported':
      // A note says why there is no hub at all (the box is not enrolled); otherwise the hub is too old.
      return x.note ?? t('backupHubUnsupported');
    default:
      return [made, progress].filter((s) => s !== '').join(' · ');
  }
}

export function targetRows(run: Run): TargetRow[] {
  return run.targets.map((x) => {
    const made = x.dir === undefined ? '' : x.dir.slice(x.dir.lastIndexOf('/') + 1);
    const removed = x.removed.length > 0 ? t('backupRemoved', { n: x.removed.length }) : '';
    const rotation = x.rotationError === undefined ? '' : `${t('backupRotationError')}${t('colon')}${x.rotationError}`;
    const detail = x.result === 'failed' ? (x.error ?? '') : x.target === 'hub' ? hubDetail(x, made) : [made, removed, rotation].filter((s) => s !== '').join(' · ');
    return {
      target: x.target,
      name: x.target === 'hub' ? t('backupHub') : x.target,
      result: x.result,
      resultText: tk(`backupTarget_${x.result}`),
      detail,
      failed: x.result === 'failed' || x.rotationError !== undefined,
    };
  });
}

export interface BackupNotice {
  readonly kind: 'info' | 'warn';
  readonly text: string;
  readonly testid: string;
}

/** What the installer must know, most urgent first. */
export function backupNotices(b: BackupHealth): BackupNotice[] {
  const out: BackupNotice[] = [];
  if (b.alarmOpen) out.push({ kind: 'warn', text: t('backupFailedHelp'), testid: 'backup-failed' });
  if (!b.passphrase) out.push({ kind: 'info', text: t('backupNoPassphrase'), testid: 'backup-no-passphrase' });
  if (b.skippedOverlaps > 0) out.push({ kind: 'info', text: t('backupSkipped', { n: b.skippedOverlaps }), testid: 'backup-skipped' });
  return out;
}
