import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../test/helpers/seeded-random.js';
import { FN, type ElementValue } from './codec/model.js';
import { sl651CentreSchema, type Sl651CentreConfig } from './config-schema.js';
import {
  fiveMinuteValue,
  initialPlannerState,
  levelValue,
  markAtOrAfter,
  parsePlannerState,
  planReports,
  rainValue,
  type PlannerOptions,
  type PlannerPorts,
  type PlannerReading,
  type PlanResult,
  type RainTotalsMm,
  type Sl651PlannerState,
} from './report-plan.js';
import type { PlannedReport } from './report-types.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2024-06-01 00:00 Beijing (UTC+8). */
const T0 = Date.UTC(2024, 4, 31, 16, 0, 0);

function centre(over: Record<string, unknown> = {}): Sl651CentreConfig {
  return sl651CentreSchema.parse({
    id: 'county',
    host: '127.0.0.1',
    port: 5000,
    centre: 1,
    station: '0012345678',
    levels: [
      { element: '39', sensor: 'river', thresholdsM: [3.5, 4.0], stepM: 0.3 },
      { element: '3A', sensor: 'gate', thresholdsM: [] },
    ],
    rain: [
      { element: '1A', site: 'village' },
      { element: '1D', site: 'village' },
    ],
    timedIntervalMin: 60,
    hourly: false,
    backfillHours: 24,
    ...over,
  });
}

/** The stored readings and rain of a virtual box: what the ports answer from. */
class World {
  readonly readings: PlannerReading[] = [];
  rain: (site: string, at: number) => RainTotalsMm | null = () => ({ h1: 1.25, h3: 2, h6: 3.5 });
  private nextId = 1;

  add(sensorId: string, ts: number, value: number | null, quality = 0, marked = false): PlannerReading {
    const r = { id: this.nextId++, sensorId, ts, value, quality, marked };
    this.readings.push(r);
    return r;
  }

  /** Both sensors every `stepMs` over [from, to), values from `level(sensor, t)` (undefined: comm_fail). */
  series(from: number, to: number, stepMs: number, level: (sensor: string, t: number) => number | undefined): void {
    for (let t = from; t < to; t += stepMs) {
      for (const s of ['river', 'gate']) {
        const v = level(s, t);
        this.add(s, t, v ?? null, v === undefined ? 1 : 0);
      }
    }
  }

  unmark(id: number): void {
    const i = this.readings.findIndex((r) => r.id === id);
    const r = this.readings[i];
    if (r !== undefined) this.readings[i] = { ...r, marked: false };
  }

  ports(): PlannerPorts {
    return {
      levelAt: (sensorId, at, maxAge) => {
        let best: PlannerReading | undefined;
        for (const r of this.readings) {
          if (r.sensorId !== sensorId || r.marked || r.quality !== 0 || r.value === null || r.ts > at || r.ts < at - maxAge) continue;
          if (best === undefined || r.ts > best.ts || (r.ts === best.ts && r.id > best.id)) best = r;
        }
        return best?.value ?? null;
      },
      rainAt: (site, at) => this.rain(site, at),
    };
  }

  /** Readings stored by `now` after `cursor`, at most `limit`. */
  since(cursor: number, now: number, limit = Infinity): { readings: PlannerReading[]; more: boolean } {
    const all = this.readings.filter((r) => r.id > cursor && r.ts <= now);
    return { readings: all.slice(0, limit), more: all.length > limit };
  }
}

/** A planner driven like the outbox drives it: state kept between calls, readings after the cursor. */
class Driver {
  state: Sl651PlannerState;
  readonly reports: PlannedReport[] = [];
  last: PlanResult | undefined;

  constructor(
    readonly world: World,
    readonly config: Sl651CentreConfig,
    readonly options: PlannerOptions = {},
    cursor = 0,
  ) {
    this.state = initialPlannerState(cursor);
  }

