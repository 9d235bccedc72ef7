// Three real floods (USGS records in ../shared/data/flood) replayed over Modbus TCP through the real daemon: the
// flood alarm must follow the water exactly (raise prepare → escalate evacuate → de-escalate → clear, no flapping),
// each transition caused by the readings that crossed and made within a poll interval (plus the debounce samples)
// of the moment the simulator first served a value past the threshold. The Blanco gauge goes silent at the crest:
// the flood alarm must stay at evacuate while a comm-lost fault is raised.
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlarmWithHistory } from '../../node-daemon/alarms/types.js';
import { crossingOf, timingOf, type TransitionTiming } from './flood-checks.js';
import { floodDataDir, runFlood, type FloodCase, type FloodRun } from './flood-rig.js';

const FT = 0.3048;
const POLL_MS = 250;
const DEBOUNCE = 2;
/**
 * Time from a reading arriving to its transition being committed, and scheduling jitter between the processes'
 * timers; generous for a loaded 2-core CI machine (the poll interval is 250 ms).
 */
const SLACK_MS = 250;
/** The engine's default tick (time-driven rules such as comm-lost run on it). */
const TICK_MS = 1_000;
const COMM_LOST_MS = 2_000;

// Thresholds in metres on the gauge datum (the simulator converts the records' feet to metres; no datum offset).
// Each pair is chosen from the record so that the sampled replay crosses each edge cleanly: e.g. the Llano's dip
// between its two crests (8.42 m) stays above evacuate − hysteresis (7.7 m), so evacuate must hold through it.
const LLANO: FloodCase = {
  name: 'Llano Rv nr Mason 2018',
  file: 'usgs_llano_river_2018.csv',
  station: '08150700',
  sensorId: 'mason',
  siteId: 'llano',
  // Calm at 1.6 m, crest 10.43 m at 05:35, a second crest 9.99 m at 12:30, down to ~3.8 m by 04:00 next day.
  from: '2018-10-15T23:00:00-05:00',
  to: '2018-10-17T04:00:00-05:00',
  speedUp: 6_000, // 29 h in ~17 s; a 250 ms poll spans 25 min of river
  pollMs: POLL_MS,
  debounceSamples: DEBOUNCE,
  prepare: { levelM: 4.5, hysteresisM: 0.3 },
  evacuate: { levelM: 8.0, hysteresisM: 0.3 },
};

const LICKING: FloodCase = {
  name: 'S Fk Licking River at Hayes 2015',
  file: '03253000-uv.txt',
  sensorId: 'hayes',
  siteId: 'licking',
  // 1.5 m before the storm, 6.0 m plateau (never under 5.2 m) for three days, falling to 3.2 m by 04-06 20:00.
  from: '2015-04-02T23:00:00-04:00',
  to: '2015-04-06T20:00:00-04:00',
  speedUp: 18_000, // 93 h in ~19 s; a poll spans 75 min
  pollMs: POLL_MS,
  debounceSamples: DEBOUNCE,
  prepare: { levelM: 4.0, hysteresisM: 0.2 },
  evacuate: { levelM: 5.0, hysteresisM: 0.2 },
};

const BLANCO: FloodCase = {
  name: 'Blanco Rv at Wimberley 2015',
  file: 'usgs_memorial_day_2015.csv',
  station: '08171000',
  sensorId: 'wimberley',
  siteId: 'blanco',
  // 1.5 m at 21:00, 12.26 m at 01:00 (the last value before the 41-hour hole: the gauge goes silent).
  from: '2015-05-23T21:00:00-05:00',
  to: '2015-05-24T01:00:00-05:00',
  speedUp: 1_200, // 4 h in 12 s; a poll spans 5 min
  pollMs: POLL_MS,
  debounceSamples: DEBOUNCE,
  prepare: { levelM: 4.0, hysteresisM: 0.2 },
  evacuate: { levelM: 8.0, hysteresisM: 0.3 },
  faults: { commLostMs: COMM_LOST_MS },
  until: (alarms) => alarms.some((a) => a.key === 'fault:comm_lost:wimberley'),
  extraWaitMs: COMM_LOST_MS + TICK_MS + 5_000,
};

const CASES = [LLANO, LICKING, BLANCO];
const dataDir = floodDataDir();
if (!dataDir) console.warn('flood-replay: ../shared/data/flood (next to the package root) is absent; the flood replay tests are skipped');

const runs = new Map<string, FloodRun>();
const failures = new Map<string, unknown>();

function runOf(c: FloodCase): FloodRun {
  const run = runs.get(c.name);
  if (run === undefined) throw failures.get(c.name) ?? new Error(`${c.name} did not run`);
  return run;
}

