import { describe, expect, it } from 'vitest';
import { evictionOrder, planEviction, type LibraryCandidate, type RecordingCandidate } from './eviction-plan.js';

const MB = 1024 * 1024;
const rec = (id: string, at: number, mb: number, extra: Partial<RecordingCandidate> = {}): RecordingCandidate => ({ id, at, bytes: mb * MB, device: 'disk', pinned: false, active: false, ...extra });
const lib = (id: string, at: number, mb: number, source: LibraryCandidate['source'], device = 'disk'): LibraryCandidate => ({ id, at, bytes: mb * MB, device, source });

describe('eviction order: oldest unpinned recordings, then (if allowed) library items not from the county', () => {
  const recordings = [rec('new', 300, 10), rec('pinned-old', 100, 10, { pinned: true }), rec('old', 200, 10), rec('live', 50, 10, { active: true })];
  const library = [lib('usb-new', 20, 5, 'usb'), lib('county-old', 1, 5, 'county'), lib('op-old', 10, 5, 'operator')];

  it('never pinned or active recordings, never county items; library only when configured', () => {
    expect(evictionOrder({ evictLibrary: false }, recordings, library).map((e) => e.id)).toEqual(['old', 'new']);
    expect(evictionOrder({ evictLibrary: true }, recordings, library).map((e) => e.id)).toEqual(['old', 'new', 'op-old', 'usb-new']);
  });

  it('over the quota: the oldest go until the overshoot is covered, no more', () => {
    const plan = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: false }, { usedBytes: 105 * MB, freeByDevice: { disk: 500 * MB } }, recordings, library);
    expect(plan.evict.map((e) => e.id)).toEqual(['old']);
    expect(plan.overQuotaBytes).toBe(5 * MB);
    expect(plan.relieved).toBe(true);
  });

  it('within quota and free space: nothing goes', () => {
    const plan = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 10 * MB, evictLibrary: true }, { usedBytes: 100 * MB, freeByDevice: { disk: 10 * MB } }, recordings, library);
    expect(plan).toEqual({ evict: [], overQuotaBytes: 0, shortByDevice: {}, relieved: true });
  });

  it('short of free space on one file system: only candidates stored there help', () => {
    const plan = planEviction(
      { minFreeBytes: 20 * MB, evictLibrary: true },
      { usedBytes: 0, freeByDevice: { disk: 100 * MB, usb: 12 * MB } },
      recordings,
      [lib('on-disk', 1, 5, 'usb', 'disk'), lib('on-usb-a', 2, 5, 'usb', 'usb'), lib('on-usb-b', 3, 5, 'usb', 'usb')],
    );
    expect(plan.shortByDevice).toEqual({ usb: 8 * MB });
    expect(plan.evict.map((e) => e.id)).toEqual(['on-usb-a', 'on-usb-b']);
    expect(plan.relieved).toBe(true);
  });

  it('when pinned recordings and county content fill it, the plan takes what it may and says it is not relieved', () => {
    const plan = planEviction({ quotaBytes: 10 * MB, minFreeBytes: 0, evictLibrary: true }, { usedBytes: 45 * MB, freeByDevice: { disk: 1000 * MB } }, recordings, library);
    expect(plan.evict.map((e) => e.id)).toEqual(['old', 'new', 'op-old', 'usb-new']);
    expect(plan.relieved).toBe(false);
  });
});