  call(now: number, limit = Infinity): PlannedReport[] {
    const { readings, more } = this.world.since(this.state.cursor, now, limit);
    const result = planReports({ config: this.config, state: this.state, now, readings, more, ports: this.world.ports(), options: this.options });
    this.last = result;
    this.state = result.next;
    this.reports.push(...result.reports);
    return result.reports;
  }
}

function element(report: PlannedReport | undefined, id: number): ElementValue | undefined {
  return report?.groups[0]?.elements.find((e) => e.id === id);
}

function numberOf(report: PlannedReport | undefined, id: number): number | null | undefined {
  const e = element(report, id);
  return e?.kind === 'number' ? e.value : undefined;
}

describe('加报 (added reports)', () => {
  it('a reading crossing a threshold rising: one report at its minute with every element', () => {
    const w = new World();
    const d = new Driver(w, centre());
    w.add('gate', T0 + 10_000, 1.8);
    w.add('river', T0 + 20_000, 3.4);
    d.call(T0 + 30_000);
    w.add('river', T0 + 5 * MIN + 42_000, 3.6);
    const out = d.call(T0 + 5 * MIN + 45_000).filter((r) => r.kind === 'added');
    expect(out).toHaveLength(1);
    const r = out[0];
    expect(r?.fn).toBe(FN.added);
    expect(r?.observedAt).toBe(T0 + 5 * MIN);
    expect(r?.reason).toBe('39 crossed 3.5 m rising');
    expect(r?.groups).toEqual([
      {
        observedAt: T0 + 5 * MIN,
        elements: [
          { kind: 'number', id: 0x39, definition: 0x23, value: 3.6 },
          { kind: 'number', id: 0x3a, definition: 0x23, value: 1.8 },
          { kind: 'number', id: 0x1a, definition: 0x19, value: 1.3 },
          { kind: 'number', id: 0x1d, definition: 0x19, value: 3.5 },
        ],
      },
    ]);
  });

  it('falling through a threshold, and no report while it stays on one side', () => {
    const w = new World();
    const d = new Driver(w, centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [3.5] }] }));
    for (const [i, v] of [3.7, 3.6, 3.5, 3.52, 3.49, 3.3, 3.2].entries()) w.add('river', T0 + 10_000 + i * MIN, v);
    const added = [...d.call(T0 + 10 * MIN)].filter((r) => r.kind === 'added');
    expect(added.map((r) => [r.observedAt, r.reason])).toEqual([[T0 + 4 * MIN, '39 crossed 3.5 m falling']]);
    expect(numberOf(added[0], 0x39)).toBe(3.49);
  });

  it('a value exactly on a threshold counts as reaching it', () => {
    const w = new World();
    const d = new Driver(w, centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [3.5] }] }));
    w.add('river', T0 + 1000, 3.4);
    w.add('river', T0 + MIN, 3.5);
    w.add('river', T0 + 2 * MIN, 3.4);
    expect(d.call(T0 + 3 * MIN).filter((r) => r.kind === 'added').map((r) => r.reason)).toEqual(['39 crossed 3.5 m rising', '39 crossed 3.5 m falling']);
  });

  it('several thresholds in one jump make one report naming them all', () => {
    const w = new World();
    const d = new Driver(w, centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [4.0, 3.5, 5] }] }));
    w.add('river', T0 + 1000, 3.2);
    w.add('river', T0 + MIN, 4.2);
    w.add('river', T0 + 2 * MIN, 3.0);
    const added = d.call(T0 + 3 * MIN).filter((r) => r.kind === 'added');
    expect(added.map((r) => r.reason)).toEqual(['39 crossed 3.5 m, 4 m rising', '39 crossed 4 m, 3.5 m falling']);
  });

  it('the first reading ever has nothing to cross from; bad readings neither cross nor break the chain', () => {
    const w = new World();
    const d = new Driver(w, centre());
    w.add('river', T0 + 1000, 3.8);
    w.add('river', T0 + MIN, null, 1);
    w.add('river', T0 + 2 * MIN, 99, 2);
    w.add('river', T0 + 3 * MIN, 3.4);
    expect(d.call(T0 + 4 * MIN).filter((r) => r.kind === 'added').map((r) => r.reason)).toEqual(['39 crossed 3.5 m falling']);
  });

  it('moving more than stepM from the last reported value', () => {
    const w = new World();
    const config = centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [], stepM: 0.3 }], rain: [] });
    const d = new Driver(w, config);
    w.add('river', T0 - 30_000, 1.0);
    w.add('river', T0 + 10_000, 1.0); // completes the 00:00 timed report: 1.0 is reported
    expect(d.call(T0 + 20_000).map((r) => r.kind)).toEqual(['timed']);
    w.add('river', T0 + MIN, 1.29);
    w.add('river', T0 + 2 * MIN, 1.3); // exactly the step: not more
    expect(d.call(T0 + 3 * MIN)).toEqual([]);
    w.add('river', T0 + 3 * MIN, 1.31);
    const [r] = d.call(T0 + 4 * MIN);
    expect(r?.reason).toBe('39 moved 0.31 m since the last report (step 0.3 m)');
    // Now 1.31 is the last reported: a fall to 1.05 is within the step, to 1.0 is not.
    w.add('river', T0 + 4 * MIN, 1.05);
    expect(d.call(T0 + 5 * MIN)).toEqual([]);
    w.add('river', T0 + 5 * MIN, 1.0);
    expect(d.call(T0 + 6 * MIN).map((x) => x.reason)).toEqual(['39 moved 0.31 m since the last report (step 0.3 m)']);
  });

  it('a crossing and a step together are one report', () => {
    const w = new World();
    const d = new Driver(w, centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [3.5], stepM: 0.2 }], rain: [] }));
    w.add('river', T0 - 1000, 3.3);
    w.add('river', T0 + 1000, 3.3);
    d.call(T0 + 2000);
    w.add('river', T0 + MIN, 3.6);
    expect(d.call(T0 + 2 * MIN).map((r) => r.reason)).toEqual(['39 crossed 3.5 m rising; 39 moved 0.3 m since the last report (step 0.2 m)']);
  });

  it('the other level is its latest value at the reading, or missing when too old', () => {
    const w = new World();
    const d = new Driver(w, centre({ timedIntervalMin: 5 }));
    w.add('gate', T0 - 20 * MIN, 2.2); // older than 2 × 5 min at the crossing
    w.add('river', T0 + 1000, 3.0);
    w.add('river', T0 + 2 * MIN, 3.7);
    const added = d.call(T0 + 3 * MIN).filter((r) => r.kind === 'added');
    expect(numberOf(added[0], 0x3a)).toBeNull();
  });

  it('readings older than the backfill limit update the state but are not reported', () => {
    const w = new World();
    const d = new Driver(w, centre({ backfillHours: 1 }));
    w.add('river', T0 - 3 * HOUR, 3.0);
    w.add('river', T0 - 3 * HOUR + MIN, 3.8);
    w.add('river', T0 - 1000, 3.2);
    expect(d.call(T0).filter((r) => r.kind === 'added').map((r) => r.observedAt)).toEqual([T0 - MIN]);
  });
});

