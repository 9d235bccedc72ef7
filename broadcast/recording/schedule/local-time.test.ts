import { describe, expect, it } from 'vitest';
import { fromLocal, isTimeZone, toLocal, weekdayOf } from './local-time.js';

describe('local time through Intl', () => {
  it('turns Beijing wall-clock time into UTC and back, across the UTC day boundary', () => {
    const utc = fromLocal({ year: 2025, month: 12, day: 8 }, 7, 30, 'Asia/Shanghai');
    expect(new Date(utc).toISOString()).toBe('2025-12-07T23:30:00.000Z');
    expect(toLocal(utc, 'Asia/Shanghai')).toEqual({ year: 2025, month: 12, day: 8, hour: 7, minute: 30, second: 0, weekday: 'mon' });
    expect(weekdayOf({ year: 2025, month: 12, day: 7 })).toBe('sun');
  });

  it('follows daylight saving where a zone has it: a skipped hour moves on, a repeated hour takes its first', () => {
    // New York springs forward on 2025-03-09 at 02:00 and falls back on 2025-11-02 at 02:00.
    expect(new Date(fromLocal({ year: 2025, month: 3, day: 9 }, 9, 0, 'America/New_York')).toISOString()).toBe('2025-03-09T13:00:00.000Z');
    expect(new Date(fromLocal({ year: 2025, month: 3, day: 8 }, 9, 0, 'America/New_York')).toISOString()).toBe('2025-03-08T14:00:00.000Z');
    expect(new Date(fromLocal({ year: 2025, month: 3, day: 9 }, 2, 30, 'America/New_York')).toISOString()).toBe('2025-03-09T07:30:00.000Z');
    expect(new Date(fromLocal({ year: 2025, month: 11, day: 2 }, 1, 30, 'America/New_York')).toISOString()).toBe('2025-11-02T05:30:00.000Z');
  });

  it('knows a zone from a typo', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
    expect(isTimeZone('Asia/Shanghia')).toBe(false);
  });
});
