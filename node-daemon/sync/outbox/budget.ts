/**
 * The byte budget (docs/sync.md, `sync.budget.dailyBytes` / `monthlyBytes`). Pure: the clock is passed in.
 *
 * What counts: bytes on the wire as the box counts them, request and response, headers included; the push client
 * adds each exchange's total with `addUsage` (a failed exchange counts what was sent). Windows: the calendar day and
 * month in the box's time zone (`site.timezone`), because that is how a township's SIM plan is billed (a Chinese
 * carrier's month starts at 00:00 Beijing time on the 1st, which is 16:00 UTC on the last day of the month before).
 * Pass `UTC` for UTC windows. A window that has passed starts again from zero. Over either limit only `alarm`
 * records are sent (plan.ts); an absent limit is no limit.
 */

export interface BudgetLimits {
  readonly dailyBytes?: number;
  readonly monthlyBytes?: number;
}

/** Persisted between restarts (the outbox store keeps it), so a reboot does not hand out a fresh budget. */
export interface BudgetState {
  /** Local calendar day of `dayBytes`, YYYY-MM-DD. */
  readonly day: string;
  readonly dayBytes: number;
  /** Local calendar month of `monthBytes`, YYYY-MM. */
  readonly month: string;
  readonly monthBytes: number;
}

export interface BudgetStatus {
  readonly dayBytes: number;
  readonly monthBytes: number;
  /** Which limit is spent, if any (daily is reported first when both are). */
  readonly over: 'daily' | 'monthly' | null;
  readonly overBudget: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local calendar day (YYYY-MM-DD) and month (YYYY-MM) of `now` in `timeZone`. Throws on an unknown zone. */
export function budgetWindows(now: number, timeZone: string): { readonly day: string; readonly month: string } {
  const parts = formatter(timeZone).formatToParts(now);
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const month = `${get('year')}-${get('month')}`;
  return { day: `${month}-${get('day')}`, month };
}

/** The state as of `now`: a window that has passed is emptied. */
export function currentBudget(state: BudgetState | undefined, now: number, timeZone: string): BudgetState {
  const w = budgetWindows(now, timeZone);
  if (state === undefined) return { day: w.day, dayBytes: 0, month: w.month, monthBytes: 0 };
  return {
    day: w.day,
    dayBytes: state.day === w.day ? state.dayBytes : 0,
    month: w.month,
    monthBytes: state.month === w.month ? state.monthBytes : 0,
  };
}

/** Adds one exchange's bytes (request plus response, headers included) at `now`. */
export function addUsage(state: BudgetState | undefined, now: number, bytes: number, timeZone: string): BudgetState {
  const s = currentBudget(state, now, timeZone);
  const add = Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : 0;
  return { ...s, dayBytes: s.dayBytes + add, monthBytes: s.monthBytes + add };
}

export function budgetStatus(state: BudgetState | undefined, now: number, limits: BudgetLimits, timeZone: string): BudgetStatus {
  const s = currentBudget(state, now, timeZone);
  const overDay = limits.dailyBytes !== undefined && s.dayBytes >= limits.dailyBytes;
  const overMonth = limits.monthlyBytes !== undefined && s.monthBytes >= limits.monthlyBytes;
  const over = overDay ? 'daily' : overMonth ? 'monthly' : null;
  return { dayBytes: s.dayBytes, monthBytes: s.monthBytes, over, overBudget: over !== null };
}

/** Whether a stored value is a BudgetState (it comes back from SQLite as JSON). */
export function isBudgetState(value: unknown): value is BudgetState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['day'] === 'string' &&
    typeof v['month'] === 'string' &&
    typeof v['dayBytes'] === 'number' &&
    Number.isFinite(v['dayBytes']) &&
    typeof v['monthBytes'] === 'number' &&
    Number.isFinite(v['monthBytes'])
  );
}