describe('定时报 (timed reports)', () => {
  it('every 5 minutes on the local clock, each value at its mark, once a reading at or after the mark arrived', () => {
    const w = new World();
    const d = new Driver(w, centre({ timedIntervalMin: 5, levels: [{ element: '39', sensor: 'river', thresholdsM: [] }], rain: [] }));
    for (let t = T0 - 2 * MIN; t < T0 + 16 * MIN; t += MIN) w.add('river', t + 30_000, 2 + (t - T0) / HOUR);
    d.call(T0 + 14 * MIN);
    const timed = d.reports.filter((r) => r.kind === 'timed');
    // 00:15's mark waits: no reading at or after it yet, and the settle time has not passed.
    expect(timed.map((r) => r.observedAt)).toEqual([T0, T0 + 5 * MIN, T0 + 10 * MIN]);
    expect(timed.map((r) => r.fn)).toEqual([FN.timed, FN.timed, FN.timed]);
    // The value at 00:05 is the reading of 00:04:30.
    expect(numberOf(timed[1], 0x39)).toBe(levelValue(2 + (4 * MIN) / HOUR));
    expect(d.call(T0 + 15 * MIN + 30_000).map((r) => r.observedAt)).toEqual([T0 + 15 * MIN]);
  });

  it('hourly marks (60 min) follow the local hour, even with a half-hour offset', () => {
    const w = new World();
    const d = new Driver(w, centre({ utcOffsetMinutes: 330, levels: [{ element: '39', sensor: 'river', thresholdsM: [] }], rain: [] }));
    for (let t = T0; t < T0 + 3 * HOUR; t += 10 * MIN) w.add('river', t, 1);
    d.call(T0 + 3 * HOUR);
    // UTC+5:30: local hours fall on UTC half-hours.
    expect(d.reports.map((r) => r.observedAt)).toEqual([T0 + 30 * MIN, T0 + 90 * MIN, T0 + 150 * MIN]);
    expect(markAtOrAfter(T0 + 1, HOUR, 330)).toBe(T0 + 30 * MIN);
  });

  it('without a reading after the mark it waits the settle time, then goes with the values at the mark', () => {
    const w = new World();
    const d = new Driver(w, centre({ timedIntervalMin: 10, levels: [{ element: '39', sensor: 'river', thresholdsM: [] }], rain: [] }), { settleMs: 90_000 });
    w.add('river', T0 + 9 * MIN, 1.5);
    d.call(T0 + 9 * MIN + 1000);
    expect(d.call(T0 + 10 * MIN + 89_000)).toEqual([]);
    const [r] = d.call(T0 + 10 * MIN + 90_000);
    expect([r?.observedAt, numberOf(r, 0x39)]).toEqual([T0 + 10 * MIN, 1.5]);
  });

  it('waits for every mapped sensor before the settle time', () => {
    const w = new World();
    const d = new Driver(w, centre({ rain: [] }));
    w.add('river', T0 - MIN, 3);
    w.add('gate', T0 - MIN, 2);
    w.add('river', T0 + 5000, 3.1);
    expect(d.call(T0 + 10_000).filter((r) => r.kind === 'timed')).toEqual([]);
    w.add('gate', T0 + 15_000, 2.1);
    expect(d.call(T0 + 20_000).map((r) => [r.kind, numberOf(r, 0x39), numberOf(r, 0x3a)])).toEqual([['timed', 3, 2]]);
  });

  it('a missing element is null (FF); a level that does not fit N(7,3) is null too', () => {
    const w = new World();
    const d = new Driver(w, centre({ rain: [{ element: '1C', site: 'village' }] }));
    w.rain = () => null;
    w.add('river', T0 - MIN, 12345.6);
    w.add('gate', T0 - MIN, -1.25);
    w.add('river', T0 + 1000, 1);
    w.add('gate', T0 + 1000, 1);
    const r = d.call(T0 + 2000).find((x) => x.kind === 'timed');
    expect(r?.groups[0]?.elements).toEqual([
      { kind: 'number', id: 0x39, definition: 0x23, value: null },
      { kind: 'number', id: 0x3a, definition: 0x23, value: -1.25 },
      { kind: 'number', id: 0x1c, definition: 0x19, value: null },
    ]);
  });

  it('a centre of rain only reports on the settle time', () => {
    const w = new World();
    const d = new Driver(w, centre({ levels: [], rain: [{ element: '1A', site: 'village' }], timedIntervalMin: 30 }));
    d.call(T0 - MIN);
    w.rain = (_site, at) => (at < T0 ? null : { h1: 0.5, h3: 1, h6: 1 });
    expect(d.call(T0 + 59_000)).toEqual([]);
    expect(d.call(T0 + 31 * MIN).map((r) => [r.observedAt, numberOf(r, 0x1a)])).toEqual([
      [T0, 0.5],
      [T0 + 30 * MIN, 0.5],
    ]);
  });
});

