// The recording schedule's SQLite store (migration 11) on a real database file: entries of every kind read back as
// written and survive reopening, cancelled jobs expire, the kept guide survives a failed attempt, a conflict keeps
// when it was first seen, and pruning forgets only what is long over.
import { afterEach, describe, expect, it } from 'vitest';
import type { Conflict, PlannedJob } from '../../broadcast/recording/schedule/schedule-types.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import { ScheduleStore } from '../../node-daemon/recording-schedule/schedule-store.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { userVersion } from '../../node-daemon/storage/migrations.js';
import { tempDir } from '../daemon/daemon-harness.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 11, 8, 0);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function open(dir: string) {
  const { db } = openDatabase({ dataDir: dir, log: silentLogger() });
  cleanups.push(() => db.close());
  return { db, store: new ScheduleStore(db) };
}

const job = (id: string, channelId: string, startAt: number, endAt: number): PlannedJob => ({ id, channelId, title: id, startAt, endAt, origin: 'xmltv', parts: [id] });

describe('ScheduleStore on SQLite', () => {
  it('keeps one-off, weekly and record-now entries across a reopen, with who added them', () => {
    const tmp = tempDir('fenghuo-sched-store-');
    cleanups.push(() => tmp.cleanup());
    const first = open(tmp.dir);
    expect(userVersion(first.db)).toBeGreaterThanOrEqual(11);
    first.store.addEntry({ kind: 'once', id: 'o1', channelId: 'prov', title: '防汛会议', startAt: T0 + HOUR, endAt: T0 + 2 * HOUR }, T0, 'zhang');
    first.store.addEntry({ kind: 'weekly', id: 'w1', channelId: 'cctv17', title: '周一农技', days: ['mon', 'thu'], start: '09:00', end: '11:00' }, T0 + 1, undefined);
    first.store.addEntry({ kind: 'now', id: 'n1', channelId: 'cctv13', title: '立即', startAt: T0, endAt: T0 + HOUR / 2 }, T0 + 2, 'token:county');
    first.db.close();
    cleanups.pop();

    const again = open(tmp.dir);
    expect(again.store.entries()).toEqual([
      { kind: 'once', id: 'o1', channelId: 'prov', title: '防汛会议', startAt: T0 + HOUR, endAt: T0 + 2 * HOUR, createdAt: T0, account: 'zhang' },
      { kind: 'weekly', id: 'w1', channelId: 'cctv17', title: '周一农技', days: ['mon', 'thu'], start: '09:00', end: '11:00', createdAt: T0 + 1 },
      { kind: 'now', id: 'n1', channelId: 'cctv13', title: '立即', startAt: T0, endAt: T0 + HOUR / 2, createdAt: T0 + 2, account: 'token:county' },
    ]);
    expect(again.store.deleteEntry('o1')).toBe(true);
    expect(again.store.deleteEntry('o1')).toBe(false);
    expect(again.store.entries().map((e) => e.id)).toEqual(['w1', 'n1']);
  });

  it('refuses a one-off entry that ends before it starts (the table checks it too)', () => {
    const tmp = tempDir('fenghuo-sched-store-');
    cleanups.push(() => tmp.cleanup());
    const { store } = open(tmp.dir);
    expect(() => store.addEntry({ kind: 'once', id: 'bad', channelId: 'prov', title: 'x', startAt: T0 + HOUR, endAt: T0 }, T0, undefined)).toThrow(/CHECK constraint/);
  });

  it('cancels a job until its time is over', () => {
    const tmp = tempDir('fenghuo-sched-store-');
    cleanups.push(() => tmp.cleanup());
    const { store } = open(tmp.dir);
    store.skip('xmltv:cctv17:1', T0 + HOUR, T0, 'zhang');
    store.skip('xmltv:cctv17:1', T0 + 5 * HOUR, T0, 'li'); // already cancelled: the first stays
    expect([...store.skips(T0)]).toEqual(['xmltv:cctv17:1']);
    expect([...store.skips(T0 + HOUR)]).toEqual([]);
  });

  it('keeps the last good guide when an attempt fails, and clears the error when one succeeds', () => {
    const tmp = tempDir('fenghuo-sched-store-');
    cleanups.push(() => tmp.cleanup());
    const { store } = open(tmp.dir);
    expect(store.guide()).toBeUndefined();
    store.guideFailed({ at: T0, message: 'no file /srv/guide.xml' });
    expect(store.guide()).toEqual({ attemptedAt: T0, error: { at: T0, message: 'no file /srv/guide.xml' } });
    store.saveGuide({ source: 'file:/srv/guide.xml', xml: '<tv/>', sha256: 'aa', programmes: 0 }, T0 + 1);
    store.guideFailed({ at: T0 + 2, message: 'line 34, column 30: a closing tag that does not match <title> opened on line 34', line: 34, column: 30 });
    expect(store.guide()).toEqual({
      source: 'file:/srv/guide.xml',
      xml: '<tv/>',
      sha256: 'aa',
      loadedAt: T0 + 1,
      programmes: 0,
      attemptedAt: T0 + 2,
      error: { at: T0 + 2, message: 'line 34, column 30: a closing tag that does not match <title> opened on line 34', line: 34, column: 30 },
    });
    store.guideUnchanged(T0 + 3);
    expect(store.guide()).toMatchObject({ xml: '<tv/>', loadedAt: T0 + 1, attemptedAt: T0 + 3 });
    expect(store.guide()?.error).toBeUndefined();
  });

  it('records a conflict once, keeping when it was first seen, and prunes only what is long over', () => {
    const tmp = tempDir('fenghuo-sched-store-');
    cleanups.push(() => tmp.cleanup());
    const { store } = open(tmp.dir);
    const conflict: Conflict = { id: 'a~b', sourceKey: 'receiver:dish', kept: job('a', 'cctv17', T0, T0 + HOUR), dropped: job('b', 'cctv13', T0 + HOUR / 2, T0 + 2 * HOUR), from: T0 + HOUR / 2, to: T0 + HOUR };
    store.noteConflicts([conflict], T0 - 10 * HOUR);
    store.noteConflicts([conflict], T0 - HOUR);
    expect(store.conflicts(T0)).toEqual([{ ...conflict, firstSeenAt: T0 - 10 * HOUR, lastSeenAt: T0 - HOUR }]);

    store.addEntry({ kind: 'once', id: 'old', channelId: 'prov', title: 'x', startAt: T0 - 4 * 24 * HOUR, endAt: T0 - 3 * 24 * HOUR }, T0, undefined);
    store.addEntry({ kind: 'once', id: 'recent', channelId: 'prov', title: 'x', startAt: T0 - 2 * HOUR, endAt: T0 - HOUR }, T0, undefined);
    store.addEntry({ kind: 'weekly', id: 'wk', channelId: 'prov', title: 'x', days: ['mon'], start: '09:00', end: '10:00' }, T0 - 400 * 24 * HOUR, undefined);
    store.prune(T0);
    expect(store.entries().map((e) => e.id)).toEqual(['wk', 'recent']);
    expect(store.conflicts(0)).toHaveLength(1);
    store.prune(T0 + 31 * 24 * HOUR);
    expect(store.conflicts(0)).toEqual([]);
  });
});
