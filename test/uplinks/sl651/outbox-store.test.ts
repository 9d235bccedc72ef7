import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../node-daemon/core/log.js';
import { ClockSpanStore } from '../../../node-daemon/storage/clock-spans.js';
import { openDatabase, type Db } from '../../../node-daemon/storage/database.js';
import { MIGRATIONS, userVersion } from '../../../node-daemon/storage/migrations.js';
import { FN } from '../../../node-daemon/uplinks/sl651/codec/model.js';
import { sl651CentreSchema, type Sl651CentreConfig } from '../../../node-daemon/uplinks/sl651/config-schema.js';
import { nextSerial, Sl651Outbox, type OutboxPorts } from '../../../node-daemon/uplinks/sl651/outbox-store.js';
import { SL651_MIGRATION } from '../../../node-daemon/uplinks/sl651/sl651-migration.js';
import { planReports, type PlanInput, type PlanResult } from '../../../node-daemon/uplinks/sl651/report-plan.js';
import type { PlannedReport } from '../../../node-daemon/uplinks/sl651/report-types.js';
import { tempDir } from '../../storage/storage-helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2024-06-01 00:00 Beijing. */
const T0 = Date.UTC(2024, 4, 31, 16, 0, 0);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function openBox(): Db {
  const dir = tempDir('fenghuo-sl651-');
  const { db } = openDatabase({ dataDir: dir.dir, log: silentLogger() });
  cleanups.push(() => {
    db.close();
    dir.cleanup();
  });
  return db;
}

function centre(over: Record<string, unknown> = {}): Sl651CentreConfig {
  return sl651CentreSchema.parse({
    id: 'county',
    host: '127.0.0.1',
    port: 5000,
    centre: 1,
    station: '0012345678',
    levels: [{ element: '39', sensor: 'river', thresholdsM: [3.5] }],
    rain: [{ element: '1A', site: 'village' }],
    timedIntervalMin: 60,
    hourly: false,
    backfillHours: 6,
    ...over,
  });
}

const ports: OutboxPorts = { rainAt: () => ({ h1: 0.5, h3: 1, h6: 2 }) };

function addReading(db: Db, sensor: string, ts: number, value: number | null, opts: { quality?: number; span?: number } = {}): number {
  return Number(
    db.prepare('INSERT INTO readings (sensor_id, ts, value, quality, clock_span) VALUES (?, ?, ?, ?, ?)').run(sensor, ts, value, opts.quality ?? 0, opts.span ?? null)
      .lastInsertRowid,
  );
}

function outboxRows(db: Db): unknown[] {
  return db.prepare('SELECT * FROM sl651_outbox ORDER BY id').all();
}

function centreRow(db: Db): unknown {
  return db.prepare('SELECT * FROM sl651_centres').all();
}

/** A planner that queues `n` reports each run and leaves the state as it was. */
function fixedPlanner(n: number): (input: PlanInput) => PlanResult {
  return (input) => ({
    reports: Array.from({ length: n }, (_, i): PlannedReport => ({
      kind: 'added',
      fn: FN.added,
      observedAt: input.now + i * MIN,
      groups: [{ observedAt: input.now + i * MIN, elements: [{ kind: 'number', id: 0x39, definition: 0x23, value: i }] }],
      reason: `test ${i}`,
    })),
    next: input.state,
    held: false,
  });
}

