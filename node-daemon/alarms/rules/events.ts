import { LEVEL_RANK, type AlarmCause, type AlarmLevel } from '../types.js';

/** A site's or a rule's flood level: none (null), prepare (准备转移) or evacuate (立即转移). */
export type Level = AlarmLevel | null;

export function rankOf(level: Level): number {
  return level === null ? 0 : LEVEL_RANK[level];
}

export function maxLevel(a: Level, b: Level): Level {
  return rankOf(a) >= rankOf(b) ? a : b;
}

/** One usable water-level sample (metres on the local gauge datum) from one sensor. */
export interface Sample {
  readonly sensorId: string;
  readonly ts: number;
  readonly value: number;
}

export const LEVEL_CHANGE_TYPES = ['raise', 'escalate', 'deescalate', 'clear'] as const;
export type LevelChangeType = (typeof LEVEL_CHANGE_TYPES)[number];

/** A rule's (or a site's) level moved. `ts` is the evaluation time (`now`); the cause names the reading. */
export interface LevelChange {
  readonly type: LevelChangeType;
  readonly from: Level;
  readonly to: Level;
  readonly ts: number;
  readonly cause: AlarmCause;
}

export function levelChange(from: Level, to: Level, ts: number, cause: AlarmCause): LevelChange | null {
  if (from === to) return null;
  const type: LevelChangeType = from === null ? 'raise' : to === null ? 'clear' : rankOf(to) > rankOf(from) ? 'escalate' : 'deescalate';
  return { type, from, to, ts, cause };
}

export const FAULT_KINDS = ['comm_lost', 'stuck', 'jump', 'out_of_range'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Key of a fault alarm in the lifecycle store, e.g. `fault:comm_lost:s1`. */
export function faultKey(kind: FaultKind, sensorId: string): string {
  return `fault:${kind}:${sensorId}`;
}

/** Key of a site's flood alarm in the lifecycle store. */
export function floodKey(siteId: string): string {
  return `flood:${siteId}`;
}

export interface FaultEvent {
  readonly type: 'fault_raise' | 'fault_clear';
  readonly key: string;
  readonly fault: FaultKind;
  readonly sensorId: string;
  readonly ts: number;
  readonly cause: AlarmCause;
}

export interface FloodEvent extends LevelChange {
  readonly key: string;
  readonly siteId: string;
}

/** What the site engine emits: the site's flood alarm moved, or a sensor fault rose or cleared. */
export type RuleEvent = FloodEvent | (FaultEvent & { readonly siteId: string });

/** Every evaluator returns its next state (plain JSON) and the transitions it made. */
export interface Step<S, E> {
  readonly state: S;
  readonly events: E[];
}
