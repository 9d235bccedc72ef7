import type { Reading } from '../../core/types.js';
import type { AlarmCause } from '../types.js';
import { floodKey, levelChange, maxLevel, rankOf, type Level, type LevelChange, type RuleEvent, type Step } from './events.js';
import { initialFaultState, isFaulted, stepFaults, type FaultInput, type FaultState } from './faults.js';
import { initialRainState, rainLevel, stepRain, type RainInput, type RainState } from './rainfall.js';
import { initialRateState, stepRate, type RateState } from './rate-of-rise.js';
import type { AlarmSiteConfig } from './schema.js';
import { initialThresholdState, stepThreshold, type ThresholdInput, type ThresholdState } from './threshold.js';

export interface SensorRuleState {
  readonly faults: FaultState;
  readonly prepare: ThresholdState;
  readonly evacuate: ThresholdState;
  readonly rate: RateState | null;
}

/** Everything the engine knows about one site: plain JSON, so the lifecycle store can persist it across restarts. */
export interface SiteState {
  readonly siteId: string;
  /** The level the site's flood alarm is at (what the last events said). */
  readonly level: Level;
  /** A latching level reached and not yet acknowledged: the site stays at least here. */
  readonly latched: Level;
  readonly sensors: Readonly<Record<string, SensorRuleState>>;
  readonly rain: RainState | null;
}

export type SiteInput =
  | { readonly kind: 'reading'; readonly reading: Reading }
  | { readonly kind: 'rain_tips'; readonly gaugeId: string; readonly ts: number; readonly tips: number }
  | { readonly kind: 'rain_counter'; readonly gaugeId: string; readonly ts: number; readonly counter: number }
  /** Time passed with no input: comm-lost timers, on/off delays and rain windows move on. */
  | { readonly kind: 'tick' }
  /** An operator acknowledged the site's flood alarm: a latched level may now fall. */
  | { readonly kind: 'ack'; readonly by?: string };

export function initialSiteState(cfg: AlarmSiteConfig, now: number): SiteState {
  const sensors: Record<string, SensorRuleState> = {};
  for (const id of cfg.sensors) {
    sensors[id] = {
      faults: initialFaultState(id, now),
      prepare: initialThresholdState(),
      evacuate: initialThresholdState(),
      rate: cfg.rateOfRise ? initialRateState() : null,
    };
  }
  return { siteId: cfg.id, level: null, latched: null, sensors, rain: cfg.rainfall ? initialRainState() : null };
}

/** What one sensor's rules say, whether or not the sensor is in fault (then the level is frozen). */
export function sensorLevel(cfg: AlarmSiteConfig, s: SensorRuleState): Level {
  const threshold: Level = s.evacuate.active ? 'evacuate' : s.prepare.active ? 'prepare' : null;
  const rate: Level = s.rate?.active && cfg.rateOfRise ? cfg.rateOfRise.raises : null;
  return maxLevel(threshold, rate);
}

/**
 * Prepare needs any sensor. Evacuate needs any sensor, or (`all`) every sensor not in fault: a dead sensor must not
 * block an evacuation. A sensor in fault keeps the level it had (frozen), so with `any` it holds an alarm it raised
 * but can neither raise nor clear one; with `all` and every sensor in fault, the frozen levels decide.
 */
export function votedLevel(cfg: AlarmSiteConfig, state: Pick<SiteState, 'sensors' | 'rain'>): Level {
  const all = Object.values(state.sensors);
  const levels = all.map((s) => sensorLevel(cfg, s));
  const prepare = levels.some((l) => l !== null);
  let evacuate = levels.some((l) => l === 'evacuate');
  if (cfg.evacuateRequires === 'all') {
    const healthy = all.filter((s) => !isFaulted(s.faults));
    if (healthy.length > 0) evacuate = healthy.every((s) => sensorLevel(cfg, s) === 'evacuate');
  }
  const vote: Level = evacuate ? 'evacuate' : prepare ? 'prepare' : null;
  return maxLevel(vote, state.rain ? rainLevel(state.rain) : null);
}

function latchedAfter(cfg: AlarmSiteConfig, latched: Level, level: Level): Level {
  let next = latched;
  for (const l of ['prepare', 'evacuate'] as const) if (cfg[l].latch && rankOf(level) >= rankOf(l)) next = maxLevel(next, l);
  return next;
}