describe('小时报 (hourly reports)', () => {
  it('the twelve 5-minute values of the hour (null where none within 5 min), then the current values and rain', () => {
    const w = new World();
    const config = centre({ hourly: true, levels: [
      { element: '39', sensor: 'river', thresholdsM: [] },
      { element: '3A', sensor: 'gate', thresholdsM: [], fiveMinute: 'FA' },
    ] });
    const d = new Driver(w, config);
    // river every minute 00:00..01:00 except 00:14..00:31; gate only at 00:40.
    for (let m = 0; m <= 60; m++) if (m < 14 || m > 31) w.add('river', T0 + m * MIN, 1 + m / 100);
    w.add('gate', T0 + 40 * MIN, 0.5);
    w.add('gate', T0 + HOUR + 1000, 0.5);
    d.call(T0 + HOUR + 2000);
    const hourly = d.reports.filter((r) => r.kind === 'hourly');
    // 00:00's hour has its current value only (the reading of 00:00).
    expect(hourly.map((r) => [r.observedAt, r.fn])).toEqual([[T0, FN.hourly], [T0 + HOUR, FN.hourly]]);
    const h = hourly[1];
    expect(h?.groups[0]?.observedAt).toBe(T0 + HOUR);
    expect(element(h, 0xf5)).toEqual({
      kind: 'fiveMinute',
      id: 0xf5,
      definition: 0xc0,
      // 00:05 … 01:00; at 00:15 the newest is 00:13, at 00:20 too (too old: 7 min), at 00:25 and 00:30 none.
      values: [1.05, 1.1, 1.13, null, null, null, 1.35, 1.4, 1.45, 1.5, 1.55, 1.6],
    });
    expect(element(h, 0xfa)).toEqual({
      kind: 'fiveMinute',
      id: 0xfa,
      definition: 0xc0,
      values: [null, null, null, null, null, null, null, 0.5, 0.5, null, null, null],
    });
    expect(h?.groups[0]?.elements.map((e) => e.id)).toEqual([0xf5, 0xfa, 0x39, 0x3a, 0x1a, 0x1d]);
    expect(numberOf(h, 0x39)).toBe(1.6);
    // 3A at 01:00: 00:40 is within 2 × 60 min.
    expect(numberOf(h, 0x3a)).toBe(0.5);
    // The 01:00 timed report goes first.
    expect(d.reports.filter((r) => r.observedAt === T0 + HOUR && r.kind !== 'added').map((r) => r.kind)).toEqual(['timed', 'hourly']);
  });

  it('five-minute values in whole centimetres, null when negative or too large for 2 bytes', () => {
    expect([fiveMinuteValue(1.234), fiveMinuteValue(-0.01), fiveMinuteValue(655.34), fiveMinuteValue(655.35), fiveMinuteValue(null)]).toEqual([1.23, null, 655.34, null, null]);
    expect([levelValue(9999.999), levelValue(10000), levelValue(-999.999), levelValue(-1000), levelValue(1.23456)]).toEqual([9999.999, null, -999.999, null, 1.235]);
    expect([rainValue(12.34), rainValue(-1), rainValue(99999)]).toEqual([12.3, null, null]);
  });

  it('turning 小时报 on later does not report the hours before', () => {
    const w = new World();
    let d = new Driver(w, centre({ hourly: false, rain: [] }));
    for (let t = T0; t <= T0 + 5 * HOUR; t += 10 * MIN) {
      w.add('river', t, 1);
      w.add('gate', t, 1);
    }
    d.call(T0 + 3 * HOUR + 5 * MIN);
    const state = d.state;
    d = new Driver(w, centre({ hourly: true, rain: [] }));
    d.state = state;
    d.call(T0 + 5 * HOUR);
    expect(d.reports.filter((r) => r.kind === 'hourly').map((r) => r.observedAt)).toEqual([T0 + 4 * HOUR, T0 + 5 * HOUR]);
  });
});

