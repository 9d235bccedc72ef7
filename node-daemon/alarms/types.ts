/**
 * The alarm contract shared by the rule engine, the lifecycle store, dispatch and the API.
 * Two public flood levels (山洪灾害 practice): 准备转移 prepare → 立即转移 evacuate; all clear is 解除.
 */
export const ALARM_LEVELS = ['prepare', 'evacuate'] as const;
export type AlarmLevel = (typeof ALARM_LEVELS)[number];

/** Higher numbers are more urgent; used to order and to tell escalation from de-escalation. */
export const LEVEL_RANK: Readonly<Record<AlarmLevel, number>> = { prepare: 1, evacuate: 2 };

/**
 * flood: raised by the rules from readings; fault: a sensor fault (comm lost, stuck, jump, out of range);
 * manual: raised by an operator (or a drill); county: injected from the county hub; output_fault: an output
 * (relay, speaker, LED board) that failed to confirm.
 */
export const ALARM_KINDS = ['flood', 'fault', 'manual', 'county', 'output_fault'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export const ALARM_STATES = ['active', 'acknowledged', 'cleared'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/** Why a transition happened: which rule, which reading, or which operator. */
export interface AlarmCause {
  readonly rule?: string;
  readonly sensorId?: string;
  /** UTC ms of the reading that crossed. */
  readonly readingTs?: number;
  readonly value?: number | null;
  readonly detail?: string;
}

export interface Alarm {
  readonly id: number;
  /**
   * What makes two raises the same alarm, e.g. `flood:site-a`, `fault:comm_lost:s1`, `output_fault:led-1`.
   * At most one alarm per key is not cleared at any time.
   */
  readonly key: string;
  readonly kind: AlarmKind;
  readonly siteId?: string;
  readonly sensorId?: string;
  /** Flood, manual and county alarms have a level; faults do not. */
  readonly level: AlarmLevel | null;
  /** 演练: a drill is marked as such in every output and record. */
  readonly drill: boolean;
  readonly state: AlarmState;
  /** Short human text (zh-CN), e.g. 「清水河站 立即转移」. */
  readonly title: string;
  readonly raisedAt: number;
  readonly updatedAt: number;
  readonly acknowledgedAt?: number;
  /** On behalf of whom it was acknowledged: free text the operator gave (`by`), absent when none was given. */
  readonly acknowledgedBy?: string;
  /**
   * The account that acknowledged it: the signed-in user's name, or `token:<id>` for an API token. Absent on alarms
   * acknowledged before accounts were recorded.
   */
  readonly acknowledgedByAccount?: string;
  readonly ackNote?: string;
  readonly clearedAt?: number;
  /** A shelved (silenced) fault alarm stays on record but drives no output until this UTC ms. */
  readonly shelvedUntil?: number;
}

/** True while a shelve holds at `now`: the alarm stays on record but should drive no output. */
export function isShelved(alarm: Pick<Alarm, 'shelvedUntil' | 'state'>, now: number): boolean {
  return alarm.state !== 'cleared' && alarm.shelvedUntil !== undefined && alarm.shelvedUntil > now;
}

export const TRANSITION_TYPES = ['raised', 'escalated', 'deescalated', 'acknowledged', 'cleared', 'shelved', 'unshelved'] as const;
export type TransitionType = (typeof TRANSITION_TYPES)[number];

export interface AlarmTransition {
  readonly id: number;
  readonly alarmId: number;
  readonly ts: number;
  readonly type: TransitionType;
  /** The level after the transition (null for faults). */
  readonly level: AlarmLevel | null;
  /**
   * On behalf of whom: free text the operator gave (e.g. 县长), stored as given; absent when none was given. (A press
   * of the box's alarm button is `button:<input>`.)
   */
  readonly by?: string;
  /**
   * The account that made this transition: the signed-in user's name, or `token:<id>` for an API token, from the
   * request's authentication (never from its body). Absent for transitions the rules make and for those recorded
   * before accounts were.
   */
  readonly account?: string;
  readonly note?: string;
  readonly cause: AlarmCause;
}

export interface AlarmWithHistory extends Alarm {
  readonly transitions: readonly AlarmTransition[];
}
