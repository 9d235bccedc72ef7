import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from './i18n.js';
import { budgetText, imagesText, laneRows, lastContactText, syncNotices, syncTone, type SyncView } from './sync-view.js';

function english(on: boolean): void {
  (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
  setLang(on ? 'en' : 'zh-CN');
}

const idle = { records: 0, bytes: 0, oldestAgeMs: null };
const base: SyncView = {
  state: 'up',
  hub: 'https://hub.example',
  boxId: 'qingshui-01',
  lastSuccessAt: Date.UTC(2026, 6, 1, 2, 0),
  backlog: { alarm: idle, health: idle, readings: { records: 1200, bytes: 3 * 1024 * 1024, oldestAgeMs: 26 * 3_600_000 }, bulk: idle },
  budget: { dayBytes: 1024 * 1024, monthBytes: 50 * 1024 * 1024, monthlyBytes: 200 * 1024 * 1024 },
  offsetMs: 0,
};

describe('the county link on the 设备 page', () => {
  afterEach(() => english(false));

  it('lanes in priority order with records, size and the age of the oldest; an empty lane shows dashes', () => {
    english(false);
    const rows = laneRows(base);
    expect(rows.map((r) => r.lane)).toEqual(['alarm', 'health', 'readings', 'bulk']);
    expect(rows[0]).toMatchObject({ name: '警报', records: 0, size: '—', oldest: '—' });
    expect(rows[2]).toMatchObject({ name: '水位数据', records: 1200, size: '3.0 MB' });
    expect(rows[2]!.oldest).not.toBe('—');
    english(true);
    expect(laneRows(base)[3]!.name).toBe('raw readings owed');
  });

  it('budget: used of the limit with a percentage, or used with no limit', () => {
    english(false);
    expect(budgetText(50 * 1024 * 1024, 200 * 1024 * 1024)).toBe('50.0 MB / 200 MB（25%）');
    expect(budgetText(1024 * 1024, undefined)).toBe('1.0 MB（不限）');
    english(true);
    expect(budgetText(300, 0)).toBe('300 B of 0 B (100%)');
  });

  it('last contact: a time, or "not yet" before the first success', () => {
    english(true);
    expect(lastContactText({ ...base, lastSuccessAt: undefined } as SyncView)).toBe('not yet');
    expect(lastContactText(base)).not.toBe('not yet');
  });

  it('tones: up is good, waiting is info, what needs a person is a warning', () => {
    expect(syncTone('up')).toBe('ok');
    expect(syncTone('backoff')).toBe('info');
    expect(syncTone('stale_database')).toBe('warn');
    expect(syncTone('certificate_refused')).toBe('warn');
  });

  it('a stale database, a refused certificate, a box id mismatch and an isolation each raise a notice, in Chinese first', () => {
    english(false);
    expect(syncNotices(base)).toEqual([]);
    const stale = syncNotices({ ...base, state: 'stale_database' });
    expect(stale.map((n) => [n.kind, n.testid])).toEqual([['warn', 'sync-stale']]);
    expect(stale[0]!.text).toContain('拒收当前数据库');
    expect(stale[0]!.text).toContain('fenghuo enroll --force --box');
    const cert = syncNotices({ ...base, state: 'certificate_refused', configuredBoxId: 'other-box', isolating: { maxRecords: 4, since: 1 } });
    expect(cert.map((n) => n.testid)).toEqual(['sync-cert', 'sync-box-id', 'sync-isolating']);
    expect(cert[1]!.text).toContain('sync.boxId（other-box）');
    expect(cert[2]!.text).toContain('每次 4 条');
    english(true);
    expect(syncNotices({ ...base, state: 'stale_database' })[0]!.text).toContain('refuses this one');
  });
});

describe('the camera pictures on the county card', () => {
  afterEach(() => english(false));
  const images = { state: 'uploading' as const, thumbsOwed: 3, fullOwed: 2, fullOwedBytes: Math.round(1.2 * 1024 * 1024), sentImages: 5, sentFull: 1, wireBytes: 90_000 };

  it('what is owed: thumbnails, full images and their size; nothing when the box sends no pictures', () => {
    english(false);
    expect(imagesText(base)).toBeUndefined();
    expect(imagesText({ ...base, images })).toBe('待传缩略图 3 张 · 原图 2 张（1.2 MB）');
    expect(imagesText({ ...base, images: { ...images, thumbsOwed: 0, fullOwed: 0, fullOwedBytes: 0, state: 'idle' } })).toBe('已全部上传');
    english(true);
    expect(imagesText({ ...base, images })).toBe('3 thumbnails · 2 full images (1.2 MB) to send');
  });

  it('full images waiting for spare data, and an older hub, are said', () => {
    english(false);
    expect(imagesText({ ...base, images: { ...images, state: 'waiting', waitingFor: 'budget_share', thumbsOwed: 0 } })).toBe('待传缩略图 0 张 · 原图 2 张（1.2 MB） · 原图等流量宽裕时再传');
    expect(imagesText({ ...base, images: { ...images, state: 'unsupported' } })).toMatch(/不接收图片/);
  });
});
