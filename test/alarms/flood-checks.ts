// Checks of one flood alarm transition against what the simulator served and what the daemon stored.
import type { AlarmTransition, TransitionType } from '../../node-daemon/alarms/types.js';
import type { RawReading } from '../daemon/daemon-harness.js';
import type { FloodCase, LevelRule, Serve } from './flood-rig.js';

/** A flood transition and the threshold crossing that must have caused it. */
export interface Crossing {
  readonly threshold: 'prepare' | 'evacuate';
  readonly direction: 'up' | 'down';
}

export function crossingOf(type: TransitionType): Crossing {
  switch (type) {
    case 'raised':
      return { threshold: 'prepare', direction: 'up' };
    case 'escalated':
      return { threshold: 'evacuate', direction: 'up' };
    case 'deescalated':
      return { threshold: 'evacuate', direction: 'down' };
    case 'cleared':
      return { threshold: 'prepare', direction: 'down' };
    default:
      throw new Error(`${type} is not a flood level transition`);
  }
}

/** Past the threshold in that direction: at or above levelM going up, below levelM − hysteresisM going down. */
export function pastThreshold(rule: LevelRule, direction: 'up' | 'down', value: number): boolean {
  return direction === 'up' ? value >= rule.levelM : value < rule.levelM - rule.hysteresisM;
}

export interface TransitionTiming {
  readonly type: TransitionType;
  /** Wall time the simulator first served a value past the threshold. */
  readonly firstServedAt: number;
  readonly firstServedValue: number;
  /** Transition time minus firstServedAt. */
  readonly latencyMs: number;
  /** The stored readings of the debounce streak (first one past the threshold first). */
  readonly streak: readonly RawReading[];
}

/**
 * For transition `t` (after `afterTs`, the previous transition of the same threshold): the first stored good reading past its
 * threshold after that, the `debounceSamples` readings of the streak, and the first value the
 * simulator served past the threshold. Throws with a readable message when the data do not match the rule.
 */
export function timingOf(flood: FloodCase, t: AlarmTransition, afterTs: number, readings: readonly RawReading[], serves: readonly Serve[]): TransitionTiming {
  const { threshold, direction } = crossingOf(t.type);
  const rule = flood[threshold];
  const past = (v: number): boolean => pastThreshold(rule, direction, v);
  const good = readings.filter((r) => r.ts > afterTs && r.quality === 'good' && r.value !== null);
  const i = good.findIndex((r) => past(r.value!));
  if (i < 0) throw new Error(`${t.type}: no stored reading past ${threshold} (${direction}) after ${new Date(afterTs).toISOString()}`);
  const streak = good.slice(i, i + flood.debounceSamples);
  // "First": the good reading just before it (whenever it was) was not past the threshold.
  const all = readings.filter((r) => r.quality === 'good' && r.value !== null);
  const before = all[all.indexOf(good[i]!) - 1];
  if (before !== undefined && past(before.value!)) {
    throw new Error(`${t.type}: the reading before the streak (${JSON.stringify(before)}) was already past ${threshold}: the streak began before the previous transition`);
  }
  if (streak.length < flood.debounceSamples || !streak.every((r) => past(r.value!))) {
    throw new Error(`${t.type}: the readings after the first one past ${threshold} do not stay past it: ${JSON.stringify(streak)}`);
  }
  const firstServe = serves.find((s) => s.wall > afterTs && s.value !== undefined && past(s.value));
  if (!firstServe) throw new Error(`${t.type}: the simulator never served a value past ${threshold} (${direction})`);
  return {
    type: t.type,
    firstServedAt: firstServe.wall,
    firstServedValue: firstServe.value!,
    latencyMs: t.ts - firstServe.wall,
    streak,
  };
}
