import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_INTERVAL_MS, healthRecordDue, type LastHealthRecord } from './health-schedule.js';

describe('healthRecordDue (virtual time)', () => {
  it('logs at start, every interval, and on every change of overall status', () => {
    const statusAt = (t: number): string => (t >= 40 * 60_000 && t < 42 * 60_000 ? 'degraded' : 'ok');
    let last: LastHealthRecord | undefined;
    const logged: [number, string][] = [];
    for (let t = 0; t <= 60 * 60_000; t += 5_000) {
      const reason = healthRecordDue(last, t, statusAt(t));
      if (reason === null) continue;
      last = { ts: t, status: statusAt(t) };
      logged.push([t / 60_000, reason]);
    }
    expect(DEFAULT_HEALTH_INTERVAL_MS).toBe(15 * 60_000);
    expect(logged).toEqual([
      [0, 'start'],
      [15, 'interval'],
      [30, 'interval'],
      [40, 'status'],
      [42, 'status'],
      [57, 'interval'],
    ]);
  });

  it('a clock that went back makes one due rather than silencing the box', () => {
    expect(healthRecordDue({ ts: 1_000_000, status: 'ok' }, 5_000, 'ok')).toBe('interval');
    expect(healthRecordDue({ ts: 1_000_000, status: 'ok' }, 1_000_001, 'ok', 10)).toBeNull();
  });
});
