// Scheduled backups (issue #17 item 1), the pure part: when the next backup is due in the box's zone (an injected
// clock: plain UTC ms), when a timer looks again, which backups a folder keeps, and what a run amounts to.
import { describe, expect, it } from 'vitest';
import { MAX_WAIT_MS, nextDueAt, planRotation, runResult, wakeAt, type FolderEntry } from '../../node-daemon/backup/backup-plan.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { GOOD_MINIMAL } from '../config/bad-configs.js';

const backup = (name: string, hasManifest = true): FolderEntry => ({ name, isDirectory: true, hasManifest });

describe('next due time', () => {
  it('reads the cron in the box\'s zone: 03:30 in Shanghai is 19:30 UTC the day before', () => {
    const now = Date.UTC(2026, 6, 1, 12, 0, 0); // 20:00 in Shanghai
    expect(nextDueAt('30 3 * * *', 'Asia/Shanghai', now)).toBe(Date.UTC(2026, 6, 1, 19, 30, 0));
    expect(nextDueAt('30 3 * * *', 'UTC', now)).toBe(Date.UTC(2026, 6, 2, 3, 30, 0));
  });

  it('is strictly after the given time, and a seconds field counts', () => {
    const at = Date.UTC(2026, 0, 1, 0, 0, 5);
    expect(nextDueAt('*/5 * * * * *', 'Asia/Shanghai', at)).toBe(at + 5_000);
    expect(nextDueAt('*/5 * * * * *', 'Asia/Shanghai', at + 1)).toBe(at + 5_000);
  });

  it('a timer runs at its due time, waits at most an hour at a time, and a clock set back waits again', () => {
    const due = Date.UTC(2026, 6, 1, 19, 30);
    expect(wakeAt(due, due)).toEqual({ run: true });
    expect(wakeAt(due + 60_000, due)).toEqual({ run: true }); // late (the box was busy, the clock stepped ahead)
    expect(wakeAt(due - 10, due)).toEqual({ run: true }); // a timer a few ms early
    expect(wakeAt(due - 2_000, due)).toEqual({ run: false, waitMs: 2_000 });
    expect(wakeAt(due - 5 * 3_600_000, due)).toEqual({ run: false, waitMs: MAX_WAIT_MS });
  });
});

describe('rotation', () => {
  const names = ['fenghuo-backup-20260701-193000Z', 'fenghuo-backup-20260702-193000Z', 'fenghuo-backup-20260703-193000Z', 'fenghuo-backup-20260704-193000Z'];

  it('keeps the `keep` newest complete backups and removes the others, oldest first', () => {
    const plan = planRotation(names.map((n) => backup(n)), 2, names[3]!);
    expect(plan.kept).toEqual([names[3], names[2]]);
    expect(plan.remove).toEqual([names[0], names[1]]);
    expect(planRotation(names.map((n) => backup(n)), 7, names[3]!).remove).toEqual([]);
  });

  it('never counts or touches other files, .partial folders or a backup without a manifest', () => {
    const entries: FolderEntry[] = [
      ...names.map((n) => backup(n)),
      backup('fenghuo-backup-20260630-193000Z.4242.partial', false),
      backup('fenghuo-backup-20260629-193000Z.4242.partial', true),
      backup('fenghuo-backup-20260628-193000Z', false), // a copy interrupted by hand: not complete
      backup('fenghuo-backup-keep-this-one'),
      backup('photos'),
      { name: 'fenghuo-backup-20260627-193000Z', isDirectory: false, hasManifest: false },
    ];
    const plan = planRotation(entries, 1, names[3]!);
    expect(plan.kept).toEqual([names[3]]);
    expect(plan.remove).toEqual([names[0], names[1], names[2]]);
  });

  it('never removes the one just made, even when a clock set back names it older than the rest', () => {
    const justMade = 'fenghuo-backup-20250101-000000Z';
    const plan = planRotation([...names, justMade].map((n) => backup(n)), 2, justMade);
    expect(plan.kept).toEqual([names[3], justMade]);
    expect(plan.remove).toEqual([names[0], names[1], names[2]]);
    expect(planRotation([backup(justMade)], 1, justMade)).toEqual({ kept: [justMade], remove: [] });
  });

  it('orders backups of one second by their counter (-2 … -10), not as text', () => {
    const base = 'fenghuo-backup-20260701-193000Z';
    const all = [base, `${base}-2`, `${base}-9`, `${base}-10`];
    const plan = planRotation(all.map((n) => backup(n)), 2, `${base}-10`);
    expect(plan.kept).toEqual([`${base}-10`, `${base}-9`]);
    expect(plan.remove).toEqual([base, `${base}-2`]);
  });
});

describe('a run', () => {
  it('is ok, partly failed or failed over the targets; a hub copy handed over counts as done, a hub that takes none is not counted', () => {
    expect(runResult([{ result: 'ok' }, { result: 'unsupported' }])).toBe('ok');
    expect(runResult([{ result: 'ok' }, { result: 'uploading' }, { result: 'waiting' }])).toBe('ok');
    expect(runResult([{ result: 'ok' }, { result: 'failed' }])).toBe('partly_failed');
    expect(runResult([{ result: 'failed' }, { result: 'unsupported' }])).toBe('failed');
    expect(runResult([{ result: 'unsupported' }])).toBe('skipped');
  });
});

describe('the backup config section', () => {
  const problems = (yaml: string): { path: string; message: string }[] => {
    const r = parseConfigText(GOOD_MINIMAL + yaml);
    return r.ok ? [] : r.problems.map((p) => ({ path: p.path, message: p.message }));
  };

  it('defaults keep to 7 and takes hub beside folders', () => {
    const r = parseConfigText(GOOD_MINIMAL + 'backup:\n  schedule: "30 3 * * *"\n  to: [/media/usb/fenghuo, hub]\n');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.backup).toEqual({ schedule: '30 3 * * *', keep: 7, to: ['/media/usb/fenghuo', 'hub'] });
    const none = parseConfigText(GOOD_MINIMAL);
    expect(none.ok && none.config.backup).toBeUndefined();
  });

  it.each([
    ['backup:\n  schedule: "61 3 * * *"\n  to: [/media/usb]\n', 'backup.schedule', 'not a cron expression croner reads'],
    ['backup:\n  schedule: "30 3 * * *"\n  keep: 0\n  to: [/media/usb]\n', 'backup.keep', '0'],
    ['backup:\n  schedule: "30 3 * * *"\n  to: [media/usb]\n', 'backup.to[0]', 'an absolute folder path'],
    ['backup:\n  schedule: "30 3 * * *"\n  to: []\n', 'backup.to', ''],
    ['backup:\n  schedule: "30 3 * * *"\n  to: [/media/usb, /media/usb/]\n', 'backup.to[1]', 'listed twice'],
    ['backup:\n  schedule: "30 3 * * *"\n  to: [/media/usb]\n  passphraseFile: pass.txt\n', 'backup.passphraseFile', 'an absolute path'],
    ['backup:\n  to: [/media/usb]\n', 'backup.schedule', ''],
    ['backup:\n  schedule: "30 3 * * *"\n  to: [/media/usb]\n  kep: 3\n', 'backup.kep', 'did you mean "keep"?'],
  ])('%j: %s', (yaml, path, says) => {
    const found = problems(yaml);
    expect(found.find((p) => p.path === path && p.message.includes(says)), JSON.stringify(found)).toBeDefined();
  });
});
