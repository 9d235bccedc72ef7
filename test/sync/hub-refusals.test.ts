// The push client against the real hub (hub/http on SQLite, real HTTP on loopback) when the hub refuses what the
// box sends: a record it cannot read (400 bad_request) is narrowed down, set aside, logged and shown in health while
// everything else is stored; a database the hub knows a newer one of (409 stale_database) is a link state of its
// own, logged once, with the box still backing off and retrying.
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../node-daemon/core/events.js';
import { silentLogger } from '../../node-daemon/core/log.js';
import type { Db } from '../../node-daemon/storage/database.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { STALE_DATABASE_MESSAGE } from '../../node-daemon/sync/push/outcome.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { boxFor, drained, startHub, type BoxRig, type HubRig } from './push-rig.js';
import { tempBox, type TempBox } from './outbox-fixture.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(): Promise<HubRig> {
  const h = await startHub();
  cleanups.push(() => h.cleanup());
  return h;
}

async function box(h: HubRig, fill?: (db: Db) => Promise<unknown>): Promise<BoxRig> {
  const b = await boxFor(h, { sync: { maxBackoffMs: 2_000 }, ...(fill === undefined ? {} : { fill }) });
  cleanups.push(() => b.cleanup());
  return b;
}

/** Readings batches of `size`, committed one after another by the real writer, in the last hour. */
async function writeBatches(db: Db, batches: readonly string[][]): Promise<void> {
  const hubEvents = new EventHub();
  const writer = new ReadingsWriter({ db, hub: hubEvents, log: silentLogger(), batchSize: batches[0]?.length ?? 1, flushIntervalMs: 3_600_000 });
  await writer.start();
  let ts = Date.now() - 3_600_000;
  for (const sensors of batches) {
    for (const sensorId of sensors) hubEvents.reading$.next({ sensorId, ts: (ts += 1_000), value: 1.5, quality: 'good' });
    await new Promise((r) => setImmediate(r));
  }
  await writer.stop();
}

const readingsLog = (db: Db): { seq: number; n: number }[] =>
  db.prepare<[], { seq: number; n: number }>("SELECT seq, json_extract(payload, '$.count') AS n FROM change_log WHERE kind = 'readings' ORDER BY seq").all();

describe('a record the hub cannot read (400 bad_request)', () => {
  it('is isolated and set aside: the records around it are stored, it is logged and in health, and it stays on the box', async () => {
    const h = await hub();
    // The hub takes a sensor id of at most 200 characters; the box's store has no such limit.
    const bad = `gauge-${'x'.repeat(240)}`;
    const batches = [...Array.from({ length: 5 }, () => ['dam', 'river', 'sea', 'dam']), [bad, bad, bad, bad], ...Array.from({ length: 5 }, () => ['dam', 'river', 'sea', 'dam'])];
    const b = await box(h, (db) => writeBatches(db, batches));
    const log = readingsLog(b.box.db);
    expect(log).toHaveLength(11);
    const badSeq = log[5]!.seq;

    await b.module.start();
    await waitUntil(() => drained(b.module) && b.module.status().state === 'up', 20_000, () => `the backlog drained around the bad record: ${JSON.stringify(b.logs.lines.filter((l) => String(l.event).startsWith('sync.push')).slice(0, 12).map((l) => [l.event, l['outcome'], l['param'], l['error'], l['maxRecords']]))} ${JSON.stringify(h.seen.map((s) => s.status))}`);

    // A few refusals, not a loop: the whole request (the hub named the record, so the records before it went next),
    // the request starting with it (narrowed to one), then the record alone.
    const refusals = h.seen.filter((s) => s.status === 400);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.length).toBeLessThanOrEqual(3);
    expect(h.seen.at(-1)?.status).toBe(200);
    const setAside = b.logs.events('sync.push.record_set_aside');
    expect(setAside).toHaveLength(1);
    expect(setAside[0]).toMatchObject({ seq: badSeq, lane: 'readings', kind: 'readings', level: 'error' });
    expect(String(setAside[0]!['param'])).toMatch(/^lanes\.\d+\.records\.\d+\.payload\.readings\.0\.1$/);
    expect(b.logs.events('sync.push.malformed')).toHaveLength(refusals.length - 1);

    // The hub holds every reading but the four of the set-aside batch.
    const stats = await h.store.recordStats('qingshui-01');
    expect(stats.readings.count).toBe(40);
    // The box still holds it, and says so.
    expect(b.box.db.prepare('SELECT count(*) AS n FROM change_log WHERE seq = ?').get(badSeq)).toEqual({ n: 1 });
    const status = b.module.status();
    expect(status.setAside?.count).toBe(1);
    expect(status.setAside?.recent[0]).toMatchObject({ seq: badSeq, lane: 'readings', kind: 'readings' });
    expect(status.setAside?.recent[0]?.reason).toContain('lanes.');
    expect(status.isolating).toBeUndefined();

    // A restart keeps the health view's account of it.
    await b.module.stop();
    expect(b.rebuild().status().setAside?.count).toBe(1);
  }, 40_000);
});

