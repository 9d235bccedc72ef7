import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { seqDigest } from '../../hub/store/checksum.js';
import { LATEST_VERSION } from '../../hub/store/migrations.js';
import { LANES, RECORD_KINDS, type HubStore, type IngestLane, type IngestResult, type LaneMarks } from '../../hub/store/types.js';
import { mulberry32 } from '../helpers/seeded-random.js';
import { backends, title, type Fixture } from './backends.js';
import { BoxSim, ZERO } from './box-sim.js';

/*
 * Two hub processes on one database, as in production: two stores, each with its own connection (SQLite) or its own
 * pool (PostgreSQL), ingesting the same box's batches at once, the same, overlapping, resent and stale. On PostgreSQL
 * the ingests really run concurrently (the lane-mark row lock serializes them per box); SQLite has one writer, and
 * its synchronous driver runs each ingest whole, so there the same scenarios check the rules, not a race.
 */

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const KEY = 'B'.repeat(43);
const BOX = 'xiaoshan-01';

async function enrol(store: HubStore, boxId = BOX): Promise<void> {
  await store.createEnrolmentCode({ code: `c-${boxId}`, createdAt: 0, expiresAt: 100 });
  expect((await store.enrol({ code: `c-${boxId}`, boxId, publicKey: KEY, at: 1 })).ok).toBe(true);
}

function acked(r: IngestResult): LaneMarks {
  if (r.status !== 'stored') throw new Error(`expected stored (never a 409: every after is a mark the hub acknowledged), got ${JSON.stringify(r)}`);
  return r.acked;
}

/** The hub holds exactly what the box sent: every kind's seqs, every reading id, and its marks are the box's last seqs. */
async function expectExactly(store: HubStore, sim: BoxSim): Promise<void> {
  const stats = await store.recordStats(BOX);
  for (const kind of RECORD_KINDS) {
    const seqs = sim.seqsOf(kind);
    expect({ kind, count: stats.kinds[kind].count, digest: stats.kinds[kind].digest }).toEqual({ kind, count: seqs.length, digest: seqDigest(seqs) });
  }
  const ids = sim.readingIds();
  expect(stats.readings).toEqual({ count: ids.length, digest: seqDigest(ids) });
  expect(await store.laneMarks(BOX)).toEqual(sim.finalMarks());
}

const maxMarks = (a: LaneMarks, b: LaneMarks): LaneMarks => ({
  alarm: Math.max(a.alarm, b.alarm),
  health: Math.max(a.health, b.health),
  readings: Math.max(a.readings, b.readings),
  bulk: Math.max(a.bulk, b.bulk),
});

