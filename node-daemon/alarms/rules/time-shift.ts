import type { AlarmCause } from '../types.js';
import type { FaultState } from './faults.js';
import type { RainState } from './rainfall.js';
import type { RateState } from './rate-of-rise.js';
import type { SensorRuleState, SiteState } from './site.js';
import type { ThresholdState } from './threshold.js';

/**
 * Moves every time a site's rule state holds by `deltaMs`, so that every duration it measures (debounce, on/off
 * delays, rate-of-rise and rain windows, comm-lost and stuck timers) stays what it was. For when the engine's time
 * base is rebased (trusted time arrived: core/time-base.ts) or a stored state lies in the future of the clock it is
 * restored on (a box that boots with its clock in the past). Nothing but times changes: no level, no latch, no fault.
 */
export function shiftSiteState(state: SiteState, deltaMs: number): SiteState {
  if (deltaMs === 0) return state;
  const sensors: Record<string, SensorRuleState> = {};
  for (const [id, s] of Object.entries(state.sensors)) {
    sensors[id] = { faults: shiftFaults(s.faults, deltaMs), prepare: shiftThreshold(s.prepare, deltaMs), evacuate: shiftThreshold(s.evacuate, deltaMs), rate: s.rate === null ? null : shiftRate(s.rate, deltaMs) };
  }
  return { ...state, sensors, rain: state.rain === null ? null : shiftRain(state.rain, deltaMs) };
}

/** The newest time a site state holds (null when it holds none): a stored state newer than the clock lies in its future. */
export function newestTime(state: SiteState): number | null {
  let max: number | null = null;
  const see = (t: number | null | undefined): void => {
    if (typeof t === 'number' && Number.isFinite(t) && (max === null || t > max)) max = t;
  };
  for (const s of Object.values(state.sensors)) {
    see(s.faults.lastGoodTs);
    see(s.faults.run?.since);
    see(s.faults.prev?.ts);
    for (const th of [s.prepare, s.evacuate]) {
      see(th.streakFirstTs);
      see(th.pendingSince);
    }
    for (const [ts] of s.rate?.samples ?? []) see(ts);
  }
  for (const [ts] of state.rain?.increments ?? []) see(ts);
  return max;
}

function shiftCause(c: AlarmCause, d: number): AlarmCause {
  return typeof c.readingTs === 'number' ? { ...c, readingTs: c.readingTs + d } : c;
}

function shiftFaults(f: FaultState, d: number): FaultState {
  return {
    ...f,
    lastGoodTs: f.lastGoodTs + d,
    run: f.run === null ? null : { value: f.run.value, since: f.run.since + d },
    prev: f.prev === null ? null : { value: f.prev.value, ts: f.prev.ts + d },
  };
}

function shiftThreshold(t: ThresholdState, d: number): ThresholdState {
  return {
    ...t,
    streakFirstTs: t.streakFirstTs === null ? null : t.streakFirstTs + d,
    pendingSince: t.pendingSince === null ? null : t.pendingSince + d,
    pendingCause: t.pendingCause === null ? null : shiftCause(t.pendingCause, d),
  };
}

function shiftRate(r: RateState, d: number): RateState {
  return { ...r, samples: r.samples.map(([ts, v]) => [ts + d, v] as const) };
}

function shiftRain(r: RainState, d: number): RainState {
  return { ...r, increments: r.increments.map(([ts, mm]) => [ts + d, mm] as const) };
}