describe('missed marks', () => {
  it('after a long stop: marks back to backfillHours only, and none where every element is missing', () => {
    const w = new World();
    const config = centre({ timedIntervalMin: 30, hourly: true, backfillHours: 6, rain: [] });
    const d = new Driver(w, config);
    w.add('river', T0 - 1000, 1);
    w.add('gate', T0 - 1000, 1);
    w.add('river', T0 + 1000, 1);
    w.add('gate', T0 + 1000, 1);
    d.call(T0 + 2000);
    expect(d.reports.map((r) => [r.kind, r.observedAt])).toEqual([['timed', T0], ['hourly', T0]]);
    // Off from 00:01 until 3 days later 09:40; readings again from 06:10 (a logger kept some while the uplink was down).
    const back = T0 + 3 * 24 * HOUR;
    for (let t = back + 6 * HOUR + 10 * MIN; t <= back + 9 * HOUR + 40 * MIN; t += 5 * MIN) {
      w.add('river', t, 2);
      w.add('gate', t, 2);
    }
    const out = d.call(back + 9 * HOUR + 40 * MIN);
    const times = (kind: string): number[] => out.filter((r) => r.kind === kind).map((r) => (r.observedAt - back) / MIN);
    // Window: from 03:39 (6 h + settle back); 04:00..06:00 have no value within 2 × 30 min: skipped.
    expect(times('timed')).toEqual([6.5, 7, 7.5, 8, 8.5, 9, 9.5].map((h) => h * 60));
    // 07:00's hour has values in its last 50 minutes; 06:00's has none (readings begin 06:10).
    expect(times('hourly')).toEqual([7, 8, 9].map((h) => h * 60));
    expect(d.state.nextTimed).toBe(back + 10 * HOUR);
  });

  it('a new state starts its marks at the backfill limit', () => {
    const w = new World();
    for (let t = T0 - 5 * HOUR; t <= T0; t += 10 * MIN) {
      w.add('river', t, 1);
      w.add('gate', t, 1);
    }
    const d = new Driver(w, centre({ backfillHours: 2 }));
    d.call(T0);
    expect(d.reports.map((r) => r.observedAt)).toEqual([T0 - 2 * HOUR, T0 - HOUR, T0]);
  });
});

