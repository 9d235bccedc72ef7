// A box's recordings list reaches the county (issue #13): the real recordings store on a real box database writes a
// `recording` change-log row in the transaction of each change that matters; the outbox's health lane and the pull
// feed carry it; the real hub (both back ends) takes it through the signed ingest route, keeps each recording's latest
// state, and GET /api/v1/boxes/{id}/recordings lists it.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { newRecordingRow, type RecordingInfo } from '../../broadcast/recording/recording-types.js';
import { ingestBodySchema } from '../../hub/http/ingest-schema.js';
import { HUB_MIGRATIONS, LATEST_VERSION } from '../../hub/store/migrations.js';
import type { HubStore } from '../../hub/store/types.js';
import { SqliteRecordingStore } from '../../node-daemon/recording/recording-store.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';
import type { SyncRecord } from '../../node-daemon/sync/outbox/records.js';
import type { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import { tempBox, type TempBox } from '../sync/outbox-fixture.js';
import { enrol, startApiHub, type ApiHub } from './api-rig.js';
import { backends, title, type Fixture } from './backends.js';
import { boxRequest, send } from './http/hub-fixture.js';

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const T = 1_765_000_000_000;
const BOX = 'qingshui-01';
const CHANNELS: Record<string, string> = { cctv17: 'CCTV-17 农业农村' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function row(id: string, over: Partial<RecordingInfo> = {}): RecordingInfo {
  return { ...newRecordingRow({ id, channelId: 'cctv17', title: '致富经', origin: 'xmltv', startAt: T, endAt: T + 1_800_000 }, T), ...over };
}

/** A box database and its recordings store, with a clock the test moves. */
function box(): { box: TempBox; store: SqliteRecordingStore; now: { t: number } } {
  const b = tempBox();
  cleanups.push(() => b.cleanup());
  const now = { t: T };
  return { box: b, store: new SqliteRecordingStore(b.db, { channelName: (id) => CHANNELS[id], clock: () => now.t }), now };
}

/** What the recorder does with one recording from start to finish (broadcast/recording/recorder.ts), progress included. */
function recordAndFinish(store: SqliteRecordingStore, now: { t: number }, id: string, plannedStart = T): void {
  store.insert(row(id, { plannedStart, plannedEnd: plannedStart + 1_800_000, updatedAt: now.t }));
  now.t += 1_000;
  store.update(id, { actualStart: now.t, updatedAt: now.t });
  for (let i = 1; i <= 5; i += 1) {
    now.t += 60_000;
    store.update(id, { bytes: i * 10_000_000, segments: i, gaps: [], damagedPackets: 0, updatedAt: now.t });
  }
  store.update(id, { gaps: [{ from: T + 100_000, to: T + 115_000, reason: 'stall' }], updatedAt: now.t });
  now.t += 1_000;
  store.update(id, { actualEnd: now.t, updatedAt: now.t });
  store.update(id, { state: 'finishing', bytes: 50_000_000, segments: 5, updatedAt: now.t });
  now.t += 5_000;
  store.update(id, { state: 'finished', browserPath: `/data/recordings/${id}/browser.mp4`, browserBytes: 40_000_000, durationS: 300.2, streams: [], updatedAt: now.t });
}

function logged(b: TempBox): { seq: number; ts: number; payload: Record<string, unknown> }[] {
  return b.db
    .prepare<[], { seq: number; ts: number; payload: string }>("SELECT seq, ts, payload FROM change_log WHERE kind = 'recording' ORDER BY seq")
    .all()
    .map((r) => ({ seq: r.seq, ts: r.ts, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

describe('recording records on the box', () => {
  it('a recording finished through the recordings store: a started and a finished record, no progress; the health lane and the feed carry them', () => {
    const { box: b, store, now } = box();
    recordAndFinish(store, now, 'xmltv-cctv17-a');
    const rows = logged(b);
    expect(rows.map((r) => r.payload['state'])).toEqual(['recording', 'finished']);
    const finished = rows[1]!;
    expect(finished.payload).toEqual({
      id: 'xmltv-cctv17-a',
      channelId: 'cctv17',
      channelName: 'CCTV-17 农业农村',
      title: '致富经',
      origin: 'xmltv',
      state: 'finished',
      plannedStart: T,
      plannedEnd: T + 1_800_000,
      actualStart: T + 1_000,
      actualEnd: T + 302_000,
      durationS: 300.2,
      bytes: 50_000_000,
      segments: 5,
      gaps: [{ from: T + 100_000, to: T + 115_000, reason: 'stall' }],
      pinned: false,
      lastError: null,
    });
    expect(finished.ts).toBe(now.t);

    // Pin, unpin again (two records), a pin that changes nothing (none), a deletion (the last metadata, `deleted`).
    store.update('xmltv-cctv17-a', { pinned: true, updatedAt: now.t });
    store.update('xmltv-cctv17-a', { pinned: true, updatedAt: now.t });
    store.update('xmltv-cctv17-a', { pinned: false, updatedAt: now.t });
    store.remove('xmltv-cctv17-a');
    store.remove('xmltv-cctv17-a');
    const all = logged(b);
    expect(all.map((r) => [r.payload['state'], r.payload['pinned']])).toEqual([
      ['recording', false],
      ['finished', false],
      ['finished', true],
      ['finished', false],
      ['deleted', false],
    ]);
    expect(all[4]!.payload['bytes']).toBe(50_000_000);

    const outbox = new OutboxStore({ db: b.db });
    const lane = outbox.readLane('health', { limit: 10 }).map((r) => r.record);
    expect(lane).toEqual(all.map((r) => ({ seq: r.seq, kind: 'recording', ts: r.ts, payload: r.payload })));
    expect(outbox.backlog().health.records).toBe(5);
    expect(outbox.feed({ after: 0, limit: 10 }).records).toEqual(lane);
    expect(outbox.feed({ after: 0, limit: 10, lane: 'health' }).records).toEqual(lane);
    expect(outbox.feed({ after: 0, limit: 10, lane: 'alarm' }).records).toEqual([]);
    const body = { box: BOX, dbId: 'x', batch: 1, lanes: [{ lane: 'health', after: 0, records: lane }] };
    expect(ingestBodySchema.safeParse(body).success).toBe(true);
    // Not in another lane.
    expect(ingestBodySchema.safeParse({ ...body, lanes: [{ lane: 'readings', after: 0, records: lane }] }).success).toBe(false);
  });

  it('a failed recording (no data) is told failed; a change that fails writes neither row', () => {
    const { box: b, store, now } = box();
    store.insert(row('now-cctv17-1', { origin: 'now' }));
    now.t += 30_000;
    store.update('now-cctv17-1', { state: 'failed', bytes: 0, segments: 0, lastError: 'no data reached the disk', updatedAt: now.t });
    expect(logged(b).map((r) => [r.payload['state'], r.payload['lastError']])).toEqual([
      ['recording', null],
      ['failed', 'no data reached the disk'],
    ]);
    // The same id again breaks the primary key: the insert and its change-log row are rolled back together.
    expect(() => store.insert(row('now-cctv17-1'))).toThrow();
    expect(logged(b)).toHaveLength(2);
  });
});

describe.each(BACKENDS.map((b) => [title(b), b] as const))('the recordings list at the hub on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;

  async function hubWith(): Promise<{ hub: ApiHub; store: HubStore; key: SigningKey }> {
    const fx: Fixture = await backend.fixture();
    const store = await fx.open();
    const hub = await startApiHub(store);
    cleanups.push(() => fx.dispose());
    cleanups.push(() => hub.close());
    return { hub, store, key: await enrol(hub, BOX, '清水镇') };
  }

  async function push(hub: ApiHub, key: SigningKey, after: number, records: readonly SyncRecord[], dbId = 'db-1'): Promise<Record<string, unknown>> {
    const answer = await send(hub, await boxRequest(hub.url, key, { box: BOX, dbId, lanes: [{ lane: 'health', after, records }] }));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json as Record<string, unknown>;
  }

  async function list(hub: ApiHub, query = ''): Promise<{ status: number; body: { dbId?: string; truncated?: boolean; recordings?: Record<string, unknown>[] } }> {
    const res = await fetch(`${hub.url}/api/v1/boxes/${BOX}/recordings${query}`);
    return { status: res.status, body: (await res.json()) as { recordings?: Record<string, unknown>[] } };
  }

  it.skipIf(skip)('stores the latest state per recording, idempotently; the route lists it newest planned first', async () => {
    const { hub, store, key } = await hubWith();
    expect(HUB_MIGRATIONS.find((m) => m.version === 8)?.name).toMatch(/recording/);
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(8);

    // A box: one recording finished, then pinned; an older one failed; a third started and later deleted.
    const { box: b, store: recordings, now } = box();
    recordAndFinish(recordings, now, 'xmltv-cctv17-a', T + 86_400_000);
    recordings.insert(row('now-cctv17-old', { origin: 'now', plannedStart: T - 86_400_000, plannedEnd: T - 86_000_000 }));
    recordings.update('now-cctv17-old', { state: 'failed', lastError: 'no data reached the disk', updatedAt: now.t });
    recordings.insert(row('weekly-cctv17-b', { origin: 'weekly', plannedStart: T }));
    const outbox = new OutboxStore({ db: b.db });
    const first = outbox.readLane('health', { limit: 100 }).map((r) => r.record);
    expect(first.map((r) => r.kind)).toEqual(['recording', 'recording', 'recording', 'recording', 'recording']);

    const a1 = await push(hub, key, 0, first);
    const top = first.at(-1)!.seq;
    expect(a1['acked']).toMatchObject({ health: top });
    outbox.ack('health', top);
    // The same batch again (a lost answer): nothing new.
    expect((await push(hub, key, 0, first))['acked']).toMatchObject({ health: top });
    expect((await store.recordStats(BOX)).kinds.recording.count).toBe(5);

    let res = await list(hub);
    expect(res.status).toBe(200);
    expect(res.body.dbId).toBe('db-1');
    expect(res.body.truncated).toBe(false);
    expect(res.body.recordings?.map((r) => [r['id'], r['state']])).toEqual([
      ['xmltv-cctv17-a', 'finished'],
      ['weekly-cctv17-b', 'recording'],
      ['now-cctv17-old', 'failed'],
    ]);
    const finished = res.body.recordings?.[0];
    expect(finished).toMatchObject({ channelName: 'CCTV-17 农业农村', durationS: 300.2, bytes: 50_000_000, segments: 5, pinned: false, gaps: [{ from: T + 100_000, to: T + 115_000, reason: 'stall' }] });
    expect(finished?.['sync']).toMatchObject({ seq: first[1]!.seq, ts: first[1]!.ts });

    // Later changes: a pin and a deletion replace the state the hub holds.
    recordings.update('xmltv-cctv17-a', { pinned: true, updatedAt: now.t });
    recordings.remove('weekly-cctv17-b');
    const second = outbox.readLane('health', { limit: 100 }).map((r) => r.record);
    expect(second).toHaveLength(2);
    await push(hub, key, top, second);
    res = await list(hub);
    expect(res.body.recordings?.map((r) => [r['id'], r['state'], r['pinned']])).toEqual([
      ['xmltv-cctv17-a', 'finished', true],
      ['weekly-cctv17-b', 'deleted', false],
      ['now-cctv17-old', 'failed', false],
    ]);
    expect((await list(hub, '?state=deleted')).body.recordings?.map((r) => r['id'])).toEqual(['weekly-cctv17-b']);
    const one = await list(hub, '?limit=1');
    expect(one.body.truncated).toBe(true);
    expect(one.body.recordings).toHaveLength(1);

    // The 400s and 404 name what is wrong; the route is in the OpenAPI document.
    expect((await fetch(`${hub.url}/api/v1/boxes/NOPE/recordings`)).status).toBe(400);
    expect((await list(hub, '?limit=0')).status).toBe(400);
    expect((await fetch(`${hub.url}/api/v1/boxes/nobody/recordings`)).status).toBe(404);
    expect(hub.operations).toContain('GET /api/v1/boxes/{id}/recordings');
  });

  it.skipIf(skip)('a box with a new database lists that database\'s recordings only', async () => {
    const { hub, key } = await hubWith();
    const { box: b1, store: r1, now: n1 } = box();
    recordAndFinish(r1, n1, 'xmltv-cctv17-a');
    await push(hub, key, 0, new OutboxStore({ db: b1.db }).readLane('health', { limit: 10 }).map((r) => r.record), 'db-1');
    const { box: b2, store: r2 } = box();
    r2.insert(row('now-cctv17-new', { origin: 'now' }));
    await push(hub, key, 0, new OutboxStore({ db: b2.db }).readLane('health', { limit: 10 }).map((r) => r.record), 'db-2');
    const res = await list(hub);
    expect(res.body.dbId).toBe('db-2');
    expect(res.body.recordings?.map((r) => r['id'])).toEqual(['now-cctv17-new']);
  });
});
