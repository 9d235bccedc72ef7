import { afterEach, describe, expect, it } from 'vitest';
import type { BackupHealth } from './api.js';
import { backupNotices, backupTone, identityText, lastRunText, nextDueText, targetRows } from './backup-view.js';
import { setLang } from './i18n.js';

function english(on: boolean): void {
  (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
  setLang(on ? 'en' : 'zh-CN');
}

const startedAt = Date.UTC(2026, 6, 1, 19, 30);
const partly: BackupHealth = {
  schedule: '30 3 * * *',
  timeZone: 'Asia/Shanghai',
  keep: 7,
  targets: ['/media/usb/fenghuo', '/media/usb2/fenghuo', 'hub'],
  passphrase: false,
  running: false,
  nextDueAt: startedAt + 86_400_000,
  last: {
    startedAt,
    finishedAt: startedAt + 2_000,
    result: 'partly_failed',
    identity: 'omitted-no-passphrase',
    targets: [
      { target: '/media/usb/fenghuo', result: 'ok', dir: '/media/usb/fenghuo/fenghuo-backup-20260701-193000Z', bytes: 4096, removed: ['fenghuo-backup-20260624-193000Z'] },
      { target: '/media/usb2/fenghuo', result: 'failed', error: '/media/usb2/fenghuo: no such folder (is the USB stick plugged in and mounted?)', removed: [] },
      { target: 'hub', result: 'uploading', dir: '/data/backups-hub/fenghuo-backup-20260701-193000Z', bytes: 4_194_304, sentBytes: 1_048_576, totalBytes: 4_194_304, removed: [] },
    ],
  },
  skippedOverlaps: 0,
  alarmOpen: true,
};

describe('the scheduled backups on the 设备 page', () => {
  afterEach(() => english(false));

  it('a partly failed run is a warning, in Chinese first, with the time', () => {
    english(false);
    expect(backupTone(partly)).toBe('warn');
    expect(lastRunText(partly)).toMatch(/^部分失败 · /);
    english(true);
    expect(lastRunText(partly)).toMatch(/^partly failed · /);
  });

  it('one row per target: the backup made and what rotation removed, the reason of a failure, the hub upload\'s progress', () => {
    english(false);
    const rows = targetRows(partly.last!);
    expect(rows.map((r) => [r.name, r.resultText, r.failed])).toEqual([
      ['/media/usb/fenghuo', '成功', false],
      ['/media/usb2/fenghuo', '失败', true],
      ['县级平台', '正在上传', false],
    ]);
    expect(rows[0]!.detail).toBe('fenghuo-backup-20260701-193000Z · 已删除旧备份 1 份');
    expect(rows[1]!.detail).toContain('no such folder');
    expect(rows[2]!.detail).toBe('fenghuo-backup-20260701-193000Z · 平台已确认 1.0 MB / 4.0 MB');
    english(true);
    expect(targetRows(partly.last!)[2]!.name).toBe('County hub');
    expect(targetRows(partly.last!)[2]!.detail).toBe('fenghuo-backup-20260701-193000Z · hub acknowledged 1.0 MB of 4.0 MB');
  });

  it('the hub row: waiting for the budget, acknowledged complete, refused, an older hub, a box not enrolled', () => {
    const hubRow = (x: Partial<NonNullable<BackupHealth['last']>['targets'][number]>): { text: string; detail: string; failed: boolean } => {
      const row = targetRows({ ...partly.last!, targets: [{ target: 'hub', result: 'ok', removed: [], ...x }] })[0]!;
      return { text: row.resultText, detail: row.detail, failed: row.failed };
    };
    english(false);
    expect(hubRow({ result: 'waiting', waitingFor: 'over_budget', sentBytes: 0, totalBytes: 2048 })).toEqual({ text: '等待上传', detail: '平台已确认 0 B / 2.0 KB · 今日/本月流量已用完，等待下一周期', failed: false });
    expect(hubRow({ result: 'ok', dir: '/d/fenghuo-backup-20260701-193000Z' }).detail).toBe('fenghuo-backup-20260701-193000Z · 县级平台已确认收到完整备份');
    expect(hubRow({ result: 'unsupported' })).toEqual({ text: '平台不支持', detail: '县级平台版本较旧，不接收备份；下次备份时再试', failed: false });
    expect(hubRow({ result: 'failed', error: 'the hub refuses this backup: 413' })).toMatchObject({ text: '失败', failed: true });
    english(true);
    expect(hubRow({ result: 'waiting', waitingFor: 'no_link' }).detail).toBe('waiting for the link to the county hub');
    expect(hubRow({ result: 'unsupported', note: 'the box is not enrolled with a county hub' }).detail).toBe('the box is not enrolled with a county hub');
  });

  it('an open alarm and a missing passphrase each raise a notice, the alarm first', () => {
    english(false);
    expect(backupNotices(partly).map((n) => [n.kind, n.testid])).toEqual([
      ['warn', 'backup-failed'],
      ['info', 'backup-no-passphrase'],
    ]);
    expect(identityText(partly.last!)).toBe('身份密钥未保存（未设置口令）');
    const fine: BackupHealth = { ...partly, passphrase: true, alarmOpen: false, last: { ...partly.last!, result: 'ok', identity: 'encrypted' } };
    expect(backupNotices(fine)).toEqual([]);
    expect(backupTone(fine)).toBe('ok');
    expect(backupNotices({ ...fine, skippedOverlaps: 2 }).map((n) => n.testid)).toEqual(['backup-skipped']);
  });

  it('before the first run: none yet, the next due time, running while one goes', () => {
    english(true);
    const fresh: BackupHealth = { ...partly, last: undefined, alarmOpen: false };
    expect(backupTone(fresh)).toBe('info');
    expect(lastRunText(fresh)).toBe('none since the daemon started');
    expect(nextDueText(fresh)).not.toBe('never again');
    expect(nextDueText({ ...fresh, running: true })).toBe('backing up…');
    expect(nextDueText({ ...fresh, nextDueAt: undefined })).toBe('never again');
  });
});
