import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../storage/retention.js';
import { isLaneBehind, readingsForm } from './readings-form.js';

const NOW = Date.UTC(2025, 6, 10, 12, 0, 0);

describe('readingsForm', () => {
  it('folds a batch only when all its readings are older than a day and the lane is behind', () => {
    const old = NOW - DAY_MS - 1;
    expect(readingsForm({ newestReadingTs: old, now: NOW, pendingRecords: 501 })).toBe('aggregates');
    expect(readingsForm({ newestReadingTs: NOW - DAY_MS, now: NOW, pendingRecords: 501 })).toBe('aggregates');
    expect(readingsForm({ newestReadingTs: NOW - DAY_MS + 1, now: NOW, pendingRecords: 10_000 })).toBe('readings');
    expect(readingsForm({ newestReadingTs: old, now: NOW, pendingRecords: 500 })).toBe('readings');
  });

  it('sends a batch with nothing left raw (there is nothing to fold)', () => {
    expect(readingsForm({ newestReadingTs: undefined, now: NOW, pendingRecords: 10_000 })).toBe('readings');
  });

  it('takes its thresholds from the options', () => {
    const opts = { olderThanMs: 3_600_000, behindRecords: 10 };
    expect(readingsForm({ newestReadingTs: NOW - 3_600_000, now: NOW, pendingRecords: 11 }, opts)).toBe('aggregates');
    expect(readingsForm({ newestReadingTs: NOW - 3_600_000, now: NOW, pendingRecords: 10 }, opts)).toBe('readings');
    expect(isLaneBehind(11, opts)).toBe(true);
    expect(isLaneBehind(501)).toBe(true);
    expect(isLaneBehind(500)).toBe(false);
  });

  it('a box clock that went back never folds a batch from its future', () => {
    expect(readingsForm({ newestReadingTs: NOW + DAY_MS * 2, now: NOW, pendingRecords: 10_000 })).toBe('readings');
  });
});