function floodAlarm(run: FloodRun): AlarmWithHistory {
  const alarm = run.alarms.find((a) => a.key === `flood:${run.flood.siteId}`);
  if (!alarm) throw new Error(`${run.flood.name}: no flood alarm; alarms: ${JSON.stringify(run.alarms.map((a) => a.key))}`);
  return alarm;
}

function levelTransitions(alarm: AlarmWithHistory): AlarmWithHistory['transitions'] {
  return alarm.transitions.filter((t) => ['raised', 'escalated', 'deescalated', 'cleared'].includes(t.type));
}

/** What the simulator served (non-silent answers) is what the daemon stored, value for value, in metres. */
function expectStoredAsServed(run: FloodRun): void {
  const served = run.serves.filter((s) => s.value !== undefined).map((s) => s.value!);
  const good = run.readings.filter((r) => r.quality === 'good').map((r) => r.value);
  expect(good.length).toBeGreaterThan(20);
  expect(served.length).toBeGreaterThanOrEqual(good.length);
  // One client, one request at a time: the n-th answer is the n-th good reading.
  good.forEach((v, i) => expect(v, `reading ${i}`).toBeCloseTo(served[i]!, 9));
}

/** Checks every level transition of the flood alarm against the readings and the served values; returns the timings. */
function expectTransitionsCaused(run: FloodRun, alarm: AlarmWithHistory): TransitionTiming[] {
  const { flood } = run;
  const timings: TransitionTiming[] = [];
  // Each threshold runs on its own (the site's level is the highest active one): a crossing of evacuate is looked
  // for after evacuate's own previous transition, not after prepare's, and the other way round.
  const since = { prepare: 0, evacuate: 0 };
  for (const t of levelTransitions(alarm)) {
    const { threshold } = crossingOf(t.type);
    const timing = timingOf(flood, t, since[threshold], run.readings, run.serves);
    const last = timing.streak[timing.streak.length - 1]!;
    const first = timing.streak[0]!;
    const what = `${flood.name} ${t.type}`;
    // The cause names the rule, the sensor and the reading that completed the debounce; its detail dates the
    // first reading past the threshold (the streak's start).
    expect(t.cause.rule, what).toBe(`level.${threshold}`);
    expect(t.cause.sensorId, what).toBe(flood.sensorId);
    expect(t.cause.readingTs, what).toBe(last.ts);
    expect(t.cause.value, what).toBe(last.value);
    expect(t.cause.detail, what).toContain(`${flood.debounceSamples} samples`);
    expect(t.cause.detail, what).toContain(new Date(first.ts).toISOString());
    // The first reading past the threshold is the poll that got the first value past it from the simulator.
    expect(first.value, what).toBe(timing.firstServedValue);
    expect(first.ts - timing.firstServedAt, what).toBeGreaterThanOrEqual(0);
    expect(first.ts - timing.firstServedAt, what).toBeLessThan(SLACK_MS);
    // Raised once the debounce samples are in: within one poll interval plus the further debounce samples.
    expect(t.ts, what).toBeGreaterThanOrEqual(last.ts);
    expect(timing.latencyMs, what).toBeGreaterThanOrEqual((flood.debounceSamples - 1) * flood.pollMs - SLACK_MS);
    expect(timing.latencyMs, what).toBeLessThanOrEqual(flood.debounceSamples * flood.pollMs + SLACK_MS);
    timings.push(timing);
    since[threshold] = t.ts;
  }
  return timings;
}

function report(run: FloodRun, timings: readonly TransitionTiming[]): void {
  const rows = timings.map((t) => `${t.type} at ${t.firstServedValue.toFixed(3)} m: +${Math.round(t.latencyMs)} ms`);
  console.log(`${run.flood.name}: ${run.readings.length} readings; ${rows.join('; ')}`);
}

