import { describe, expect, it } from 'vitest';
import { byPriority, FEED_LANES, isLane, LANE_LOG_KINDS, LANE_PRIORITY, LANES, laneOfLogKind, LOG_KINDS } from './lanes.js';

describe('lanes', () => {
  it('are listed most urgent first, as docs/sync.md numbers them', () => {
    expect(LANES).toEqual(['alarm', 'health', 'readings', 'bulk']);
    expect(LANES.map((l) => LANE_PRIORITY[l])).toEqual([1, 2, 3, 4]);
  });

  it('each change-log kind travels in exactly one lane; retention rows in none', () => {
    for (const kind of LOG_KINDS) expect(LANES.filter((l) => LANE_LOG_KINDS[l].includes(kind)), kind).toHaveLength(1);
    expect(laneOfLogKind('alarm')).toBe('alarm');
    expect(laneOfLogKind('audit')).toBe('health');
    expect(laneOfLogKind('recording')).toBe('health');
    expect(laneOfLogKind('health')).toBe('health');
    expect(laneOfLogKind('readings')).toBe('readings');
    expect(laneOfLogKind('retention')).toBeUndefined();
    expect(LANE_LOG_KINDS.bulk).toEqual([]);
  });

  it('the feed offers every lane but bulk', () => {
    expect(FEED_LANES).toEqual(LANES.filter((l) => l !== 'bulk'));
    expect(isLane('bulk')).toBe(true);
    expect(isLane('aggregates')).toBe(false);
  });

  it('sorts by priority, stable within a lane', () => {
    const sorted = byPriority([{ lane: 'bulk', n: 1 }, { lane: 'readings', n: 2 }, { lane: 'alarm', n: 3 }, { lane: 'readings', n: 4 }] as const);
    expect(sorted.map((x) => x.n)).toEqual([3, 2, 4, 1]);
  });
});
