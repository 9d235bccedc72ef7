import type { AlarmLevel } from '../types.js';
import { levelChange, type LevelChange, type Sample, type Step } from './events.js';
import type { RateOfRiseConfig } from './schema.js';

/**
 * Rate of rise by the Theil–Sen estimator: the median of the slopes between every pair of samples in the window.
 * Why this one: a single spike takes part in n−1 of n(n−1)/2 pairs, fewer than half once n ≥ 5, so it cannot move
 * the median; a real rise tilts most pairs and so needs several samples to agree. Unlike a first-minus-last
 * difference it uses every sample, and unlike medians of sub-windows it still works with 5-minute data in a
 * 30-minute window. At most MAX_KEPT samples are kept (thinned by time) so a fast poll stays cheap.
 */
export const RATE_RULE_ID = 'rate_of_rise';
const MAX_KEPT = 60;

export interface RateState {
  /** [ts, value] pairs in time order, within the window before the newest. */
  readonly samples: ReadonlyArray<readonly [number, number]>;
  readonly active: boolean;
}

export function initialRateState(): RateState {
  return { samples: [], active: false };
}

/** Median of pairwise slopes in metres per millisecond, or null with fewer than two distinct times. */
export function theilSenSlope(points: ReadonlyArray<readonly [number, number]>): number | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const [ti, vi] = points[i]!;
      const [tj, vj] = points[j]!;
      if (tj !== ti) slopes.push((vj - vi) / (tj - ti));
    }
  }
  if (slopes.length === 0) return null;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

/** The rise over one window implied by the robust slope, or null while the window holds too little data. */
export function riseOverWindow(cfg: RateOfRiseConfig, samples: RateState['samples']): number | null {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || samples.length < cfg.minSamples || last[0] - first[0] < cfg.windowMs / 2) return null;
  const slope = theilSenSlope(samples);
  return slope === null ? null : slope * cfg.windowMs;
}

export function stepRate(cfg: RateOfRiseConfig, state: RateState, sample: Sample, now: number): Step<RateState, LevelChange> {
  const last = state.samples[state.samples.length - 1];
  if (last && sample.ts <= last[0]) return { state, events: [] };
  // The newest kept sample is provisional: it is replaced until it lies minSpacing after the one before it.
  const beforeLast = state.samples[state.samples.length - 2];
  const minSpacing = cfg.windowMs / MAX_KEPT;
  const kept = last && beforeLast && last[0] - beforeLast[0] < minSpacing ? state.samples.slice(0, -1) : state.samples;
  const samples = [...kept.filter(([ts]) => ts >= sample.ts - cfg.windowMs), [sample.ts, sample.value] as const];
  const rise = riseOverWindow(cfg, samples);
  let active = state.active;
  if (rise !== null) active = active ? rise >= cfg.riseM - cfg.hysteresisM : rise >= cfg.riseM;
  const level: AlarmLevel = cfg.raises;
  const change =
    active === state.active
      ? null
      : levelChange(active ? null : level, active ? level : null, now, {
          rule: RATE_RULE_ID,
          sensorId: sample.sensorId,
          readingTs: sample.ts,
          value: sample.value,
          detail: `rise ${rise?.toFixed(2)} m per ${Math.round(cfg.windowMs / 60_000)} min (Theil–Sen over ${samples.length} samples)`,
        });
  return { state: { samples, active }, events: change ? [change] : [] };
}
