import { describe, expect, it } from 'vitest';
import { evictionOrder, planEviction, type ImageCandidate, type LibraryCandidate, type RecordingCandidate } from './eviction-plan.js';

const MB = 1024 * 1024;
const rec = (id: string, at: number, mb: number, extra: Partial<RecordingCandidate> = {}): RecordingCandidate => ({ id, at, bytes: mb * MB, spareBytes: 0, device: 'disk', pinned: false, active: false, ...extra });
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

describe('stage 1: the segments of settled recordings with a browser copy go before any whole recording', () => {
  /** A settled recording of `mb` MiB whose `spareMb` MiB of segments may go (it has a browser copy). */
  const copied = (id: string, at: number, mb: number, spareMb: number, extra: Partial<RecordingCandidate> = {}): RecordingCandidate =>
    rec(id, at, mb, { spareBytes: spareMb * MB, ...extra });
  const recordings = [
    copied('new', 400, 10, 5),
    copied('pinned-old', 100, 10, 5, { pinned: true }),
    copied('old', 200, 10, 5),
    rec('no-copy', 150, 10),
    copied('live', 50, 10, 5, { active: true }),
    copied('mid', 300, 10, 5),
  ];

  it('order: every droppable segment set oldest first, then whole recordings oldest first, then library; never pinned or active', () => {
    const order = evictionOrder({ evictLibrary: true }, recordings, [lib('op', 1, 5, 'operator')]);
    expect(order.map((e) => `${e.kind}:${e.id}`)).toEqual([
      'segments:old',
      'segments:mid',
      'segments:new',
      'recording:no-copy',
      'recording:old',
      'recording:mid',
      'recording:new',
      'library:op',
    ]);
    expect(order.find((e) => e.kind === 'segments' && e.id === 'old')?.bytes).toBe(5 * MB);
  });

  it('a recording without a droppable copy (spareBytes 0) keeps its segments: only whole, in its turn', () => {
    const order = evictionOrder({ evictLibrary: false }, [rec('no-copy', 1, 10), copied('copied', 2, 10, 4)], []);
    expect(order.map((e) => `${e.kind}:${e.id}`)).toEqual(['segments:copied', 'recording:no-copy', 'recording:copied']);
  });

  it('stops as soon as relieved: segments of the oldest alone, no whole recording', () => {
    const plan = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: true }, { usedBytes: 104 * MB, freeByDevice: { disk: 500 * MB } }, recordings, [lib('op', 1, 5, 'operator')]);
    expect(plan.evict).toEqual([{ kind: 'segments', id: 'old', bytes: 5 * MB, device: 'disk' }]);
    expect(plan.relieved).toBe(true);
  });

  it('segments of every copied recording before the first whole recording', () => {
    const plan = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: false }, { usedBytes: 115 * MB, freeByDevice: { disk: 500 * MB } }, recordings, []);
    expect(plan.evict.map((e) => `${e.kind}:${e.id}`)).toEqual(['segments:old', 'segments:mid', 'segments:new']);
    expect(plan.relieved).toBe(true);
  });

  it('a recording whose segments went in stage 1 and is then evicted whole counts only the rest of it', () => {
    const plan = planEviction(
      { quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: false },
      { usedBytes: 122 * MB, freeByDevice: { disk: 500 * MB } },
      [copied('a', 1, 10, 6), copied('b', 2, 10, 6)],
      [],
    );
    // 12 from the segments, then a (4 left of it), then b (4): 20 < 22, not relieved; b's rest is not 10.
    expect(plan.evict).toEqual([
      { kind: 'segments', id: 'a', bytes: 6 * MB, device: 'disk' },
      { kind: 'segments', id: 'b', bytes: 6 * MB, device: 'disk' },
      { kind: 'recording', id: 'a', bytes: 4 * MB, device: 'disk' },
      { kind: 'recording', id: 'b', bytes: 4 * MB, device: 'disk' },
    ]);
    expect(plan.relieved).toBe(false);
    // 2 MiB more than the segments give: a goes whole (its 4 MiB rest), b keeps its MP4.
    const less = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: false }, { usedBytes: 114 * MB, freeByDevice: { disk: 500 * MB } }, [copied('a', 1, 10, 6), copied('b', 2, 10, 6)], []);
    expect(less.evict.map((e) => `${e.kind}:${e.id}:${e.bytes / MB}`)).toEqual(['segments:a:6', 'segments:b:6', 'recording:a:4']);
    expect(less.relieved).toBe(true);
  });

  it('a recording not dropped in stage 1 (no copy) counts all of it', () => {
    const plan = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: false }, { usedBytes: 108 * MB, freeByDevice: { disk: 500 * MB } }, [rec('no-copy', 1, 10), copied('c', 2, 10, 3)], []);
    expect(plan.evict.map((e) => `${e.kind}:${e.id}:${e.bytes / MB}`)).toEqual(['segments:c:3', 'recording:no-copy:10']);
    expect(plan.relieved).toBe(true);
  });

  it('a file system short of free space is helped only by segments and recordings stored on it', () => {
    const plan = planEviction(
      { minFreeBytes: 20 * MB, evictLibrary: false },
      { usedBytes: 0, freeByDevice: { disk: 100 * MB, usb: 12 * MB } },
      [copied('on-disk-old', 1, 10, 6), copied('on-usb', 2, 10, 6, { device: 'usb' }), copied('on-usb-newer', 3, 10, 6, { device: 'usb' })],
      [],
    );
    expect(plan.shortByDevice).toEqual({ usb: 8 * MB });
    expect(plan.evict.map((e) => `${e.kind}:${e.id}`)).toEqual(['segments:on-usb', 'segments:on-usb-newer']);
    expect(plan.relieved).toBe(true);
  });

  it('pinned recordings keep their segments even when nothing else is left', () => {
    const plan = planEviction({ quotaBytes: 10 * MB, minFreeBytes: 0, evictLibrary: false }, { usedBytes: 20 * MB, freeByDevice: { disk: 500 * MB } }, [copied('pinned', 1, 20, 10, { pinned: true })], []);
    expect(plan.evict).toEqual([]);
    expect(plan.relieved).toBe(false);
  });
});

describe('camera pictures in the eviction order', () => {
  const img = (id: string, at: number, mb: number, alarm: boolean): ImageCandidate => ({ id, at, bytes: mb * MB, device: 'disk', alarm });
  const recordings = [rec('rec', 100, 10)];
  const library = [lib('usb', 1, 5, 'usb')];
  const images = [img('alarm-old', 1, 1, true), img('plain-new', 50, 1, false), img('plain-old', 2, 1, false)];

  it('scheduled pictures first (oldest first), an alarm\'s pictures after the recordings and before the library', () => {
    expect(evictionOrder({ evictLibrary: true }, recordings, library, images).map((e) => `${e.kind}:${e.id}`)).toEqual([
      'image:plain-old',
      'image:plain-new',
      'recording:rec',
      'alarm_image:alarm-old',
      'library:usb',
    ]);
  });

  it('a small overshoot takes scheduled pictures only', () => {
    const plan = planEviction({ quotaBytes: 100 * MB, minFreeBytes: 0, evictLibrary: false }, { usedBytes: 101 * MB, freeByDevice: { disk: 500 * MB } }, recordings, [], images);
    expect(plan.evict.map((e) => e.id)).toEqual(['plain-old']);
  });
});
