import type { AlarmCause, AlarmLevel } from '../types.js';
import { levelChange, type LevelChange, type Sample, type Step } from './events.js';
import type { LevelThresholdConfig } from './schema.js';

/**
 * One level threshold on one sensor. `streak` counts consecutive samples on the far side of the current state
 * (at/above levelM while inactive, below levelM − hysteresisM while active); once debounced, the change waits
 * `onDelayMs`/`offDelayMs` of clock time (`now`), and any sample back on the near side cancels it.
 */
export interface ThresholdState {
  readonly active: boolean;
  readonly streakCount: number;
  readonly streakFirstTs: number | null;
  /** Clock time the debounced change was first due; null while none is pending. */
  readonly pendingSince: number | null;
  readonly pendingCause: AlarmCause | null;
}

export type ThresholdInput = { readonly kind: 'sample'; readonly sample: Sample } | { readonly kind: 'tick' };

export function initialThresholdState(): ThresholdState {
  return { active: false, streakCount: 0, streakFirstTs: null, pendingSince: null, pendingCause: null };
}

/** Which level a threshold's events carry and the rule id named in their cause, e.g. `level.evacuate`. */
export interface ThresholdRule {
  readonly level: AlarmLevel;
  readonly cfg: LevelThresholdConfig;
}

export function thresholdRuleId(level: AlarmLevel): string {
  return `level.${level}`;
}

function crossing(cfg: LevelThresholdConfig, active: boolean, value: number): boolean {
  return active ? value < cfg.levelM - cfg.hysteresisM : value >= cfg.levelM;
}

function afterSample(rule: ThresholdRule, s: ThresholdState, sample: Sample, now: number): ThresholdState {
  const { cfg } = rule;
  if (!crossing(cfg, s.active, sample.value)) return { ...s, streakCount: 0, streakFirstTs: null, pendingSince: null, pendingCause: null };
  const streakCount = s.streakCount + 1;
  const streakFirstTs = s.streakFirstTs ?? sample.ts;
  const debounced = streakCount >= cfg.debounce.samples && sample.ts - streakFirstTs >= cfg.debounce.durationMs;
  if (!debounced || s.pendingSince !== null) return { ...s, streakCount, streakFirstTs };
  const edge = s.active ? `below ${(cfg.levelM - cfg.hysteresisM).toFixed(2)} m` : `at or above ${cfg.levelM.toFixed(2)} m`;
  const pendingCause: AlarmCause = {
    rule: thresholdRuleId(rule.level),
    sensorId: sample.sensorId,
    readingTs: sample.ts,
    value: sample.value,
    detail: `${streakCount} samples ${edge} since ${new Date(streakFirstTs).toISOString()}`,
  };
  return { ...s, streakCount, streakFirstTs, pendingSince: now, pendingCause };
}

export function stepThreshold(rule: ThresholdRule, state: ThresholdState, input: ThresholdInput, now: number): Step<ThresholdState, LevelChange> {
  const s = input.kind === 'sample' ? afterSample(rule, state, input.sample, now) : state;
  const delay = s.active ? rule.cfg.offDelayMs : rule.cfg.onDelayMs;
  if (s.pendingSince === null || s.pendingCause === null || now - s.pendingSince < delay) return { state: s, events: [] };
  const active = !s.active;
  const change = levelChange(active ? null : rule.level, active ? rule.level : null, now, s.pendingCause);
  return { state: { ...initialThresholdState(), active }, events: change ? [change] : [] };
}