function pickCause(from: Level, to: Level, changes: readonly LevelChange[], fallback: AlarmCause): AlarmCause {
  const rising = rankOf(to) > rankOf(from);
  const relevant = changes.filter((c) => (rising ? c.to === to : rankOf(c.to) < rankOf(c.from)));
  const anyRising = changes.filter((c) => rankOf(c.to) > rankOf(c.from));
  return (relevant[relevant.length - 1] ?? (rising ? anyRising[anyRising.length - 1] : undefined))?.cause ?? fallback;
}

export function stepSite(cfg: AlarmSiteConfig, state: SiteState, input: SiteInput, now: number): Step<SiteState, RuleEvent> {
  const sensors: Record<string, SensorRuleState> = { ...state.sensors };
  const changes: LevelChange[] = [];
  const events: RuleEvent[] = [];
  let rain = state.rain;
  let latched = state.latched;
  let fallback: AlarmCause = { rule: 'site', detail: 'sensor votes changed' };

  const runSensor = (id: string, fin: FaultInput): void => {
    const s = sensors[id];
    if (!s) return;
    const neighbours = Object.values(sensors).filter((n) => n !== s).map((n) => n.faults);
    const f = stepFaults(cfg.faults, s.faults, fin, now, neighbours);
    for (const e of f.events) {
      events.push({ ...e, siteId: cfg.id });
      fallback = { ...e.cause, detail: `${e.type} ${e.fault} (evacuate requires ${cfg.evacuateRequires})` };
    }
    let { prepare, evacuate, rate } = s;
    // A sensor in fault is frozen: neither its samples nor the passing of time move its level rules.
    const tin: ThresholdInput | null = f.usable ? { kind: 'sample', sample: f.usable } : fin.kind === 'tick' && !isFaulted(f.state) ? { kind: 'tick' } : null;
    if (tin) {
      const p = stepThreshold({ level: 'prepare', cfg: cfg.prepare }, prepare, tin, now);
      const e = stepThreshold({ level: 'evacuate', cfg: cfg.evacuate }, evacuate, tin, now);
      prepare = p.state;
      evacuate = e.state;
      changes.push(...p.events, ...e.events);
    }
    if (f.usable && rate && cfg.rateOfRise) {
      const r = stepRate(cfg.rateOfRise, rate, f.usable, now);
      rate = r.state;
      changes.push(...r.events);
    }
    sensors[id] = { faults: f.state, prepare, evacuate, rate };
  };

  const runRain = (rin: RainInput): void => {
    if (!rain || !cfg.rainfall) return;
    const r = stepRain(cfg.rainfall, rain, rin, now);
    rain = r.state;
    changes.push(...r.events);
  };

  switch (input.kind) {
    case 'reading':
      if (!sensors[input.reading.sensorId]) return { state, events: [] };
      runSensor(input.reading.sensorId, { kind: 'reading', reading: input.reading });
      break;
    case 'rain_tips':
    case 'rain_counter':
      if (cfg.rainfall?.gauge.id !== input.gaugeId) return { state, events: [] };
      runRain(input.kind === 'rain_tips' ? { kind: 'tips', ts: input.ts, tips: input.tips } : { kind: 'counter', ts: input.ts, counter: input.counter });
      break;
    case 'tick':
      for (const id of Object.keys(sensors)) runSensor(id, { kind: 'tick' });
      runRain({ kind: 'tick' });
      break;
    case 'ack':
      latched = null;
      fallback = { rule: 'ack', detail: input.by === undefined ? 'acknowledged' : `acknowledged by ${input.by}` };
      break;
  }

  const level = maxLevel(votedLevel(cfg, { sensors, rain }), latched);
  latched = latchedAfter(cfg, latched, level);
  const cause = input.kind === 'ack' ? fallback : pickCause(state.level, level, changes, fallback);
  const change = levelChange(state.level, level, now, cause);
  if (change) events.push({ ...change, key: floodKey(cfg.id), siteId: cfg.id });
  return { state: { siteId: state.siteId, level, latched, sensors, rain }, events };
}
