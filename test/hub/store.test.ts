import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { seqDigest } from '../../hub/store/checksum.js';
import { LATEST_VERSION } from '../../hub/store/migrations.js';
import type { HubStore, IngestResult, LaneMarks, SyncRecord } from '../../hub/store/types.js';
import { backends, makeV1, setSchemaVersion, title, type Fixture } from './backends.js';
import { BoxSim, BUCKET, fold, MIN, T0, ZERO } from './box-sim.js';

/*
 * One suite, run against the embedded SQLite store and the PostgreSQL store: the same behaviour is required of both.
 * The two-process races are in concurrency.test.ts.
 */

const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

const KEY = 'A'.repeat(43);

function stored(r: IngestResult): Extract<IngestResult, { status: 'stored' }> {
  if (r.status !== 'stored') throw new Error(`expected stored, got ${JSON.stringify(r)}`);
  return r;
}

describe.each(BACKENDS.map((b) => [title(b), b] as const))('hub store on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  /** A fresh database and a store on it, its clock ticking 1 ms per call from 1_000_000. */
  async function setup(): Promise<{ store: HubStore; fixture: Fixture; now: () => number }> {
    fx = await backend.fixture();
    let t = 1_000_000;
    const clock = (): number => (t += 1);
    const store = await fx.open({ clock });
    return { store, fixture: fx, now: () => t };
  }

  async function enrolled(store: HubStore, boxId = 'xiaoshan-01'): Promise<void> {
    await store.createEnrolmentCode({ code: `code-${boxId}`, createdAt: 0, expiresAt: 10_000 });
    const r = await store.enrol({ code: `code-${boxId}`, boxId, publicKey: KEY, name: `box ${boxId}`, at: 5 });
    expect(r.ok).toBe(true);
  }

  describe('schema', () => {
    it.skipIf(skip)('migrates a fresh database once; reopening finds nothing to do', async () => {
      fx = await backend.fixture();
      const logs: object[] = [];
      const log = { info: (o: object) => void logs.push(o) };
      await fx.open({ log });
      expect(logs).toEqual(Array.from({ length: LATEST_VERSION }, (_x, i) => expect.objectContaining({ event: 'hub.store.migrated', version: i + 1 })));
      logs.length = 0;
      await fx.open({ log });
      expect(logs).toEqual([]);
    });

    it.skipIf(skip)('refuses a database whose schema is newer than this hub', async () => {
      fx = await backend.fixture();
      await (await fx.open()).close();
      await setSchemaVersion(fx, LATEST_VERSION + 1);
      await expect(fx.open()).rejects.toThrow(`schema version ${LATEST_VERSION + 1}, newer than this hub's ${LATEST_VERSION}`);
    });
  });

  describe('enrolment', () => {
    it.skipIf(skip)('enrols a box with a one-time code: marks at 0, fields kept', async () => {
      const { store } = await setup();
      await store.createEnrolmentCode({ code: 'ABCD-1234', createdAt: 1, expiresAt: 100, label: 'for xiaoshan' });
      const r = await store.enrol({ code: 'ABCD-1234', boxId: 'xiaoshan-01', publicKey: KEY, name: '萧山一号', at: 50 });
      expect(r).toEqual({
        ok: true,
        box: { id: 'xiaoshan-01', publicKey: KEY, name: '萧山一号', enrolledAt: 50, revokedAt: null, lastContactAt: null, lastLink: null },
      });
      expect(await store.laneMarks('xiaoshan-01')).toEqual(ZERO);
      expect(await store.getBox('xiaoshan-01')).toEqual(r.ok ? r.box : undefined);
      expect(await store.getBox('nobody')).toBeUndefined();
      expect(await store.laneMarks('nobody')).toBeUndefined();
    });

    it.skipIf(skip)('a code is single use, expires, and must exist; a taken box id leaves the code unused', async () => {
      const { store } = await setup();
      await store.createEnrolmentCode({ code: 'one', createdAt: 0, expiresAt: 100 });
      await store.createEnrolmentCode({ code: 'two', createdAt: 0, expiresAt: 100 });
      await store.createEnrolmentCode({ code: 'late', createdAt: 0, expiresAt: 100 });
      await expect(store.createEnrolmentCode({ code: 'one', createdAt: 0, expiresAt: 100 })).rejects.toThrow(/already exists/);

      expect((await store.enrol({ code: 'one', boxId: 'a', publicKey: KEY, at: 10 })).ok).toBe(true);
      expect(await store.enrol({ code: 'one', boxId: 'b', publicKey: KEY, at: 11 })).toEqual({ ok: false, reason: 'code_used' });
      expect(await store.enrol({ code: 'nope', boxId: 'b', publicKey: KEY, at: 11 })).toEqual({ ok: false, reason: 'unknown_code' });
      expect(await store.enrol({ code: 'late', boxId: 'b', publicKey: KEY, at: 100 })).toEqual({ ok: false, reason: 'code_expired' });
      expect(await store.enrol({ code: 'two', boxId: 'a', publicKey: KEY, at: 12 })).toEqual({ ok: false, reason: 'box_exists' });
      // 'two' was not consumed by the refused enrolment:
      expect((await store.enrol({ code: 'two', boxId: 'b', publicKey: KEY, at: 13 })).ok).toBe(true);
      expect((await store.listBoxes()).map((b) => b.id)).toEqual(['a', 'b']);
    });

    it.skipIf(skip)('of two hub processes racing for one code, exactly one wins', async () => {
      const { fixture } = await setup();
      const p1 = await fixture.open();
      const p2 = await fixture.open();
      for (let round = 0; round < 5; round += 1) {
        await p1.createEnrolmentCode({ code: `race-${round}`, createdAt: 0, expiresAt: 1_000 });
        const results = await Promise.all(
          [p1, p2, p1, p2, p1, p2].map((s, i) => s.enrol({ code: `race-${round}`, boxId: `box-${round}-${i}`, publicKey: KEY, at: 10 })),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason))).toEqual(Array(5).fill('code_used'));
      }
      expect(await p2.listBoxes()).toHaveLength(5);
    });

    it.skipIf(skip)('revocation: revoked once, and a revoked or unknown box stores nothing', async () => {
      const { store } = await setup();
      await enrolled(store, 'a');
      const sim = new BoxSim();
      sim.readings(3);
      expect(await store.revokeBox('a', 77)).toBe(true);
      expect(await store.revokeBox('a', 78)).toBe(false);
      expect(await store.revokeBox('nobody', 78)).toBe(false);
      expect((await store.getBox('a'))?.revokedAt).toBe(77);
      expect(await store.ingest('a', sim.request(ZERO, 10))).toEqual({ status: 'revoked' });
      expect(await store.ingest('nobody', sim.request(ZERO, 10))).toEqual({ status: 'unknown_box' });
      expect((await store.recordStats('a')).kinds.readings.count).toBe(0);
    });

    it.skipIf(skip)('contact: last contact only moves forward, the link info is replaced', async () => {
      const { store } = await setup();
      await enrolled(store, 'a');
      await store.recordContact('a', 500, { address: '10.0.0.9', batch: 7, dbId: 'db-1' });
      await store.recordContact('a', 400, { address: '10.0.0.10', batch: 8 });
      const box = await store.getBox('a');
      expect(box?.lastContactAt).toBe(500);
      expect(box?.lastLink).toEqual({ address: '10.0.0.10', batch: 8 });
    });
  });

  describe('ingest', () => {
    it.skipIf(skip)('stores every lane in order and acknowledges the highest seq of each', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      sim.readings(10);
      const alarm = sim.newAlarm();
      sim.transition(alarm, 'raised', 'prepare');
      sim.health({ sync: { backlog: { readings: { records: 3, bytes: 1200, oldestAgeMs: 60_000 } } } });
      sim.readings(5, { sensorId: 's2' });
      sim.audit();
      const r = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 100)));
      expect(r.acked).toEqual({ alarm: 2, health: 5, readings: 4, bulk: 0 });
      expect(r.stored).toBe(5);
      expect(r.duplicates).toBe(0);
      expect(await store.laneMarks('xiaoshan-01')).toEqual(r.acked);

      const stats = await store.recordStats('xiaoshan-01');
      for (const kind of ['alarm', 'health', 'readings', 'aggregates', 'audit'] as const) {
        const seqs = sim.seqsOf(kind);
        expect(stats.kinds[kind]).toEqual({
          count: seqs.length,
          seqSum: seqs.reduce((a, b) => a + b, 0),
          minSeq: seqs[0] ?? null,
          maxSeq: seqs[seqs.length - 1] ?? null,
          digest: seqDigest(seqs),
        });
      }
      expect(stats.readings).toEqual({ count: 15, digest: seqDigest(sim.readingIds()) });
      expect(stats.alarmTransitions).toBe(1);
      expect(stats.healthSnapshots).toBe(1);

      const [overview] = await store.listBoxes();
      expect(overview?.marks).toEqual(r.acked);
      expect(overview?.latestHealth?.seq).toBe(3);
      expect(overview?.backlog).toEqual({ readings: { records: 3, bytes: 1200, oldestAgeMs: 60_000 } });
    });

    it.skipIf(skip)('a resent batch is harmless; an overlapping one stores only what is new', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      for (let i = 0; i < 10; i += 1) sim.readings(4, { start: T0 + i * 4 * MIN });
      const first = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 4)));
      expect(first.acked.readings).toBe(4);
      // The answer was lost: the box sends the same batch again.
      const again = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 4)));
      expect(again).toMatchObject({ stored: 0, duplicates: 4, acked: first.acked });
      // Lost again, and the batch grew: after 0, seqs 1..7.
      const grown = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 7)));
      expect(grown).toMatchObject({ stored: 3, duplicates: 4 });
      expect(grown.acked.readings).toBe(7);
      // Records at or below the mark in a request whose after is below it: skipped, never stored twice.
      const behind = stored(await store.ingest('xiaoshan-01', sim.request({ ...ZERO, readings: 3 }, 7)));
      expect(behind).toMatchObject({ stored: 3, duplicates: 4 });
      expect(behind.acked.readings).toBe(10);
      const stats = await store.recordStats('xiaoshan-01');
      expect(stats.kinds.readings.digest).toBe(seqDigest(sim.seqsOf('readings')));
      expect(stats.readings).toEqual({ count: 40, digest: seqDigest(sim.readingIds()) });
    });

    it.skipIf(skip)('409 rule: a lane whose after is above the mark stores nothing; the other lanes are stored', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      sim.readings(3);
      sim.readings(3);
      stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 1)));
      const a = sim.newAlarm();
      sim.transition(a, 'raised', 'evacuate');
      sim.readings(3);
      // The box believes readings are acknowledged up to 2 (the hub lost it, say, restored from a backup).
      const r = await store.ingest('xiaoshan-01', sim.request({ ...ZERO, readings: 2 }, 10));
      expect(r.status).toBe('conflict');
      if (r.status !== 'conflict') return;
      expect(r.conflicts).toEqual(['readings']);
      expect(r.acked).toEqual({ alarm: 3, health: 0, readings: 1, bulk: 0 });
      expect(r.stored).toBe(1);
      const stats = await store.recordStats('xiaoshan-01');
      expect(stats.kinds.readings.count).toBe(1);
      expect(stats.kinds.alarm.count).toBe(1);
      // The box rewinds the lane to the hub's mark and resends: everything arrives, nothing twice.
      const ok = stored(await store.ingest('xiaoshan-01', sim.request(r.acked, 10)));
      expect(ok.acked).toEqual(sim.finalMarks());
      expect((await store.recordStats('xiaoshan-01')).kinds.readings.digest).toBe(seqDigest(sim.seqsOf('readings')));
    });

    it.skipIf(skip)('partial records (missing) are stored, advance their marks and count, and explode only what came', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      const a = sim.newAlarm();
      sim.transition(a, 'raised', 'prepare');
      sim.missingAlarm(a.id, 'escalated');
      sim.missingAlarm(0, '');
      sim.partialReadings(3, 2);
      sim.partialReadings(0, 5);
      sim.partialAggregates(4, 1);
      sim.readings(2);
      const r = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 100)));
      expect(r.acked).toEqual(sim.finalMarks());
      expect(r.stored).toBe(7);
      const stats = await store.recordStats('xiaoshan-01');
      for (const kind of ['alarm', 'readings', 'aggregates'] as const) {
        const seqs = sim.seqsOf(kind);
        expect(stats.kinds[kind]).toMatchObject({ count: seqs.length, digest: seqDigest(seqs) });
      }
      expect(stats.readings.count).toBe(5);
      expect(stats.readings.digest).toBe(seqDigest(sim.readingIds()));
      expect(stats.partialAggregates).toBe(1);
      // The lost transition explodes nothing: the alarm stays as its held transitions make it.
      expect(stats.alarmTransitions).toBe(1);
      expect((await store.alarmTransitions('xiaoshan-01', a.id)).map((t) => t.type)).toEqual(['raised']);
      expect((await store.activeAlarms()).map((x) => [x.alarmId, x.level])).toEqual([[a.id, 'prepare']]);
      // Resent: nothing twice.
      expect(stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 100)))).toMatchObject({ stored: 0, duplicates: 7 });
    });

    it.skipIf(skip)('marks never go back, and a record its lane cannot carry is refused before anything is written', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      for (let i = 0; i < 5; i += 1) sim.readings(2);
      stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 5)));
      const r = stored(await store.ingest('xiaoshan-01', [{ lane: 'readings', after: 0, records: sim.lane('readings').slice(0, 2) }]));
      expect(r.acked.readings).toBe(5);
      expect(await store.laneMarks('xiaoshan-01')).toMatchObject({ readings: 5 });
      const health = { seq: 6, kind: 'health', ts: 1, payload: {} } as SyncRecord;
      await expect(store.ingest('xiaoshan-01', [{ lane: 'readings', after: 5, records: [health] }])).rejects.toThrow(/cannot carry/);
      expect(await store.laneMarks('xiaoshan-01')).toMatchObject({ readings: 5 });
      expect((await store.recordStats('xiaoshan-01')).kinds.health.count).toBe(0);
    });

    it.skipIf(skip)('records arrivals on the hub clock in the order they were stored', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      for (let i = 0; i < 6; i += 1) sim.readings(2);
      stored(await store.ingest('xiaoshan-01', sim.request(ZERO, { readings: 3 })));
      const a = sim.newAlarm();
      sim.transition(a, 'raised', 'evacuate');
      // The alarm overtakes the backlog (3 readings batches still waiting).
      const r = stored(await store.ingest('xiaoshan-01', sim.request({ ...ZERO, readings: 3 }, { alarm: 1, readings: 1 })));
      stored(await store.ingest('xiaoshan-01', sim.request(r.acked, 10)));
      const arrivals = await store.arrivals('xiaoshan-01');
      expect(arrivals.map((x) => `${x.kind}:${x.seq}`)).toEqual(['readings:1', 'readings:2', 'readings:3', 'alarm:7', 'readings:4', 'readings:5', 'readings:6']);
      const alarmAt = arrivals.find((x) => x.kind === 'alarm');
      const last = arrivals[arrivals.length - 1];
      expect(alarmAt !== undefined && last !== undefined && alarmAt.receivedAt < last.receivedAt).toBe(true);
      expect(alarmAt?.receivedAt).toBe(r.receivedAt);
      expect((await store.arrivals('xiaoshan-01', 'alarm')).map((x) => x.seq)).toEqual([7]);
      expect(alarmAt).toMatchObject({ lane: 'alarm', ts: T0 + 6 * MIN });
    });
  });

  describe('readings', () => {
    it.skipIf(skip)('raw: range, order, limit; null values and qualities kept', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      sim.readings(10, { value: (i) => (i === 3 ? null : i), quality: (i) => (i === 3 ? 'stale' : i === 4 ? 'out_of_range' : 'good') });
      sim.readings(5, { sensorId: 's2' });
      stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 10)));
      const all = await store.rawReadings({ boxId: 'xiaoshan-01', sensorId: 's1' });
      expect(all.map((r) => r.value)).toEqual([0, 1, 2, null, 4, 5, 6, 7, 8, 9]);
      expect(all[3]).toEqual({ readingId: 4, ts: T0 + 3 * MIN, value: null, quality: 'stale', seq: 1 });
      expect(all[4]?.quality).toBe('out_of_range');
      const some = await store.rawReadings({ boxId: 'xiaoshan-01', sensorId: 's1', from: T0 + 2 * MIN, to: T0 + 6 * MIN, limit: 3 });
      expect(some.map((r) => r.ts)).toEqual([T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN]);
      expect(await store.rawReadings({ boxId: 'other', sensorId: 's1' })).toEqual([]);
    });

    it.skipIf(skip)('15 m from raw: good readings with a value only, whole buckets overlapping the range', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      // 45 one-minute readings from T0: three buckets; 0..44, reading 20 stale, 21 null.
      sim.readings(45, { value: (i) => (i === 21 ? null : i), quality: (i) => (i === 20 ? 'stale' : 'good') });
      stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 10)));
      const b = await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1' });
      expect(b).toEqual([
        { bucket: T0, min: 0, mean: 7, max: 14, count: 15, source: 'raw' },
        { bucket: T0 + BUCKET, min: 15, mean: (15 + 16 + 17 + 18 + 19 + 22 + 23 + 24 + 25 + 26 + 27 + 28 + 29) / 13, max: 29, count: 13, source: 'raw' },
        { bucket: T0 + 2 * BUCKET, min: 30, mean: 37, max: 44, count: 15, source: 'raw' },
      ]);
      const mid = await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1', from: T0 + BUCKET + 5 * MIN, to: T0 + BUCKET + 6 * MIN });
      expect(mid.map((x) => x.bucket)).toEqual([T0 + BUCKET]);
      expect(mid[0]?.count).toBe(13);
      const two = await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1', from: T0 + 14 * MIN, to: T0 + BUCKET + 1 });
      expect(two.map((x) => x.bucket)).toEqual([T0, T0 + BUCKET]);
      expect(await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1', limit: 1 })).toHaveLength(1);
    });

    it.skipIf(skip)('15 m from partial aggregates (count-weighted), then from raw once the debt is paid, never both', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      // Two batches owed, both touching bucket T0; one raw batch in it too.
      const d1 = sim.debtBatch(5, { start: T0, value: (i) => i }); // 0..4 at minutes 0..4
      const d2 = sim.debtBatch(10, { start: T0 + 5 * MIN, value: (i) => 10 + i }); // 10..19 at minutes 5..14
      sim.readings(3, { start: T0 + 20 * MIN, value: () => 100 }); // bucket T0+15m, raw
      let acked = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 10))).acked;
      expect(acked).toMatchObject({ readings: 3, bulk: 0 });

      const mean0 = (0 + 1 + 2 + 3 + 4 + 10 * 10 + 45) / 15;
      expect(await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1' })).toEqual([
        { bucket: T0, min: 0, mean: mean0, max: 19, count: 15, source: 'aggregates' },
        { bucket: T0 + BUCKET, min: 100, mean: 100, max: 100, count: 3, source: 'raw' },
      ]);
      expect(await store.rawReadings({ boxId: 'xiaoshan-01', sensorId: 's1', to: T0 + BUCKET })).toEqual([]);

      sim.payDebt(d1.raw);
      acked = stored(await store.ingest('xiaoshan-01', sim.request(acked, 10))).acked;
      expect(acked.bulk).toBe(1);
      const mixed = await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1', to: T0 + BUCKET });
      expect(mixed).toHaveLength(1);
      expect(mixed[0]?.source).toBe('mixed');
      expect(mixed[0]?.count).toBe(15);
      expect(mixed[0]?.mean).toBeCloseTo(mean0, 12);

      sim.payDebt(d2.raw);
      stored(await store.ingest('xiaoshan-01', sim.request(acked, 10)));
      const raw = await store.readings15m({ boxId: 'xiaoshan-01', sensorId: 's1', to: T0 + BUCKET });
      expect(raw).toEqual([{ bucket: T0, min: 0, mean: mean0, max: 19, count: 15, source: 'raw' }]);
      const stats = await store.recordStats('xiaoshan-01');
      expect(stats.kinds.aggregates.count).toBe(2);
      expect(stats.kinds.readings.count).toBe(3);
      expect(stats.partialAggregates).toBe(fold(d1.raw.kind === 'readings' ? d1.raw.payload.readings : []).length + 1); // one bucket each
    });
  });

  describe('alarms', () => {
    it.skipIf(skip)('current state folds the transitions; active alarms across boxes, evacuate first', async () => {
      const { store } = await setup();
      await enrolled(store, 'a');
      await enrolled(store, 'b');
      const simA = new BoxSim();
      const simB = new BoxSim();
      const a1 = simA.newAlarm();
      const a2 = simA.newAlarm({ kind: 'fault', key: 'fault:comm_lost:s1', siteId: null });
      const b1 = simB.newAlarm({ drill: true });
      simA.transition(a1, 'raised', 'prepare', T0 + 1);
      simA.transition(a2, 'raised', null, T0 + 2);
      simB.transition(b1, 'raised', 'prepare', T0 + 3);
      stored(await store.ingest('a', simA.request(ZERO, 10)));
      stored(await store.ingest('b', simB.request(ZERO, 10)));
      let active = await store.activeAlarms();
      expect(active.map((x) => `${x.boxId}/${x.alarmId}:${x.state}:${String(x.level)}`)).toEqual(['a/1:active:prepare', 'b/1:active:prepare', 'a/2:active:null']);
      expect(active.find((x) => x.boxId === 'b')?.drill).toBe(true);

      const markA = (await store.laneMarks('a')) as LaneMarks;
      simA.transition(a1, 'acknowledged', 'prepare', T0 + 10, { by: '县长', account: 'admin', note: '已知' });
      simA.transition(a2, 'shelved', null, T0 + 11);
      simA.transition(a1, 'escalated', 'evacuate', T0 + 12, { title: '站1 立即转移' });
      stored(await store.ingest('a', simA.request(markA, 10)));
      active = await store.activeAlarms();
      expect(active.map((x) => `${x.boxId}/${x.alarmId}`)).toEqual(['a/1', 'b/1', 'a/2']);
      expect(active[0]).toMatchObject({ level: 'evacuate', state: 'active', title: '站1 立即转移', acknowledgedAt: null, updatedAt: T0 + 12, lastTransitionId: 5 });
      expect(active[2]).toMatchObject({ shelved: true, kind: 'fault', siteId: null, sensorId: 's1' });

      const markA2 = (await store.laneMarks('a')) as LaneMarks;
      simA.transition(a1, 'acknowledged', 'evacuate', T0 + 20, { by: '镇长', account: 'op' });
      simA.transition(a2, 'cleared', null, T0 + 21);
      stored(await store.ingest('a', simA.request(markA2, 10)));
      active = await store.activeAlarms();
      expect(active.map((x) => `${x.boxId}/${x.alarmId}:${x.state}`)).toEqual(['a/1:acknowledged', 'b/1:active']);
      expect(active[0]).toMatchObject({ acknowledgedAt: T0 + 20, acknowledgedBy: '镇长', acknowledgedByAccount: 'op' });

      const history = await store.alarmTransitions('a', 1);
      expect(history.map((t) => t.type)).toEqual(['raised', 'acknowledged', 'escalated', 'acknowledged']);
      expect(history[1]).toMatchObject({ by: '县长', account: 'admin', note: '已知', seq: 3 });
      expect(history[0]?.cause).toEqual({ rule: 'threshold', sensorId: 's1' });
      // Resending every alarm record changes nothing.
      stored(await store.ingest('a', simA.request(ZERO, 10)));
      expect(await store.activeAlarms()).toEqual(active);
      expect((await store.recordStats('a')).alarmTransitions).toBe(7);
    });
  });

  describe('series per (box, dbId)', () => {
    /** One database's worth of records: readings, an alarm (id 1, as every new database numbers them), health. */
    function database(start: number): BoxSim {
      const sim = new BoxSim();
      sim.readings(4, { start });
      const a = sim.newAlarm();
      sim.transition(a, 'raised', 'prepare', start);
      sim.health({ start });
      sim.readings(3, { start: start + 10 * MIN });
      return sim;
    }

    it.skipIf(skip)('a new dbId starts a new series: marks from 0, nothing dropped as a duplicate, the old one refused', async () => {
      const { store } = await setup();
      await enrolled(store);
      const one = database(T0);
      for (let i = 0; i < 6; i += 1) one.readings(2, { start: T0 + (20 + i * 2) * MIN });
      const r1 = stored(await store.ingest('xiaoshan-01', one.request(ZERO, 100), 'db-1'));
      expect(r1).toMatchObject({ dbId: 'db-1', acked: one.finalMarks() });
      expect(r1.newDatabase).toBeUndefined();

      // The SD card is replaced without a backup: seq, reading ids and alarm ids start at 1 again.
      const two = database(T0 + BUCKET * 8);
      const r2 = stored(await store.ingest('xiaoshan-01', two.request(ZERO, 100), 'db-2'));
      expect(r2).toMatchObject({ dbId: 'db-2', newDatabase: { from: 'db-1' }, stored: two.log.length, duplicates: 0, acked: two.finalMarks() });
      expect(await store.laneMarks('xiaoshan-01')).toEqual(two.finalMarks());

      // recordStats is per series: the current one by default, any by its dbId.
      for (const [sim, db] of [[two, undefined], [one, 'db-1'], [two, 'db-2']] as const) {
        const stats = await store.recordStats('xiaoshan-01', db);
        for (const kind of ['alarm', 'health', 'readings'] as const) expect(stats.kinds[kind].digest).toBe(seqDigest(sim.seqsOf(kind)));
        expect(stats.readings).toEqual({ count: sim.readingIds().length, digest: seqDigest(sim.readingIds()) });
        expect(stats.alarmTransitions).toBe(1);
      }
      expect((await store.arrivals('xiaoshan-01')).map((x) => x.seq)).toEqual([2, 3, 1, 4]);
      // Readings are by time, across series; alarms are told apart by their series.
      const raw = await store.rawReadings({ boxId: 'xiaoshan-01', sensorId: 's1' });
      expect(raw).toHaveLength(one.readingIds().length + two.readingIds().length);
      expect((await store.activeAlarms()).map((x) => `${x.dbId}/${x.alarmId}`).sort()).toEqual(['db-1/1', 'db-2/1']);
      expect((await store.alarmTransitions('xiaoshan-01', 1)).map((t) => [t.dbId, t.ts])).toEqual([['db-2', T0 + BUCKET * 8]]);
      expect((await store.alarmTransitions('xiaoshan-01', 1, 'db-1')).map((t) => [t.dbId, t.ts])).toEqual([['db-1', T0]]);
      const [box] = await store.listBoxes();
      expect(box).toMatchObject({ dbId: 'db-2', databaseChanges: 1, marks: two.finalMarks() });
      // The new series' health is the latest, though its seq is lower than the old series' last one.
      expect(box?.latestHealth).toMatchObject({ seq: 3 });
      expect(box?.latestHealth?.receivedAt).toBe(r2.receivedAt);

      // The old database (an old card put back) is refused, and stores nothing; resending the new one is harmless.
      one.readings(2);
      expect(await store.ingest('xiaoshan-01', one.request(r1.acked, 100), 'db-1')).toEqual({ status: 'stale_database', dbId: 'db-1', current: 'db-2' });
      expect(stored(await store.ingest('xiaoshan-01', two.request(ZERO, 100), 'db-2'))).toMatchObject({ stored: 0, acked: two.finalMarks() });
      expect(stored(await store.ingest('xiaoshan-01', two.request(ZERO, 100)))).toMatchObject({ stored: 0, dbId: 'db-2' });
      expect((await store.recordStats('xiaoshan-01', 'db-1')).kinds.readings.count).toBe(one.seqsOf('readings').length - 1);
      // A third database: counted again.
      const three = database(T0 + BUCKET * 16);
      expect(stored(await store.ingest('xiaoshan-01', three.request(ZERO, 100), 'db-3'))).toMatchObject({ newDatabase: { from: 'db-2' } });
      expect((await store.listBoxes())[0]).toMatchObject({ dbId: 'db-3', databaseChanges: 2 });
    });

    it.skipIf(skip)('the first dbId a box names adopts what was stored before it (no new series, marks kept)', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = database(T0);
      const first = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 2)));
      expect(first.dbId).toBe('');
      const r = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 100), 'db-1'));
      expect(r.newDatabase).toBeUndefined();
      expect(r).toMatchObject({ dbId: 'db-1', stored: sim.log.length - first.stored, acked: sim.finalMarks() });
      const stats = await store.recordStats('xiaoshan-01');
      expect(stats.kinds.readings.digest).toBe(seqDigest(sim.seqsOf('readings')));
      expect(stats.readings.digest).toBe(seqDigest(sim.readingIds()));
      expect(await store.recordStats('xiaoshan-01', '')).toMatchObject({ readings: { count: 0 } });
      expect((await store.listBoxes())[0]).toMatchObject({ dbId: 'db-1', databaseChanges: 0 });
      expect((await store.activeAlarms()).map((x) => x.dbId)).toEqual(['db-1']);
    });

    it.skipIf(skip)('v1 → v2 keeps what a v1 hub stored; the box\'s first dbId adopts it', async () => {
      fx = await backend.fixture();
      await makeV1(fx, [
        `INSERT INTO hub_boxes (id, public_key, enrolled_at) VALUES ('old-1', '${KEY}', 1)`,
        `INSERT INTO hub_lane_marks (box_id, lane, mark) VALUES ('old-1', 'alarm', 0), ('old-1', 'health', 0), ('old-1', 'readings', 2), ('old-1', 'bulk', 0)`,
        `INSERT INTO hub_records (box_id, seq, kind, lane, ts, received_at, payload) VALUES ('old-1', 1, 'readings', 'readings', 1, 1, NULL), ('old-1', 2, 'readings', 'readings', 2, 2, NULL)`,
        `INSERT INTO hub_readings (box_id, reading_id, sensor_id, ts, value, quality, seq) VALUES ('old-1', 1, 's1', ${T0}, 1.5, 'good', 1), ('old-1', 2, 's1', ${T0 + MIN}, 1.6, 'good', 2)`,
      ]);
      const store = await fx.open();
      expect(await store.laneMarks('old-1')).toEqual({ ...ZERO, readings: 2 });
      expect((await store.recordStats('old-1')).readings.count).toBe(2);
      const sim = new BoxSim();
      sim.readings(1);
      sim.readings(1);
      sim.readings(1);
      const r = stored(await store.ingest('old-1', sim.request(ZERO, 100), 'db-1'));
      expect(r).toMatchObject({ stored: 1, duplicates: 2, acked: { readings: 3 } });
      expect(await store.recordStats('old-1')).toMatchObject({ kinds: { readings: { count: 3, digest: seqDigest([1, 2, 3]) } }, readings: { count: 3 } });
      // The id sequence of hub_records goes on after the copied rows.
      expect((await store.arrivals('old-1')).map((x) => x.arrival)).toEqual([1, 2, 3]);
    });
  });

  describe('health', () => {
    it.skipIf(skip)('keeps every snapshot and the one with the highest seq as the latest', async () => {
      const { store } = await setup();
      await enrolled(store);
      const sim = new BoxSim();
      sim.health({ n: 1 });
      sim.health({ n: 2, sync: { backlog: { bulk: { records: 9 } } } });
      const r = stored(await store.ingest('xiaoshan-01', sim.request(ZERO, 10)));
      sim.health({ n: 3 });
      stored(await store.ingest('xiaoshan-01', sim.request(r.acked, 10)));
      const [box] = await store.listBoxes();
      expect(box?.latestHealth).toMatchObject({ seq: 3, body: { status: 'ok', n: 3 } });
      expect(box?.backlog).toBeNull();
      expect((await store.recordStats('xiaoshan-01')).healthSnapshots).toBe(3);
    });
  });
});