describe('the cursor and marked readings', () => {
  it('stops before the first marked reading and consumes it once it is corrected', () => {
    const w = new World();
    const d = new Driver(w, centre({ levels: [{ element: '39', sensor: 'river', thresholdsM: [3.5] }], rain: [] }));
    const a = w.add('river', T0 + 1000, 3.0);
    const m = w.add('river', T0 + MIN, 3.8, 0, true);
    w.add('river', T0 + 2 * MIN, 3.9);
    w.add('other', T0 + 2 * MIN, 1);
    expect(d.call(T0 + 3 * MIN)).toEqual([]);
    expect(d.last?.held).toBe(true);
    expect(d.state.cursor).toBe(a.id);
    // Still held: no mark planned on the settle time either.
    expect(d.call(T0 + 2 * HOUR)).toEqual([]);
    expect(d.state.cursor).toBe(a.id);
    w.unmark(m.id);
    const out = d.call(T0 + 2 * HOUR + MIN);
    expect(d.last?.held).toBe(false);
    expect(d.state.cursor).toBe(w.readings.length);
    expect(out.map((r) => [r.kind, r.observedAt])).toEqual([
      ['added', T0 + MIN],
      ['timed', T0 + HOUR],
      ['timed', T0 + 2 * HOUR],
    ]);
  });

  it('a state read back from JSON is the same; garbage is refused', () => {
    const w = new World();
    const d = new Driver(w, centre());
    w.add('river', T0 + 1000, 3);
    w.add('gate', T0 + 1000, 2);
    d.call(T0 + 2000);
    expect(parsePlannerState(JSON.parse(JSON.stringify(d.state)))).toEqual(d.state);
    expect(parsePlannerState({ ...d.state, version: 2 })).toBeUndefined();
    expect(parsePlannerState({ ...d.state, lastGood: { river: { value: 'x', ts: 1 } } })).toBeUndefined();
    expect(parsePlannerState(null)).toBeUndefined();
  });
});

