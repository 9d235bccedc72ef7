import { describe, expect, it } from 'vitest';
import { nextScheduledAt, photographsTransition, pictureFiles, planAlarmPictures, queueDrop, retentionCutoffs } from './snapshot-plan.js';

const MIN = 60_000;

describe('camera snapshot plan', () => {
  it('photographs flood, manual and county transitions of its own site that change the water, never faults or acks', () => {
    expect(photographsTransition('a', { kind: 'flood', siteId: 'a' }, { type: 'raised' })).toBe(true);
    expect(photographsTransition('a', { kind: 'county', siteId: 'a' }, { type: 'cleared' })).toBe(true);
    expect(photographsTransition('a', { kind: 'flood', siteId: 'b' }, { type: 'raised' })).toBe(false);
    expect(photographsTransition('a', { kind: 'fault', siteId: 'a' }, { type: 'raised' })).toBe(false);
    expect(photographsTransition('a', { kind: 'flood', siteId: 'a' }, { type: 'acknowledged' })).toBe(false);
    expect(photographsTransition('a', { kind: 'manual' }, { type: 'raised' })).toBe(false);
  });

  it('schedules at once the first time, then one interval after the last attempt, never in the past', () => {
    expect(nextScheduledAt(undefined, 30 * MIN, 1000)).toBe(1000);
    expect(nextScheduledAt(1000, 30 * MIN, 2000)).toBe(1000 + 30 * MIN);
    expect(nextScheduledAt(1000, 30 * MIN, 1000 + 45 * MIN)).toBe(1000 + 45 * MIN);
    expect(nextScheduledAt(1000, 0, 2000)).toBeUndefined();
  });

  it('takes the recent scheduled picture as before, one now and one after the delay', () => {
    const now = 100 * MIN;
    expect(planAlarmPictures({ now, latestScheduled: { id: 7, ts: now - 20 * MIN }, intervalMs: 30 * MIN, timeoutMs: 15_000, afterDelayMs: 60_000 })).toEqual({ now: true, beforeImageId: 7, afterAt: now + 60_000 });
    // older than one interval: another moment of the river
    expect(planAlarmPictures({ now, latestScheduled: { id: 7, ts: now - 31 * MIN }, intervalMs: 30 * MIN, timeoutMs: 15_000, afterDelayMs: 0 })).toEqual({ now: true });
    // without a schedule: 10 minutes
    expect(planAlarmPictures({ now, latestScheduled: { id: 7, ts: now - 9 * MIN }, intervalMs: 0, timeoutMs: 0, afterDelayMs: 0 }).beforeImageId).toBe(7);
    expect(planAlarmPictures({ now, intervalMs: 30 * MIN, timeoutMs: 0, afterDelayMs: 5_000 })).toEqual({ now: true, afterAt: now + 5_000 });
  });

  it('keeps scheduled and alarm pictures for their own number of days', () => {
    expect(retentionCutoffs(10 * 86_400_000, 2, 5)).toEqual({ schedule: 8 * 86_400_000, alarm: 5 * 86_400_000 });
  });

  it('drops a scheduled picture first when the queue is full, else the oldest', () => {
    expect(queueDrop([{ cause: 'alarm' }], { cause: 'alarm' }, 2)).toBeUndefined();
    expect(queueDrop([{ cause: 'alarm' }, { cause: 'alarm' }], { cause: 'schedule' }, 2)).toBe('next');
    expect(queueDrop([{ cause: 'alarm' }, { cause: 'schedule' }], { cause: 'alarm' }, 2)).toBe(1);
    expect(queueDrop([{ cause: 'alarm' }, { cause: 'alarm' }], { cause: 'alarm' }, 2)).toBe(0);
  });

  it('names files by camera, UTC day and time', () => {
    expect(pictureFiles('bridge', Date.UTC(2026, 5, 1, 23, 59), 3)).toEqual({
      file: `cameras/bridge/2026-06-01/${Date.UTC(2026, 5, 1, 23, 59)}-3.jpg`,
      thumbFile: `cameras/bridge/2026-06-01/${Date.UTC(2026, 5, 1, 23, 59)}-3.thumb.jpg`,
    });
  });
});
