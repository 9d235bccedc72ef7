import { describe, expect, it } from 'vitest';
import { addUsage, budgetStatus, budgetWindows, currentBudget, isBudgetState, type BudgetState } from './budget.js';

const SHANGHAI = 'Asia/Shanghai';

describe('budget windows', () => {
  it('are the calendar day and month in the box\'s time zone', () => {
    // 2025-07-31 16:00 UTC is 2025-08-01 00:00 in Beijing: a new day and a new month there, not in UTC.
    const t = Date.UTC(2025, 6, 31, 16, 0, 0);
    expect(budgetWindows(t - 1, SHANGHAI)).toEqual({ day: '2025-07-31', month: '2025-07' });
    expect(budgetWindows(t, SHANGHAI)).toEqual({ day: '2025-08-01', month: '2025-08' });
    expect(budgetWindows(t, 'UTC')).toEqual({ day: '2025-07-31', month: '2025-07' });
  });

  it('refuse an unknown time zone', () => {
    expect(() => budgetWindows(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('budget accounting (virtual time)', () => {
  const limits = { dailyBytes: 1_000_000, monthlyBytes: 20_000_000 };

  it('adds request and response bytes, and a new local day starts the day over but not the month', () => {
    const day1 = Date.UTC(2025, 6, 1, 1, 0, 0); // 09:00 Beijing
    let s: BudgetState | undefined;
    for (let i = 0; i < 9; i++) s = addUsage(s, day1 + i * 60_000, 100_000, SHANGHAI);
    expect(budgetStatus(s, day1 + 600_000, limits, SHANGHAI)).toEqual({ dayBytes: 900_000, monthBytes: 900_000, over: null, overBudget: false });
    s = addUsage(s, day1 + 700_000, 100_000, SHANGHAI);
    expect(budgetStatus(s, day1 + 700_000, limits, SHANGHAI)).toMatchObject({ over: 'daily', overBudget: true });
    // 16:00 UTC is midnight in Beijing: the day's budget is back, the month keeps counting.
    const nextLocalDay = Date.UTC(2025, 6, 1, 16, 0, 0);
    expect(budgetStatus(s, nextLocalDay - 1, limits, SHANGHAI).overBudget).toBe(true);
    expect(budgetStatus(s, nextLocalDay, limits, SHANGHAI)).toEqual({ dayBytes: 0, monthBytes: 1_000_000, over: null, overBudget: false });
    s = addUsage(s, nextLocalDay, 5, SHANGHAI);
    expect(s).toEqual({ day: '2025-07-02', dayBytes: 5, month: '2025-07', monthBytes: 1_000_005 });
  });

  it('over the month\'s limit only the new month frees it', () => {
    let s: BudgetState | undefined;
    let t = Date.UTC(2025, 6, 1, 0, 0, 0);
    // 0.9 MB a day for 23 days: every day under its limit, the month over on the 23rd.
    for (let day = 0; day < 23; day++, t += 86_400_000) s = addUsage(s, t, 900_000, SHANGHAI);
    expect(budgetStatus(s, t - 86_400_000, limits, SHANGHAI)).toMatchObject({ monthBytes: 20_700_000, over: 'monthly' });
    expect(budgetStatus(s, t, limits, SHANGHAI)).toMatchObject({ dayBytes: 0, over: 'monthly' });
    expect(budgetStatus(s, Date.UTC(2025, 6, 31, 16, 0, 0), limits, SHANGHAI)).toMatchObject({ dayBytes: 0, monthBytes: 0, over: null });
  });

  it('no limit is no limit; bad byte counts add nothing', () => {
    const s = addUsage(addUsage(undefined, 0, Number.NaN, 'UTC'), 0, -5, 'UTC');
    expect(s.dayBytes).toBe(0);
    expect(budgetStatus(addUsage(s, 0, 1e12, 'UTC'), 0, {}, 'UTC').overBudget).toBe(false);
    expect(currentBudget(undefined, 0, 'UTC')).toEqual({ day: '1970-01-01', dayBytes: 0, month: '1970-01', monthBytes: 0 });
  });

  it('tells a stored state from anything else', () => {
    expect(isBudgetState({ day: '2025-07-01', dayBytes: 1, month: '2025-07', monthBytes: 1 })).toBe(true);
    expect(isBudgetState({ day: '2025-07-01', dayBytes: '1', month: '2025-07', monthBytes: 1 })).toBe(false);
    expect(isBudgetState(null)).toBe(false);
  });
});