describe('Sl651Outbox', () => {
  it('is migration 14, and a fresh box has every migration', () => {
    const db = openBox();
    expect(userVersion(db)).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.find((m) => m === SL651_MIGRATION)?.version).toBe(14);
  });

  it('queues planned reports with serials and the state, and planning again with no new readings queues nothing', () => {
    const db = openBox();
    const outbox = new Sl651Outbox({ db });
    const config = centre();
    addReading(db, 'river', T0 - MIN, 3.2);
    addReading(db, 'river', T0 + 10_000, 3.4);
    const last = addReading(db, 'river', T0 + MIN + 5000, 3.6);
    const run = outbox.runPlanner(config, T0 + 2 * MIN, ports);
    expect(run.queued.map((r) => [r.kind, r.observedAt, r.serial])).toEqual([
      ['timed', T0, 1],
      ['added', T0 + MIN, 2],
    ]);
    expect(run.cursor).toBe(last);
    expect(outbox.cursor('county')).toBe(last);
    expect(outbox.queueLength('county')).toBe(2);
    const timed = outbox.nextUnconfirmed('county');
    expect(timed).toMatchObject({ kind: 'timed', fn: FN.timed, serial: 1, sentCount: 0, lastSentAt: null, confirmedAt: null, createdAt: T0 + 2 * MIN });
    expect(timed?.groups).toEqual([
      {
        observedAt: T0,
        elements: [
          // The level at 00:00 is the reading of 23:59 (00:00:10 is after the mark).
          { kind: 'number', id: 0x39, definition: 0x23, value: 3.2 },
          { kind: 'number', id: 0x1a, definition: 0x19, value: 0.5 },
        ],
      },
    ]);
    expect(outbox.unconfirmed('county', 10)[1]?.reason).toBe('39 crossed 3.5 m rising');

    const before = [outboxRows(db), outbox.plannerState('county')];
    expect(outbox.runPlanner(config, T0 + 2 * MIN + 1000, ports).queued).toEqual([]);
    expect(outbox.runPlanner(config, T0 + 2 * MIN + 2000, ports).queued).toEqual([]);
    expect([outboxRows(db), outbox.plannerState('county')]).toEqual(before);
  });

  it('a new centre starts at the backfill limit, not at the first reading ever stored', () => {
    const db = openBox();
    const outbox = new Sl651Outbox({ db });
    // Months ago the river crossed 3.5 m: not reported.
    addReading(db, 'river', T0 - 90 * DAY, 3.0);
    addReading(db, 'river', T0 - 90 * DAY + MIN, 3.9);
    addReading(db, 'other', T0 - 3 * HOUR, 1);
    const first = addReading(db, 'river', T0 - 2 * HOUR + 30_000, 3.0);
    addReading(db, 'river', T0 - 2 * HOUR + 90_000, 3.8);
    const run = outbox.runPlanner(centre(), T0, ports);
    expect(run.queued.filter((r) => r.kind === 'added').map((r) => r.observedAt)).toEqual([T0 - 2 * HOUR + MIN]);
    expect(run.cursor).toBeGreaterThan(first);

    // No reading of a mapped sensor in the window: start after the newest reading.
    const rainOnly = centre({ id: 'rain', levels: [], rain: [{ element: '1A', site: 'village' }] });
    outbox.runPlanner(rainOnly, T0, ports);
    expect(outbox.cursor('rain')).toBe(run.cursor);
  });

  it('a planner that throws, or a report that cannot be stored midway, leaves the state and the outbox as before', () => {
    const db = openBox();
    const config = centre();
    addReading(db, 'river', T0 - MIN, 3.0);
    addReading(db, 'river', T0 + 1000, 3.0);
    expect(new Sl651Outbox({ db }).runPlanner(config, T0 + 2000, ports).queued.map((r) => r.serial)).toEqual([1]);
    addReading(db, 'river', T0 + MIN, 3.9);
    const before = [outboxRows(db), centreRow(db)];

    const throwing = new Sl651Outbox({
      db,
      planner: () => {
        throw new Error('killed');
      },
    });
    expect(() => throwing.runPlanner(config, T0 + 2 * MIN, ports)).toThrow('killed');
    expect([outboxRows(db), centreRow(db)]).toEqual(before);

    // The second report breaks the kind CHECK after the first was inserted: the whole run is rolled back.
    const midway = new Sl651Outbox({
      db,
      planner: (input) => {
        const good = planReports(input);
        const bad = { ...good.reports[0], kind: 'bogus' } as unknown as PlannedReport;
        return { ...good, reports: [...good.reports, bad] };
      },
    });
    expect(() => midway.runPlanner(config, T0 + 2 * MIN, ports)).toThrow(/CHECK/);
    expect([outboxRows(db), centreRow(db)]).toEqual(before);

    // And the real planner then queues the crossing once.
    const outbox = new Sl651Outbox({ db });
    expect(outbox.runPlanner(config, T0 + 2 * MIN, ports).queued.map((r) => [r.kind, r.serial])).toEqual([['added', 2]]);
    expect(outbox.runPlanner(config, T0 + 3 * MIN, ports).queued).toEqual([]);
  });

  it('serials wrap from 65535 to 1, never 0', () => {
    const db = openBox();
    const outbox = new Sl651Outbox({ db, planner: fixedPlanner(3) });
    const config = centre();
    outbox.runPlanner(config, T0, ports);
    db.prepare('UPDATE sl651_centres SET next_serial = 65534').run();
    expect(outbox.runPlanner(config, T0 + HOUR, ports).queued.map((r) => r.serial)).toEqual([65534, 65535, 1]);
    expect(outbox.runPlanner(config, T0 + 2 * HOUR, ports).queued.map((r) => r.serial)).toEqual([2, 3, 4]);
    expect([nextSerial(1), nextSerial(65534), nextSerial(65535)]).toEqual([2, 65535, 1]);
  });

  it('confirm matches the oldest unconfirmed report with the serial (and fn when given); order is oldest first', () => {
    const db = openBox();
    let now = T0;
    const outbox = new Sl651Outbox({ db, planner: fixedPlanner(2), clock: () => now });
    const config = centre();
    outbox.runPlanner(config, T0, ports); // serials 1, 2
    db.prepare('UPDATE sl651_centres SET next_serial = 65535').run();
    outbox.runPlanner(config, T0 + HOUR, ports); // serials 65535, 1
    const all = outbox.unconfirmed('county', 10);
    expect(all.map((r) => r.serial)).toEqual([1, 2, 65535, 1]);
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((a, b) => a - b));
    expect(outbox.lastConfirmedAt('county')).toBeNull();

    const first = all[0];
    if (first === undefined) throw new Error('no report');
    outbox.markSent(first.id, T0 + 5000);
    outbox.markSent(first.id, T0 + 15_000);
    expect(outbox.nextUnconfirmed('county')).toMatchObject({ id: first.id, sentCount: 2, lastSentAt: T0 + 15_000 });

    expect(outbox.confirm('county', 1, FN.timed)).toBeUndefined();
    expect(outbox.confirm('other', 1)).toBeUndefined();
    expect(outbox.confirm('county', 0)).toBeUndefined();
    now = T0 + 20_000;
    expect(outbox.confirm('county', 1, FN.added)).toMatchObject({ id: first.id, confirmedAt: T0 + 20_000 });
    expect(outbox.lastConfirmedAt('county')).toBe(T0 + 20_000);
    expect(outbox.nextUnconfirmed('county')?.serial).toBe(2);
    // The second serial 1 is the newer row; a repeated confirmation of it is refused afterwards.
    expect(outbox.confirm('county', 1, undefined, T0 + 30_000)?.id).toBe(all[3]?.id);
    expect(outbox.confirm('county', 1, undefined, T0 + 31_000)).toBeUndefined();
    expect(outbox.queueLength('county')).toBe(2);
    expect(outbox.unconfirmed('county', 10).map((r) => r.serial)).toEqual([2, 65535]);
    expect(outbox.lastConfirmedAt('county')).toBe(T0 + 30_000);
  });

  it('prunes confirmed reports older than N days and keeps the rest', () => {
    const db = openBox();
    const outbox = new Sl651Outbox({ db, planner: fixedPlanner(3) });
    outbox.runPlanner(centre(), T0, ports);
    outbox.confirm('county', 1, undefined, T0);
    outbox.confirm('county', 2, undefined, T0 + 3 * DAY);
    expect(outbox.prune(7, T0 + 8 * DAY)).toBe(1);
    expect(outbox.unconfirmed('county', 10).map((r) => r.serial)).toEqual([3]);
    expect(db.prepare('SELECT count(*) AS n FROM sl651_outbox').get()).toEqual({ n: 2 });
    expect(outbox.lastConfirmedAt('county')).toBe(T0 + 3 * DAY);
  });

  it('a reading on an untrusted clock holds the cursor until it is corrected; an abandoned span does not', () => {
    const db = openBox();
    const spans = new ClockSpanStore(db);
    const outbox = new Sl651Outbox({ db });
    const config = centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [3.5] }], rain: [] });
    const before = addReading(db, 'river', T0 + 1000, 3.0);
    outbox.runPlanner(config, T0 + 2000, ports);

    const span = spans.open(T0 + MIN);
    // The box thinks it is 10 minutes earlier than it is.
    const marked = addReading(db, 'river', T0 + MIN, 3.8, { span });
    addReading(db, 'river', T0 + 2 * MIN, 3.9, { span });
    let run = outbox.runPlanner(config, T0 + 3 * MIN, ports);
    expect(run).toMatchObject({ held: true, cursor: before, queued: [] });
    // Held: nothing on the settle time either, and the store's own levelAt does not see the marked readings.
    run = outbox.runPlanner(config, T0 + 2 * HOUR, ports);
    expect(run).toMatchObject({ held: true, cursor: before, queued: [] });
    expect(outbox.levelAt('river', T0 + 3 * MIN, HOUR)).toBe(3.0);

    spans.correct([{ span, offsetMs: 10 * MIN }], T0 + 2 * HOUR);
    run = outbox.runPlanner(config, T0 + 2 * HOUR + 2 * MIN, ports);
    expect(run.held).toBe(false);
    expect(run.cursor).toBeGreaterThan(marked);
    expect(run.queued.map((r) => [r.kind, r.observedAt])).toEqual([
      ['added', T0 + 11 * MIN],
      ['timed', T0 + HOUR],
      ['timed', T0 + 2 * HOUR],
    ]);
    expect(run.queued[1]?.groups[0]?.elements[0]).toMatchObject({ value: 3.9 });

    // A span an earlier boot never corrected: its readings are skipped, not waited for.
    const lost = spans.open(T0 + 3 * HOUR);
    addReading(db, 'river', T0 + 3 * HOUR, 9.9, { span: lost });
    spans.abandonOpen();
    const after = addReading(db, 'river', T0 + 3 * HOUR + MIN, 3.2);
    run = outbox.runPlanner(config, T0 + 3 * HOUR + 2 * MIN, ports);
    expect(run.held).toBe(false);
    expect(run.cursor).toBe(after);
    // 03:00's timed report has no level within 2 h (the skipped 9.9 is not one): skipped. The fall is from 3.9.
    expect(run.queued.map((r) => [r.kind, r.observedAt, r.reason])).toEqual([['added', T0 + 3 * HOUR + MIN, '39 crossed 3.5 m falling']]);
  });

  it('reads at most the batch limit per run and says there is more', () => {
    const db = openBox();
    const outbox = new Sl651Outbox({ db, batchLimit: 3 });
    const config = centre();
    const ids = Array.from({ length: 7 }, (_, i) => addReading(db, 'river', T0 + i * 1000, 3));
    expect(outbox.runPlanner(config, T0 + 10_000, ports)).toMatchObject({ more: true, cursor: ids[2] });
    expect(outbox.runPlanner(config, T0 + 10_000, ports)).toMatchObject({ more: true, cursor: ids[5] });
    expect(outbox.runPlanner(config, T0 + 10_000, ports)).toMatchObject({ more: false, cursor: ids[6] });
  });

  it('a saved state that cannot be read starts afresh from the saved cursor', () => {
    const db = openBox();
    const outbox = new Sl651Outbox({ db });
    const config = centre();
    const id = addReading(db, 'river', T0 + 1000, 3);
    outbox.runPlanner(config, T0 + 2000, ports);
    db.prepare(`UPDATE sl651_centres SET state = '{"version":9}'`).run();
    expect(outbox.plannerState('county')?.cursor).toBe(id);
    expect(outbox.runPlanner(config, T0 + 3000, ports).cursor).toBe(id);
    expect(outbox.plannerState('county')?.version).toBe(1);
  });
});
