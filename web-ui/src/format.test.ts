import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAge, formatTime, formatWhen, localDay, setTimeZone } from './format.js';
import { setLang } from './i18n.js';

function english(on: boolean): void {
  (globalThis as { document?: unknown }).document = { documentElement: {}, title: '' };
  setLang(on ? 'en' : 'zh-CN');
}

/** 2026-07-01 23:50 in Asia/Shanghai (15:50 UTC). */
const LATE = Date.UTC(2026, 6, 1, 15, 50);

describe('localDay and formatWhen: times as short as they can be read, in the box\'s zone', () => {
  beforeEach(() => {
    setTimeZone('Asia/Shanghai');
    english(false);
  });
  afterEach(() => english(false));

  it('tells the box\'s calendar day, not UTC\'s', () => {
    expect(localDay(LATE)).toBe('2026-07-01');
    expect(localDay(LATE + 20 * 60_000)).toBe('2026-07-02'); // 00:10 in Shanghai, still 16:10 on the 1st in UTC
    setTimeZone('Europe/London');
    expect(localDay(LATE + 20 * 60_000)).toBe('2026-07-01');
  });

  it('Chinese: HH:mm on the same day, MM/DD HH:mm on another (midnight in the box\'s zone decides)', () => {
    expect(formatWhen(LATE, LATE + 5 * 60_000)).toBe('23:50');
    expect(formatWhen(LATE, LATE + 20 * 60_000)).toBe('07/01 23:50');
    expect(formatWhen(undefined, LATE)).toBe('—');
  });

  it('English: always YYYY-MM-DD HH:mm', () => {
    english(true);
    expect(formatWhen(LATE, LATE + 60_000)).toBe('2026-07-01 23:50');
  });

  it('seconds for a chart of minutes: HH:mm:ss, midnight as 00 (Chrome before 73 wrote 24)', () => {
    expect(formatTime(LATE + 5_000, 'seconds')).toBe('23:50:05');
    expect(formatTime(LATE + 10 * 60_000, 'seconds')).toBe('00:00:00');
  });

  it('ages keep counting in seconds, then minutes', () => {
    expect(formatAge(4_000)).toBe('4 秒');
    expect(formatAge(89_000)).toBe('89 秒');
    expect(formatAge(5 * 60_000)).toBe('5 分钟');
  });
});