describe.each(BACKENDS.map((b) => [title(b), b] as const))('two hub processes on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  async function twoProcesses(): Promise<[HubStore, HubStore]> {
    fx = await backend.fixture();
    const p1 = await fx.open();
    const p2 = await fx.open();
    await enrol(p1);
    return [p1, p2];
  }

  it.skipIf(skip)('migrate a fresh database at once: one migrates, the others find it done', async () => {
    fx = await backend.fixture();
    const events: object[] = [];
    const log = { info: (o: object) => void events.push(o) };
    const opened = await Promise.all([fx.open({ log }), fx.open({ log }), fx.open({ log })]);
    expect(opened).toHaveLength(3);
    expect(events).toEqual(Array.from({ length: LATEST_VERSION }, (_x, i) => expect.objectContaining({ event: 'hub.store.migrated', version: i + 1 })));
    await enrol(opened[2] as HubStore);
    expect((await (opened[0] as HubStore).listBoxes()).map((b) => b.id)).toEqual([BOX]);
  });

  it.skipIf(skip)('a box back with a new database, its first batch to both at once: one new series, stored once; the old dbId refused', async () => {
    const [p1, p2] = await twoProcesses();
    const one = new BoxSim();
    one.mixed(60, mulberry32(11));
    let cursor = ZERO;
    while (JSON.stringify(cursor) !== JSON.stringify(one.finalMarks())) cursor = acked(await p1.ingest(BOX, one.request(cursor, 20), 'db-1'));
    const two = new BoxSim();
    two.mixed(80, mulberry32(12));
    for (let round = 0; round < 5; round += 1) {
      const req = two.request(ZERO, 10 + round);
      const results = await Promise.all([p1.ingest(BOX, req, 'db-2'), p2.ingest(BOX, req, 'db-2'), p2.ingest(BOX, one.request(ZERO, 5), 'db-1')]);
      const [r1, r2, old] = results;
      expect(old).toEqual({ status: 'stale_database', dbId: 'db-1', current: 'db-2' });
      expect(acked(r1 as IngestResult)).toEqual(acked(r2 as IngestResult));
      const news = [r1, r2].filter((r) => r?.status === 'stored' && r.newDatabase !== undefined);
      expect(news).toHaveLength(round === 0 ? 1 : 0);
    }
    cursor = acked(await p2.ingest(BOX, two.request(ZERO, 10), 'db-2'));
    while (JSON.stringify(cursor) !== JSON.stringify(two.finalMarks())) cursor = acked(await p2.ingest(BOX, two.request(cursor, 20), 'db-2'));
    expect((await p1.listBoxes())[0]).toMatchObject({ dbId: 'db-2', databaseChanges: 1 });
    await expectExactly(p1, two);
    const old = await p2.recordStats(BOX, 'db-1');
    for (const kind of RECORD_KINDS) expect(old.kinds[kind].digest).toBe(seqDigest(one.seqsOf(kind)));
  });

  it.skipIf(skip)('the same batch to both at once, round after round: stored once, no gap', async () => {
    const [p1, p2] = await twoProcesses();
    const sim = new BoxSim();
    sim.mixed(300, mulberry32(7));
    let cursor = ZERO;
    for (let round = 0; round < 200 && JSON.stringify(cursor) !== JSON.stringify(sim.finalMarks()); round += 1) {
      const req = sim.request(cursor, 1 + (round % 9));
      const [r1, r2] = await Promise.all([p1.ingest(BOX, req), p2.ingest(BOX, req)]);
      const a1 = acked(r1);
      const a2 = acked(r2);
      expect(a1).toEqual(a2);
      // Everything offered is above the marks (the cursor is the last answer), so between them they store it all, once.
      const offered = new Set(req.flatMap((l) => l.records.map((r) => `${r.kind}:${r.seq}`))).size;
      expect((r1.status === 'stored' ? r1.stored : 0) + (r2.status === 'stored' ? r2.stored : 0)).toBe(offered);
      cursor = a1;
      await expectNoGapFor(p2, BOX, sim, cursor);
    }
    await expectExactly(p1, sim);
  });

  it.skipIf(skip)('overlapping, resent, stale and alternating batches under a seeded schedule: exactly the box’s records', async () => {
    const [p1, p2] = await twoProcesses();
    for (const seed of [1, 2, 3]) {
      const rng = mulberry32(seed);
      const sim = new BoxSim();
      // Each seed is a different box log on a fresh box id, so the seeds do not mix.
      const boxId = `box-seed-${seed}`;
      await enrol(p1, boxId);
      sim.mixed(250, rng);
      const history: LaneMarks[] = [ZERO];
      let cursor = ZERO;
      let ackedMax = ZERO;
      for (let round = 0; round < 150; round += 1) {
        const x = rng();
        const size = (): number => 1 + Math.floor(rng() * 25);
        const requests: [HubStore, IngestLane[]][] = [];
        if (x < 0.5) {
          // A retry racing the original: same after, different sizes, one to each process.
          requests.push([p1, sim.request(cursor, size())], [p2, sim.request(cursor, size())]);
        } else if (x < 0.7) {
          // A stale resend (an older cursor) racing a fresh request.
          const old = history[Math.floor(rng() * history.length)] ?? ZERO;
          requests.push([rng() < 0.5 ? p1 : p2, sim.request(old, size())], [rng() < 0.5 ? p1 : p2, sim.request(cursor, size())]);
        } else {
          // Alternating: one request, to either process.
          requests.push([round % 2 === 0 ? p1 : p2, sim.request(cursor, size())]);
        }
        const results = await Promise.all(requests.map(([s, req]) => s.ingest(boxId, req)));
        const answers = results.map(acked);
        for (const a of answers) ackedMax = maxMarks(ackedMax, a);
        // The box hears one answer (either), or none (lost: it resends from where it was).
        const heard = rng() < 0.15 ? undefined : answers[Math.floor(rng() * answers.length)];
        if (heard !== undefined) {
          cursor = heard;
          history.push(heard);
        }
        if (round % 10 === 0) await expectNoGapFor(p2, boxId, sim, ackedMax);
      }
      let c = cursor;
      for (let i = 0; i < 1_000 && JSON.stringify(c) !== JSON.stringify(sim.finalMarks()); i += 1) {
        c = acked(await (i % 2 === 0 ? p1 : p2).ingest(boxId, sim.request(c, 40)));
      }
      const stats = await p2.recordStats(boxId);
      for (const kind of RECORD_KINDS) expect({ kind, digest: stats.kinds[kind].digest }).toEqual({ kind, digest: seqDigest(sim.seqsOf(kind)) });
      expect(stats.readings).toEqual({ count: sim.readingIds().length, digest: seqDigest(sim.readingIds()) });
      expect(await p1.laneMarks(boxId)).toEqual(sim.finalMarks());
    }
  });

  it.skipIf(skip)('eight ingests of one batch at once over two processes store it exactly once', async () => {
    const [p1, p2] = await twoProcesses();
    const sim = new BoxSim();
    sim.mixed(200, mulberry32(11));
    const req = sim.request(ZERO, 1_000);
    const results = await Promise.all([p1, p2, p1, p2, p1, p2, p1, p2].map((s) => s.ingest(BOX, req)));
    const total = new Set(sim.log.map((s) => `${s.record.kind}:${s.record.seq}`)).size;
    expect(results.reduce((n, r) => n + (r.status === 'stored' ? r.stored : 0), 0)).toBe(total);
    for (const r of results) expect(acked(r)).toEqual(sim.finalMarks());
    await expectExactly(p2, sim);
  });
});

