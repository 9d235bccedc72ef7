import { describe, expect, it } from 'vitest';
import { spellInTrustedTime, startDecision } from './clock-trust.js';

const MIN = 60_000;
const job = { startAt: 1_000 * MIN, endAt: 1_060 * MIN };

describe('startDecision', () => {
  it('holds every start while the clock is not trusted', () => {
    expect(startDecision(job, 1_010 * MIN, false)).toEqual({ kind: 'wait_for_clock' });
  });

  it('starts a due job at once when trusted; waits for one not due; leaves one that is over', () => {
    expect(startDecision(job, 1_000 * MIN, true)).toEqual({ kind: 'start' });
    expect(startDecision(job, 990 * MIN, true)).toEqual({ kind: 'not_yet', at: 1_000 * MIN });
    expect(startDecision(job, 1_060 * MIN, true)).toEqual({ kind: 'over' });
  });

  it('records the stretch missed because of the clock as a clock_untrusted gap, from the job start to now', () => {
    const spell = { from: 990 * MIN, to: 1_012 * MIN };
    expect(startDecision(job, 1_012 * MIN, true, spell)).toEqual({ kind: 'start', gap: { from: 1_000 * MIN, to: 1_012 * MIN, reason: 'clock_untrusted' } });
  });

  it('counts only the untrusted spell: before it the box was off (the recorder records that restart gap)', () => {
    const spell = { from: 1_005 * MIN, to: 1_012 * MIN };
    expect(startDecision(job, 1_012 * MIN, true, spell)).toEqual({ kind: 'start', gap: { from: 1_005 * MIN, to: 1_012 * MIN, reason: 'clock_untrusted' } });
    // A job that starts after the spell owes it nothing.
    expect(startDecision({ startAt: 1_020 * MIN, endAt: 1_030 * MIN }, 1_020 * MIN, true, spell)).toEqual({ kind: 'start' });
  });

  it('places the spell in trusted time from the monotonic clock', () => {
    // Untrusted from monotonic 5 s; trusted at monotonic 605 s, when the (now right) wall clock reads T.
    const T = Date.UTC(2025, 11, 8, 1, 5);
    expect(spellInTrustedTime(5_000, 605_000, T)).toEqual({ from: T - 600_000, to: T });
  });
});