describe('restarts between calls', () => {
  /**
   * A day of both sensors every 30 s: the river rises through 3.5 and 4.0 and falls back, with a surge of 0.4 m at
   * 13:02 for 18 minutes (steps); the gate fails for a while.
   */
  function scriptedDay(): World {
    const w = new World();
    w.rain = (_site, at) => (at < T0 ? null : { h1: ((at / MIN) % 13) / 10, h3: ((at / MIN) % 29) / 10, h6: ((at / MIN) % 31) / 10 });
    w.series(T0, T0 + 24 * HOUR, 30_000, (sensor, t) => {
      const x = (t - T0) / HOUR;
      const surge = x >= 13 + 2 / 60 && x < 13 + 20 / 60 ? 0.4 : 0;
      if (sensor === 'river') return Math.round((3 + 1.3 * Math.sin((x / 24) * 2 * Math.PI) + 0.05 * Math.sin(t / 7e5) + surge) * 1000) / 1000;
      if (x >= 10 && x < 10.4) return undefined;
      return Math.round((2 + 0.4 * Math.sin(x)) * 1000) / 1000;
    });
    return w;
  }

  const config = centre({
    timedIntervalMin: 5,
    hourly: true,
    // Long enough for one call at the end of the day to plan the whole day.
    backfillHours: 48,
    levels: [
      { element: '39', sensor: 'river', thresholdsM: [3.5, 4.0], stepM: 0.25 },
      { element: '3A', sensor: 'gate', thresholdsM: [2.3] },
    ],
  });
  const END = T0 + 24 * HOUR + 2 * MIN;

  function reference(): PlannedReport[] {
    const d = new Driver(scriptedDay(), config);
    for (let now = T0 + 10_000; now < END; now += 20_000) d.call(now);
    d.call(END);
    return d.reports;
  }

  it('a scripted day split at random points, restarted (JSON) at each, gives the same reports', () => {
    const expected = reference();
    // 00:00 to 24:00, both ends.
    expect(expected.filter((r) => r.kind === 'timed')).toHaveLength(24 * 12 + 1);
    expect(expected.filter((r) => r.kind === 'hourly')).toHaveLength(25);
    const reasons = expected.filter((r) => r.kind === 'added').map((r) => r.reason ?? '');
    expect(reasons.filter((r) => r.includes('crossed')).length).toBeGreaterThanOrEqual(5);
    expect(reasons.filter((r) => r.includes('moved')).length).toBeGreaterThanOrEqual(2);
    // The whole day in one call (what the state carries between calls is what makes the two agree).
    const w1 = scriptedDay();
    const once = planReports({ config, state: initialPlannerState(0), now: END, readings: w1.since(0, END).readings, ports: w1.ports() });
    expect(once.reports).toEqual(expected);
    for (const seed of [1, 2, 3, 20240601]) {
      const rnd = mulberry32(seed);
      const w = scriptedDay();
      const reports: PlannedReport[] = [];
      let saved = JSON.stringify(initialPlannerState(0));
      let now = T0 + Math.floor(rnd() * 600_000);
      for (;;) {
        const state = parsePlannerState(JSON.parse(saved));
        if (state === undefined) throw new Error('state did not survive');
        const limit = rnd() < 0.5 ? Infinity : 1 + Math.floor(rnd() * 400);
        const { readings, more } = w.since(state.cursor, now, limit);
        const result = planReports({ config, state, now, readings, more, ports: w.ports() });
        reports.push(...result.reports);
        saved = JSON.stringify(result.next);
        if (now === END && !more) break;
        if (!more) now = Math.min(END, now + 1000 + Math.floor(rnd() * 15 * MIN));
      }
      expect(reports, `seed ${seed}`).toEqual(expected);
    }
  });
});