/** No gap: every record of a lane at or below a mark the hub has acknowledged is held. */
async function expectNoGapFor(store: HubStore, boxId: string, sim: BoxSim, ackedMax: LaneMarks): Promise<void> {
  const held = new Set((await store.arrivals(boxId)).map((a) => `${a.kind}:${a.seq}`));
  for (const lane of LANES) {
    const missing = sim.lane(lane).filter((r) => r.seq <= ackedMax[lane] && !held.has(`${r.kind}:${r.seq}`));
    expect({ boxId, lane, missing: missing.map((r) => r.seq) }).toEqual({ boxId, lane, missing: [] });
  }
}

const PG = BACKENDS.find((b) => b.name === 'postgres');

describe(`PostgreSQL lane-mark lock${PG?.skipReason === undefined ? '' : ` (SKIPPED: ${PG.skipReason})`}`, () => {
  const skip = PG === undefined || PG.skipReason !== undefined;
  let fx: Fixture | undefined;
  let holder: pg.Client | undefined;
  afterEach(async () => {
    await holder?.end().catch(() => {});
    holder = undefined;
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('an ingest waits while another process holds the box’s marks, then decides on what that one committed', async () => {
    if (PG === undefined) return;
    fx = await PG.fixture();
    const store = await fx.open();
    await enrol(store);
    await enrol(store, 'other-box');
    const sim = new BoxSim();
    for (let i = 0; i < 20; i += 1) sim.readings(3);

    // Another hub process, half-way through an ingest of seqs 1..10: it holds the box's lane-mark rows, has written
    // the records and moved the mark, and has not committed yet.
    holder = new pg.Client(fx.pgConfig);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT mark FROM hub_lane_marks WHERE box_id = $1 ORDER BY lane FOR UPDATE', [BOX]);
    for (const r of sim.lane('readings').slice(0, 10)) {
      await holder.query(
        "INSERT INTO hub_records (box_id, seq, kind, lane, ts, received_at, payload) VALUES ($1, $2, 'readings', 'readings', $3, 0, NULL)",
        [BOX, r.seq, r.ts],
      );
    }
    await holder.query("UPDATE hub_lane_marks SET mark = 10 WHERE box_id = $1 AND lane = 'readings'", [BOX]);

    // The box got that process's answer (acked 10) and sends the next batch to this process.
    let settled = false;
    const next = store.ingest(BOX, sim.request({ ...ZERO, readings: 10 }, 10)).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(settled).toBe(false);

    // Another box is not held up by that lock.
    const otherSim = new BoxSim();
    otherSim.readings(2);
    expect(acked(await store.ingest('other-box', otherSim.request(ZERO, 5))).readings).toBe(1);

    await holder.query('COMMIT');
    const r = await next;
    // Read before the lock, the mark would have been 0 and this a 409; read under it, it is 10.
    expect(r.status).toBe('stored');
    expect(acked(r).readings).toBe(20);
    expect((await store.recordStats(BOX)).kinds.readings).toMatchObject({ count: 20, digest: seqDigest(sim.seqsOf('readings')) });
  });
});

describe(`PostgreSQL crash${PG?.skipReason === undefined ? '' : ` (SKIPPED: ${PG.skipReason})`}`, () => {
  const skip = PG === undefined || PG.skipReason !== undefined;
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('what was acknowledged survives a SIGKILL of the server; the store reconnects and the resend is stored once', async () => {
    if (PG?.server === undefined) return;
    fx = await PG.fixture();
    const store = await fx.open();
    await enrol(store);
    const sim = new BoxSim();
    sim.mixed(60, mulberry32(5));
    const first = acked(await store.ingest(BOX, sim.request(ZERO, 5)));
    await PG.server.kill9();
    await expect(store.ingest(BOX, sim.request(first, 5))).rejects.toThrow();
    await PG.server.restart();
    expect(await store.laneMarks(BOX)).toEqual(first);
    let cursor = first;
    for (let i = 0; i < 100 && JSON.stringify(cursor) !== JSON.stringify(sim.finalMarks()); i += 1) {
      cursor = acked(await store.ingest(BOX, sim.request(cursor, 5)));
    }
    await expectExactly(store, sim);
  });
});
