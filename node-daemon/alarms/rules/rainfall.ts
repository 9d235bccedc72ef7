import type { AlarmLevel } from '../types.js';
import { levelChange, maxLevel, rankOf, type Level, type LevelChange, type Step } from './events.js';
import type { RainfallConfig } from './schema.js';

export const RAIN_WINDOWS = { h1: 3_600_000, h3: 3 * 3_600_000, h6: 6 * 3_600_000 } as const;
export type RainWindow = keyof typeof RAIN_WINDOWS;
const WINDOW_NAMES = Object.keys(RAIN_WINDOWS) as RainWindow[];
const LONGEST_MS = RAIN_WINDOWS.h6;

/** tips: bucket tips since the previous input (pulse counter read-and-clear); counter: the cumulative register. */
export type RainInput =
  | { readonly kind: 'tips'; readonly ts: number; readonly tips: number }
  | { readonly kind: 'counter'; readonly ts: number; readonly counter: number }
  | { readonly kind: 'tick' };

export interface RainState {
  /** [ts, mm] increments of the last 6 hours. */
  readonly increments: ReadonlyArray<readonly [number, number]>;
  /** Last counter register value; null until the first one (which is only a baseline). */
  readonly lastCounter: number | null;
  readonly levels: Readonly<Record<RainWindow, Level>>;
}

export function initialRainState(): RainState {
  return { increments: [], lastCounter: null, levels: { h1: null, h3: null, h6: null } };
}

export function rainRuleId(window: RainWindow): string {
  return `rain.${window}`;
}

/**
 * Tips counted between two counter reads. A counter that went down either wrapped (the distance through the modulo
 * is plausible) or was reset by a power cycle (then it counts from 0, so its value is the tips since the reset).
 */
export function counterDelta(last: number, counter: number, modulo: number, maxTipsPerSample: number): number {
  if (counter >= last) return counter - last;
  const wrapped = modulo - last + counter;
  return wrapped <= maxTipsPerSample ? wrapped : counter;
}

/** Rain in mm over (now − window, now]. */
export function rainSum(state: RainState, window: RainWindow, now: number): number {
  const from = now - RAIN_WINDOWS[window];
  let sum = 0;
  for (const [ts, mm] of state.increments) if (ts > from && ts <= now) sum += mm;
  return Math.round(sum * 1000) / 1000;
}

function windowLevel(cfg: RainfallConfig, window: RainWindow, sum: number, current: Level): Level {
  const w = cfg[window];
  if (!w) return null;
  const limits: Array<[AlarmLevel, number | undefined]> = [['evacuate', w.evacuateMm], ['prepare', w.prepareMm]];
  for (const [level, mm] of limits) {
    if (mm === undefined) continue;
    // Hysteresis: a window already at (or above) this level keeps it until the total falls hysteresisMm below.
    const limit = rankOf(current) >= rankOf(level) ? mm - cfg.hysteresisMm : mm;
    if (sum >= limit) return level;
  }
  return null;
}

/** The highest level over all rain windows. */
export function rainLevel(state: RainState): Level {
  return WINDOW_NAMES.reduce<Level>((acc, w) => maxLevel(acc, state.levels[w]), null);
}

export function stepRain(cfg: RainfallConfig, state: RainState, input: RainInput, now: number): Step<RainState, LevelChange> {
  let { increments, lastCounter } = state;
  let readingTs = now;
  if (input.kind === 'tips' && input.tips > 0) {
    increments = [...increments, [input.ts, input.tips * cfg.gauge.mmPerTip]];
    readingTs = input.ts;
  } else if (input.kind === 'counter') {
    const tips = lastCounter === null ? 0 : counterDelta(lastCounter, input.counter, cfg.gauge.counterModulo, cfg.gauge.maxTipsPerSample);
    if (tips > 0) increments = [...increments, [input.ts, tips * cfg.gauge.mmPerTip]];
    lastCounter = input.counter;
    readingTs = input.ts;
  }
  increments = increments.filter(([ts]) => ts > now - LONGEST_MS);
  const next: RainState = { increments, lastCounter, levels: state.levels };
  const levels = { ...state.levels };
  const events: LevelChange[] = [];
  for (const w of WINDOW_NAMES) {
    const sum = rainSum(next, w, now);
    levels[w] = windowLevel(cfg, w, sum, state.levels[w]);
    const change = levelChange(state.levels[w], levels[w], now, {
      rule: rainRuleId(w),
      sensorId: cfg.gauge.id,
      readingTs,
      value: sum,
      detail: `${sum} mm in ${RAIN_WINDOWS[w] / 3_600_000} h`,
    });
    if (change) events.push(change);
  }
  return { state: { ...next, levels }, events };
}
