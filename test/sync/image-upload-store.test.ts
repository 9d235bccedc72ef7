// What the box keeps of the hub's acknowledgements per camera picture (migration 17, camera/image-store.ts): which
// pictures are owed an announcement or a full image, in the hub's order, on a real SQLite database.
import { afterEach, describe, expect, it } from 'vitest';
import { ImageStore, type CameraImage } from '../../node-daemon/camera/image-store.js';
import { tempBox, type TempBox } from './outbox-fixture.js';

let box: TempBox | undefined;
afterEach(() => {
  box?.cleanup();
  box = undefined;
});

function store(): { s: ImageStore; add(ts: number, alarm?: number): CameraImage } {
  box = tempBox();
  const s = new ImageStore(box.db);
  let n = 0;
  return {
    s,
    add(ts, alarm) {
      n += 1;
      return s.add({
        cameraId: 'cam1',
        siteId: 'dam',
        ts,
        cause: alarm === undefined ? 'schedule' : 'alarm',
        alarmId: alarm ?? null,
        transitionId: alarm === undefined ? null : alarm * 10,
        file: `cameras/${n}.jpg`,
        thumbFile: `cameras/${n}.thumb.jpg`,
        bytes: 1000 * n,
        thumbBytes: 100,
      });
    },
  };
}

describe('camera pictures owed to the hub', () => {
  it('an alarm\'s pictures first (taken for one or linked as its "before"), newest first in each group', () => {
    const { s, add } = store();
    const a = add(1_000);
    const b = add(2_000, 3);
    const c = add(3_000);
    const d = add(4_000);
    s.link(a.id, 5, 50, 'before');
    expect(s.toAnnounce(10).map((p) => [p.id, p.linked, p.links, p.hubLinks])).toEqual([
      [b.id, true, 1, null],
      [a.id, true, 1, null],
      [d.id, false, 0, null],
      [c.id, false, 0, null],
    ]);
    expect(s.toAnnounce(2).map((p) => p.id)).toEqual([b.id, a.id]);
    // Nothing announced yet: no full image is asked for, but all are owed.
    expect(s.fullOwed('all', 10)).toEqual([]);
    expect(s.hubOwed('all')).toEqual({ thumbs: 4, full: 4, fullBytes: 1000 + 2000 + 3000 + 4000 });
    expect(s.hubOwed('alarm')).toEqual({ thumbs: 4, full: 2, fullBytes: 1000 + 2000 });
    expect(s.hubOwed('none')).toEqual({ thumbs: 4, full: 0, fullBytes: 0 });
  });

  it('announced: the full image is owed as the policy asks; more links later: announced again; done: owed nothing', () => {
    const { s, add } = store();
    const a = add(1_000);
    const b = add(2_000, 3);
    s.markAnnounced(a.id, 0);
    s.markAnnounced(b.id, 1);
    expect(s.toAnnounce(10)).toEqual([]);
    expect(s.fullOwed('all', 10).map((p) => p.id)).toEqual([b.id, a.id]);
    expect(s.fullOwed('alarm', 10).map((p) => p.id)).toEqual([b.id]);
    expect(s.fullOwed('none', 10)).toEqual([]);
    s.link(a.id, 7, 70, 'before');
    expect(s.toAnnounce(10).map((p) => [p.id, p.links, p.hubLinks])).toEqual([[a.id, 1, 0]]);
    expect(s.linksOf(a.id)).toEqual([{ alarmId: 7, transitionId: 70, role: 'before' }]);
    s.markAnnounced(a.id, 1);
    s.markFullDone(b.id, 5_000);
    expect(s.fullOwed('all', 10).map((p) => p.id)).toEqual([a.id]);
    // An announcement answered with the full image complete marks it done too.
    s.markAnnounced(a.id, 1, 6_000);
    expect(s.hubOwed('all')).toEqual({ thumbs: 0, full: 0, fullBytes: 0 });
    // The hub lost it: announced again, full image included.
    s.forgetAtHub(b.id);
    expect(s.toAnnounce(10).map((p) => p.id)).toEqual([b.id]);
    expect(s.hubOwed('all')).toMatchObject({ thumbs: 1, full: 1 });
  });

  it('a picture the box will not send is owed nothing; a deleted one is gone from every list', () => {
    const { s, add } = store();
    const a = add(1_000);
    const b = add(2_000);
    s.markHubRefused(a.id, 'its file is missing');
    expect(s.toAnnounce(10).map((p) => p.id)).toEqual([b.id]);
    s.delete(b.id);
    expect(s.toAnnounce(10)).toEqual([]);
    expect(s.hubOwed('all')).toEqual({ thumbs: 0, full: 0, fullBytes: 0 });
  });
});