describe('a database the hub holds a newer one of (409 stale_database)', () => {
  it('is its own link state with a message an installer can act on, logged once, and the box keeps backing off', async () => {
    const h = await hub();
    const b = await box(h, (db) => writeBatches(db, [['dam', 'river']]));
    await b.module.start();
    await waitUntil(() => drained(b.module) && b.module.status().state === 'up', 15_000, 'the first database drained');
    await b.module.stop();

    // The same box (same enrolment and key) comes back with a new database: the hub starts a new series.
    const fresh: TempBox = tempBox();
    cleanups.push(() => fresh.cleanup());
    await writeBatches(fresh.db, [['dam', 'river']]);
    const second = b.rebuild({ db: fresh.db });
    await second.start();
    await waitUntil(() => drained(second) && second.status().state === 'up', 15_000, 'the new database drained');
    await second.stop();

    // Then the old card is put back, with something to send.
    await writeBatches(b.box.db, [['dam', 'river']]);
    const old = b.rebuild();
    const before = h.seen.length;
    await old.start();
    await waitUntil(() => old.status().state === 'stale_database', 10_000, 'the stale_database state');
    await waitUntil(() => h.seen.length >= before + 3, 15_000, 'three tries at the hub');
    // The hub saw the third try before the box logged its answer: wait for the box's side too.
    const staleFailures = (): number => b.logs.events('sync.push.failed').filter((l) => l['outcome'] === 'stale_database').length;
    await waitUntil(() => staleFailures() >= 3, 15_000, 'three refused tries logged by the box');

    const s = old.status();
    expect(s.lastError?.message).toBe(STALE_DATABASE_MESSAGE);
    expect(s.lastError?.message).toContain('fenghuo enroll --force --box');
    expect(s.nextAttemptAt).toBeGreaterThan(Date.now() - 1_000);
    // (the newest may still be on its way: no status yet)
    expect(h.seen.slice(before).filter((r) => r.status !== undefined).map((r) => r.status)).toEqual(expect.arrayContaining([409]));
    expect(h.seen.slice(before).every((r) => r.status === undefined || r.status === 409)).toBe(true);
    // Logged once per change, at error; the tries after the first log at debug only.
    const stale = b.logs.events('sync.stale_database');
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ level: 'error', box: 'qingshui-01' });
    const failed = b.logs.events('sync.push.failed').filter((l) => l['outcome'] === 'stale_database');
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.filter((l) => l['level'] === 'warn')).toHaveLength(1);
    expect(b.logs.events('sync.state').map((l) => l['state'])).toContain('stale_database');
    // Nothing was rewound or acknowledged from the refusal: the records wait.
    expect(s.backlog.readings.records).toBeGreaterThan(0);
  }, 60_000);
});
