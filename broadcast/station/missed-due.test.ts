import { describe, expect, it } from 'vitest';
import { beijingTime, missedDueTimes } from './missed-due.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const DAY = 86_400_000;

describe('missedDueTimes', () => {
  it('a box off from 06:00 to 09:30 Beijing time missed the 07:00 bulletin (23:00 UTC the day before), and nothing else', () => {
    const off = Date.UTC(2026, 5, 1, 22, 0); // 06:00 Beijing, 2 June
    const on = Date.UTC(2026, 5, 2, 1, 30); // 09:30 Beijing
    const m = missedDueTimes('0 7 * * *', 'Asia/Shanghai', off, on);
    expect(m.listed.map(iso)).toEqual(['2026-06-01T23:00:00.000Z']);
    expect(m.listed.map(beijingTime)).toEqual(['2026-06-02 07:00:00']);
    expect(m).toMatchObject({ total: 1, latest: Date.UTC(2026, 5, 1, 23, 0), totalCapped: false, from: off, to: on, windowCapped: false });
  });

  it('nothing missed when the box was off between due times, or came back before one', () => {
    expect(missedDueTimes('0 7 * * *', 'Asia/Shanghai', Date.UTC(2026, 5, 2, 0, 0), Date.UTC(2026, 5, 2, 10, 0)).listed).toEqual([]);
    // the mark written when the due time was handled: that one is not missed
    const due = Date.UTC(2026, 5, 1, 23, 0);
    expect(missedDueTimes('0 7 * * *', 'Asia/Shanghai', due, due + 3_600_000).total).toBe(0);
    // a due time exactly at the restart was not played either
    expect(missedDueTimes('0 7 * * *', 'Asia/Shanghai', due - 60_000, due).listed).toEqual([due]);
  });

  it('a clock that reads earlier than the mark (set back) misses nothing', () => {
    const m = missedDueTimes('* * * * *', 'Asia/Shanghai', Date.UTC(2026, 5, 2), Date.UTC(2026, 5, 1));
    expect(m).toMatchObject({ listed: [], total: 0, latest: null, windowCapped: false });
  });

  it('Asia/Shanghai has no daylight saving: a daily 07:00 is 23:00 UTC on every day of the year, across the dates other zones shift', () => {
    // 8 March to 5 April 2026 spans the US (8 Mar) and EU (29 Mar) changes
    const m = missedDueTimes('0 7 * * *', 'Asia/Shanghai', Date.UTC(2026, 2, 7, 12), Date.UTC(2026, 3, 5, 12), { maxWindowMs: 60 * DAY });
    expect(m.total).toBe(29);
    expect(m.listed.every((t) => new Date(t).getUTCHours() === 23 && new Date(t).getUTCMinutes() === 0)).toBe(true);
    expect(m.listed.map(beijingTime).every((s) => s.endsWith(' 07:00:00'))).toBe(true);
    // differences all exactly one day
    expect(new Set(m.listed.slice(1).map((t, i) => t - m.listed[i]!))).toEqual(new Set([DAY]));
    // whereas Europe/Berlin's 07:00 moves by an hour in UTC across 29 March
    const berlin = missedDueTimes('0 7 * * *', 'Europe/Berlin', Date.UTC(2026, 2, 27, 12), Date.UTC(2026, 2, 30, 12));
    expect(berlin.listed.map(iso)).toEqual(['2026-03-28T06:00:00.000Z', '2026-03-29T05:00:00.000Z', '2026-03-30T05:00:00.000Z']);
  });

  it('lists at most 50, oldest first, and counts the rest', () => {
    // every 5 minutes for 10 hours: 120 due times
    const from = Date.UTC(2026, 5, 1, 0, 0, 30);
    const m = missedDueTimes('*/5 * * * *', 'Asia/Shanghai', from, from + 10 * 3_600_000);
    expect(m.total).toBe(120);
    expect(m.listed).toHaveLength(50);
    expect(iso(m.listed[0]!)).toBe('2026-06-01T00:05:00.000Z');
    expect(iso(m.listed[49]!)).toBe('2026-06-01T04:10:00.000Z');
    expect(m.totalCapped).toBe(false);
    expect(iso(m.latest!)).toBe('2026-06-01T10:00:00.000Z');
    const few = missedDueTimes('*/5 * * * *', 'Asia/Shanghai', from, from + 10 * 3_600_000, { maxListed: 3 });
    expect(few).toMatchObject({ total: 120 });
    expect(few.listed).toHaveLength(3);
  });

  it('a box off for a month looks back only over the window (days capped), and stops counting a per-second cron', () => {
    const now = Date.UTC(2026, 6, 1, 1, 0); // 09:00 Beijing, 1 July
    const off = now - 30 * DAY;
    const daily = missedDueTimes('0 7 * * *', 'Asia/Shanghai', off, now, { maxWindowMs: 7 * DAY });
    expect(daily).toMatchObject({ total: 7, windowCapped: true, from: now - 7 * DAY, to: now });
    expect(daily.listed.map(beijingTime)).toEqual(['2026-06-25 07:00:00', '2026-06-26 07:00:00', '2026-06-27 07:00:00', '2026-06-28 07:00:00', '2026-06-29 07:00:00', '2026-06-30 07:00:00', '2026-07-01 07:00:00']);
    // the default window is 7 days
    expect(missedDueTimes('0 7 * * *', 'Asia/Shanghai', off, now)).toMatchObject({ total: 7, windowCapped: true });
    const busy = missedDueTimes('* * * * * *', 'Asia/Shanghai', off, now, { maxCounted: 500 });
    expect(busy).toMatchObject({ total: 500, totalCapped: true, windowCapped: true, latest: now });
    expect(busy.listed).toHaveLength(50);
  });

  it('a cron that never fires again misses nothing', () => {
    expect(missedDueTimes('0 0 1 1 *', 'UTC', Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)).total).toBe(0);
  });
});

describe('beijingTime', () => {
  it('is UTC+8 all year', () => {
    expect(beijingTime(Date.UTC(2026, 0, 15, 16, 0, 5))).toBe('2026-01-16 00:00:05');
    expect(beijingTime(Date.UTC(2026, 6, 15, 16, 0, 5))).toBe('2026-07-16 00:00:05');
  });
});
