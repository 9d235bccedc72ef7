/**
 * Issue #14 item 3 with real SQLite: readings taken before the clock is trusted are marked, and corrected in one
 * transaction when trusted time arrives (readings, alarm transitions, alarms; nothing lost; `clock.corrected`);
 * the county sync holds the marked readings back until then, so the county gets corrected times, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../node-daemon/core/events.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { TimeBase } from '../../node-daemon/core/time-base.js';
import { ClockTrustService } from '../../node-daemon/health/clock-trust.js';
import type { ClockSync } from '../../node-daemon/health/clock-sync.js';
import { openDatabase } from '../../node-daemon/storage/database.js';
import { ReadingsWriter } from '../../node-daemon/storage/readings-writer.js';
import { EmittingAlarmService } from '../../node-daemon/alarms/store/alarm-service.js';
import { AlarmStore } from '../../node-daemon/alarms/store/alarm-store.js';
import { OutboxStore } from '../../node-daemon/sync/outbox/outbox-store.js';

const H = 3_600_000;
const TRUE0 = Date.UTC(2024, 6, 1, 8, 0);
const BEHIND = 47 * H; // fake-hwclock restored a clock ~2 days old

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type LogLine = Record<string, unknown> & { event?: string };

function rig() {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-clock-correction-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const logs: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void logs.push(JSON.parse(s) as LogLine) } });
  const t = { mono: 1_000, wallError: -BEHIND };
  const trueNow = () => TRUE0 + t.mono;
  const tb = new TimeBase({ wall: () => trueNow() + t.wallError, mono: () => t.mono });
  const { db } = openDatabase({ dataDir: dir, log, clock: tb.wall });
  cleanups.push(() => {
    if (db.open) db.close();
  });
  const hub = new EventHub();
  const sync: { answer: ClockSync } = { answer: { source: 'timedatectl', synchronized: false } };
  const trust = new ClockTrustService({ db, timeBase: tb, log, probe: async () => sync.answer });
  cleanups.push(() => trust.stop());
  const alarms = new EmittingAlarmService({ store: new AlarmStore(db), hub, clock: tb.wall });
  const outbox = new OutboxStore({ db, clock: tb.wall });
  return { db, hub, log, logs, t, trueNow, tb, sync, trust, alarms, outbox };
}

describe('untrusted clock: marked readings, one correction, held back from the county until then', () => {
  it('an NTP step after a boot 47 h in the past corrects every reading and alarm of this boot, queued ones too', async () => {
    const r = rig();
    await r.trust.start();
    expect(r.trust.trusted()).toBe(false);
    expect(r.trust.currentSpan()).not.toBeNull();
    const writer = new ReadingsWriter({ db: r.db, hub: r.hub, log: r.log, batchSize: 3, flushIntervalMs: 60_000, clock: r.tb.wall, clockMarks: r.trust });
    await writer.start();
    cleanups.push(() => writer.stop());
    const truth: number[] = []; // the true time of each reading, in order
    const read = (value: number): void => {
      r.t.mono += 60_000;
      truth.push(r.trueNow());
      r.hub.reading$.next({ sensorId: 'up', ts: r.tb.wall(), value, quality: 'good' });
    };

    for (const v of [2.0, 2.1, 2.2, 2.3]) read(v); // 3 committed, 1 queued
    const raised = r.alarms.raise({ key: 'flood:s', kind: 'flood', level: 'prepare', siteId: 's', sensorId: 'up', drill: false, title: 'S 准备转移', cause: { rule: 'level.prepare', sensorId: 'up', readingTs: r.tb.wall(), value: 2.3 } });
    const raisedTrue = r.trueNow();
    expect(raised?.changed).toBe(true);
    const count = () => (r.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
    const marked = () => (r.db.prepare('SELECT count(*) AS n FROM readings WHERE clock_span IS NOT NULL').get() as { n: number }).n;
    expect([count(), marked()]).toEqual([3, 3]);
    // The county gets none of them yet; the alarm goes at once.
    expect(r.outbox.readLane('readings', { limit: 100 })).toEqual([]);
    expect(r.outbox.feed({ after: 0, limit: 100, lane: 'readings' }).records).toEqual([]);
    expect(r.outbox.readLane('alarm', { limit: 100 }).length).toBeGreaterThan(0);

    // NTP steps the clock: the wall jumps 47 h while the monotonic clock runs on. One reading lands between the
    // step and the probe noticing it (a new span: its stamp is already right).
    r.t.mono += 500;
    r.t.wallError = 0;
    r.trust.observe();
    expect(r.logs.filter((l) => l.event === 'clock.step').map((l) => l.stepMs)).toEqual([BEHIND]);
    read(2.4); // queued with the one before: 2 waiting in the writer
    r.sync.answer = { source: 'timedatectl', synchronized: true };
    await r.trust.check();
    expect(r.trust.trusted()).toBe(true);
    expect(r.trust.state()).toMatchObject({ trusted: true, source: 'ntp', correctionMs: 0, span: null, lastStepMs: BEHIND });
    read(2.5); // trusted: unmarked; fills the batch of 3 (the 2 queued, corrected as they are written)
    await writer.stop();

    const rows = r.db.prepare('SELECT ts, value, clock_span FROM readings ORDER BY id').all() as { ts: number; value: number; clock_span: number | null }[];
    expect(rows.map((x) => x.value)).toEqual([2.0, 2.1, 2.2, 2.3, 2.4, 2.5]); // nothing lost, nothing twice
    expect(rows.map((x) => x.ts)).toEqual(truth);
    expect(rows.every((x) => x.clock_span === null)).toBe(true);

    const alarm = r.alarms.get(raised!.alarm.id)!;
    expect(alarm.raisedAt).toBe(raisedTrue);
    expect(alarm.transitions.map((x) => x.ts)).toEqual([raisedTrue]);
    expect(alarm.transitions[0]!.cause.readingTs).toBe(truth[3]);

    const corrected = r.logs.filter((l) => l.event === 'clock.corrected');
    expect(corrected).toHaveLength(1);
    expect(corrected[0]).toMatchObject({ source: 'ntp', readings: 3, alarms: 1, transitions: 1 });
    expect((corrected[0]!.spans as { offsetMs: number }[]).map((s) => s.offsetMs)).toEqual([BEHIND, 0]);
    // The steady time base now tells the true time.
    expect(Math.abs(r.tb.steady() - r.trueNow())).toBeLessThan(2);

    // Released to the county: every reading, with its corrected time, once.
    const sent = r.outbox.readLane('readings', { limit: 100 }).flatMap((x) => (x.record.kind === 'readings' ? x.record.payload.readings : []));
    expect(sent.map((tuple) => tuple[2])).toEqual(truth);
  });

  it('the hub\'s time, far from the box\'s: stamps so far corrected, the clock stays untrusted; a close hub time trusts it', async () => {
    const r = rig();
    await r.trust.start();
    const writer = new ReadingsWriter({ db: r.db, hub: r.hub, log: r.log, batchSize: 1, flushIntervalMs: 50, clock: r.tb.wall, clockMarks: r.trust });
    await writer.start();
    cleanups.push(() => writer.stop());
    for (const v of [1, 2]) {
      r.t.mono += 60_000;
      r.hub.reading$.next({ sensorId: 'up', ts: r.tb.wall(), value: v, quality: 'good' });
    }
    r.trust.hubTime(BEHIND, 300); // hub − box: the box is 47 h behind
    expect(r.trust.trusted()).toBe(false);
    expect(r.trust.state().correctionMs).toBe(BEHIND);
    expect(r.outbox.readLane('readings', { limit: 10 }).length).toBe(2); // corrected: released
    r.t.mono += 60_000;
    r.hub.reading$.next({ sensorId: 'up', ts: r.tb.wall(), value: 3, quality: 'good' }); // still stamped wrong: a new span
    expect(r.outbox.readLane('readings', { limit: 10 }).length).toBe(2);
    // Someone fixed the clock (a small hub offset now): trusted.
    r.t.wallError = 0;
    r.t.mono += 1_000;
    r.trust.observe();
    r.trust.hubTime(150, 300);
    expect(r.trust.state()).toMatchObject({ trusted: true, source: 'hub' });
    const ts = (r.db.prepare('SELECT ts FROM readings ORDER BY id').all() as { ts: number }[]).map((x) => x.ts);
    expect(ts).toEqual([TRUE0 + 61_000, TRUE0 + 121_000, TRUE0 + 181_000 + 150]);
    expect(r.outbox.readLane('readings', { limit: 10 }).length).toBe(3);
  });

  it('a span an earlier boot left uncorrected is abandoned at start: its readings stay marked and are no longer held', async () => {
    const r = rig();
    await r.trust.start();
    const writer = new ReadingsWriter({ db: r.db, hub: r.hub, log: r.log, batchSize: 1, flushIntervalMs: 50, clock: r.tb.wall, clockMarks: r.trust });
    await writer.start();
    r.hub.reading$.next({ sensorId: 'up', ts: r.tb.wall(), value: 1, quality: 'good' });
    await writer.stop();
    await r.trust.stop();
    expect(r.outbox.readLane('readings', { limit: 10 })).toEqual([]);
    // Next boot, NTP answers at once.
    const next = new ClockTrustService({ db: r.db, timeBase: r.tb, log: r.log, probe: async () => ({ source: 'timedatectl', synchronized: true }) });
    await next.start();
    cleanups.push(() => next.stop());
    expect(next.trusted()).toBe(true);
    expect(r.logs.filter((l) => l.event === 'clock.spans_abandoned')).toHaveLength(1);
    expect(r.outbox.readLane('readings', { limit: 10 })).toHaveLength(1);
    expect((r.db.prepare('SELECT count(*) AS n FROM readings WHERE clock_span IS NOT NULL').get() as { n: number }).n).toBe(1);
  });
});