describe.skipIf(!dataDir)('flood replay through the daemon: alarms follow the water', () => {
  beforeAll(async () => {
    // Concurrently: each flood has its own simulator, daemon, database and HTTP port.
    const settled = await Promise.allSettled(CASES.map((c) => runFlood(dataDir!, c)));
    settled.forEach((s, i) => {
      const c = CASES[i]!;
      if (s.status === 'fulfilled') runs.set(c.name, s.value);
      else failures.set(c.name, s.reason);
    });
  }, 55_000);

  for (const c of [LLANO, LICKING]) {
    it(`${c.name}: prepare → evacuate → prepare → clear, each on the readings that crossed`, () => {
      const run = runOf(c);
      expect(run.readings.every((r) => r.quality === 'good'), 'every reading good').toBe(true);
      expectStoredAsServed(run);
      // Only the flood alarm: no fault, no second flood alarm (a clear then a raise would open a new one).
      expect(run.alarms.map((a) => a.key)).toEqual([`flood:${c.siteId}`]);
      const alarm = floodAlarm(run);
      expect(alarm.kind).toBe('flood');
      expect(alarm.sensorId).toBe(c.sensorId);
      expect(alarm.state).toBe('cleared');
      // The exact sequence: no prepare ↔ evacuate bounce through the Llano's double crest or the Licking's plateau.
      expect(levelTransitions(alarm).map((t) => [t.type, t.level])).toEqual([
        ['raised', 'prepare'],
        ['escalated', 'evacuate'],
        ['deescalated', 'prepare'],
        ['cleared', 'prepare'],
      ]);
      expect(alarm.transitions.map((t) => t.type)).toEqual(['raised', 'escalated', 'deescalated', 'cleared']);
      report(run, expectTransitionsCaused(run, alarm));
    });
  }

  it('Llano: the stored crest is the record\'s 34.21 ft in metres (units and datum as served)', () => {
    const run = runOf(LLANO);
    const crest = Math.max(...run.readings.map((r) => r.value ?? -Infinity));
    // Sampled every 25 min of river, the replay catches the crest to within its rate of change.
    expect(crest).toBeLessThanOrEqual(34.21 * FT + 1e-9);
    expect(crest).toBeGreaterThan(34.21 * FT - 0.3);
  });

  it('Blanco: the rise raises prepare then evacuate; the silent gauge raises comm-lost while evacuate stays', () => {
    const run = runOf(BLANCO);
    expectStoredAsServed(run);
    expect(run.alarms.map((a) => a.key).sort()).toEqual(['fault:comm_lost:wimberley', 'flood:blanco']);

    const flood = floodAlarm(run);
    expect(flood.state).toBe('active');
    expect(flood.level).toBe('evacuate');
    expect(flood.transitions.map((t) => [t.type, t.level])).toEqual([
      ['raised', 'prepare'],
      ['escalated', 'evacuate'],
    ]);
    report(run, expectTransitionsCaused(run, flood));

    // The simulator served the rise up to the last recorded value (40.21 ft at 01:00; its last answer falls in the
    // last poll before it, after the 00:45 point at 39.22 ft), then never answered again.
    const lastServed = run.serves.findLastIndex((s) => s.value !== undefined);
    const lastValue = run.serves[lastServed]!.value!;
    expect(lastValue).toBeGreaterThan(39.22 * FT);
    expect(lastValue).toBeLessThanOrEqual(40.21 * FT + 0.0005);
    const silent = run.serves.slice(lastServed + 1);
    // Asked again until the bus's circuit breaker (failureThreshold 3) stops asking the silent slave for a while.
    expect(silent.length).toBeGreaterThanOrEqual(3);
    expect(silent.every((s) => s.value === undefined)).toBe(true);
    expect(run.serves[lastServed + 1]!.wall).toBeGreaterThanOrEqual(run.wallOf(Date.parse(BLANCO.to)) - SLACK_MS);

    // The daemon's last good reading is that value; after it only comm_fail.
    const lastGoodIdx = run.readings.findLastIndex((r) => r.quality === 'good');
    const lastGood = run.readings[lastGoodIdx]!;
    expect(lastGood.value).toBe(lastValue);
    const after = run.readings.slice(lastGoodIdx + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.quality === 'comm_fail' && r.value === null)).toBe(true);

    const fault = run.alarms.find((a) => a.key === 'fault:comm_lost:wimberley')!;
    expect(fault.kind).toBe('fault');
    expect(fault.level).toBeNull();
    expect(fault.sensorId).toBe('wimberley');
    expect(fault.state).toBe('active');
    expect(fault.transitions.map((t) => t.type)).toEqual(['raised']);
    const raised = fault.transitions[0]!;
    expect(raised.cause.rule).toBe('fault.comm_lost');
    expect(raised.cause.readingTs).toBe(lastGood.ts);
    // Raised once no good reading came for commLostMs: on the first tick or failed poll after that.
    const silentFor = raised.ts - lastGood.ts;
    expect(silentFor).toBeGreaterThan(COMM_LOST_MS);
    expect(silentFor).toBeLessThanOrEqual(COMM_LOST_MS + TICK_MS + SLACK_MS);
    // Silence neither clears nor lowers the flood alarm: nothing happened to it after the escalation.
    expect(flood.updatedAt).toBeLessThan(raised.ts);
    console.log(`Blanco: comm-lost raised ${silentFor} ms after the last good reading (commLostMs ${COMM_LOST_MS}, tick ${TICK_MS})`);
  });
});
