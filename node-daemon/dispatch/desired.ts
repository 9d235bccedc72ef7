import type { PlayoutClass } from '../../broadcast/station/playout-queue.js';
import { isShelved, LEVEL_RANK, type Alarm, type AlarmKind, type AlarmLevel, type AlarmTransition } from '../alarms/types.js';
import { DEFAULT_MANUAL_MESSAGE, type DispatchPlan, type LevelPlan } from './plan-schema.js';
import { WHOLE_TOWNSHIP, renderTemplate, type RenderContext } from './render.js';

/**
 * Pure: from the alarms that are not cleared (and recent all-clears) to what the outputs must do. No I/O, no clock
 * of its own. The dispatcher applies the difference between two results.
 */

/** Kinds whose alarms reach the public (relays, loudspeakers, LED boards). Faults and output faults never do. */
export const PUBLIC_KINDS: ReadonlySet<AlarmKind> = new Set<AlarmKind>(['flood', 'manual', 'county']);

/** Relay names that make sound by default: switched off when a `silenceOnAck` alarm is acknowledged. */
export const DEFAULT_SOUND_RELAYS: readonly string[] = ['siren', 'amplifier'];

/** An alarm as the store has it, with its history when the caller has it (for `{value}`, `{sensor}`, `{time}`). */
export type DispatchAlarm = Alarm & { readonly transitions?: readonly AlarmTransition[] };

/** A flood alarm that cleared recently: its all-clear is spoken once and shown while nothing else is. */
export interface RecentAllClear {
  readonly alarm: DispatchAlarm;
  /** UTC ms of the clear. */
  readonly clearedAt: number;
  /** The all-clear text is shown on the LED boards until then (UTC ms). */
  readonly showUntil: number;
}

export interface DesiredContext {
  readonly timeZone: string;
  /** Site id → name for `{site}`; an alarm without a known site uses its site id (or nothing). */
  readonly siteNames: Readonly<Record<string, string>>;
  /** Sensor id → name for `{sensor}`; default the sensor id. */
  readonly sensorNames?: Readonly<Record<string, string>>;
  /** Relays that make sound (the siren, amplifiers). Default `DEFAULT_SOUND_RELAYS`. */
  readonly soundRelays?: readonly string[];
  readonly allClears?: readonly RecentAllClear[];
}

export interface DesiredProgramme {
  /** Playout queue key: the alarm key, or `allclear:<alarm key>`. */
  readonly key: string;
  readonly cls: PlayoutClass;
  readonly alarmKey: string;
  readonly level: AlarmLevel | null;
  readonly drill: boolean;
  readonly sirenPattern?: string;
  /** Rendered spoken text (drills marked 【演练】). */
  readonly message: string;
  readonly repeat: number;
  readonly intervalS: number;
  /** What is said and at which level: a programme is (re)queued only when this changes. */
  readonly signature: string;
  /** Played once, and not withdrawn when it drops out of the desired set (the all-clear). */
  readonly oneShot: boolean;
}

/** One alarm that drives outputs, and how. */
export interface DrivingAlarm {
  readonly key: string;
  readonly level: AlarmLevel;
  /** Acknowledged with `silenceOnAck`: no sound, no sound relays; LED text and other relays stay. */
  readonly silenced: boolean;
}

export interface DesiredOutputs {
  /** Relay names that must be on, sorted. Names the plan uses but the box lacks are the caller's to report. */
  readonly relays: readonly string[];
  /** What every LED board shows; null = blank. */
  readonly ledText: string | null;
  /** What every loudspeaker should play, most urgent first (the plan has no zones: all speakers play the same). */
  readonly programmes: readonly DesiredProgramme[];
  readonly driving: readonly DrivingAlarm[];
}

const LEVEL_TRANSITIONS = new Set(['raised', 'escalated', 'deescalated']);
/** Between texts of several alarms on one board. */
export const LED_SEPARATOR = '　';

/** Whether an alarm drives public outputs at `now`. */
export function drivesOutputs(alarm: Alarm, now: number): alarm is Alarm & { level: AlarmLevel } {
  return PUBLIC_KINDS.has(alarm.kind) && alarm.level !== null && alarm.state !== 'cleared' && !isShelved(alarm, now);
}

/** The template context of an alarm: time, value and sensor of the transition that set its present level. */
export function renderContextOf(alarm: DispatchAlarm, ctx: DesiredContext): RenderContext {
  const levelSet = alarm.transitions?.filter((t) => LEVEL_TRANSITIONS.has(t.type)).at(-1);
  // An alarm for no one site (a manual or county alarm for the whole township) speaks for 全镇.
  const site = alarm.siteId === undefined ? WHOLE_TOWNSHIP : (ctx.siteNames[alarm.siteId] ?? alarm.siteId);
  const sensor = levelSet?.cause.sensorId ?? alarm.sensorId;
  return {
    site,
    level: alarm.level,
    ts: levelSet?.ts ?? alarm.raisedAt,
    timeZone: ctx.timeZone,
    value: levelSet?.cause.value ?? null,
    ...(sensor === undefined ? {} : { sensor: ctx.sensorNames?.[sensor] ?? sensor }),
    drill: alarm.drill,
  };
}

function urgencyOrder(a: Alarm & { level: AlarmLevel }, b: Alarm & { level: AlarmLevel }): number {
  return LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || a.raisedAt - b.raisedAt || a.id - b.id;
}

function topLevel(levels: readonly AlarmLevel[]): AlarmLevel | undefined {
  let top: AlarmLevel | undefined;
  for (const l of levels) if (top === undefined || LEVEL_RANK[l] > LEVEL_RANK[top]) top = l;
  return top;
}

/**
 * What the outputs must do for these alarms at `now`:
 * - only flood, manual and county alarms with a level, active or acknowledged and not shelved, drive outputs;
 * - the highest level wins the relays: visual relays (strobe…) follow the highest driving level, sound relays
 *   follow the highest level still sounding (an acknowledged `silenceOnAck` alarm no longer sounds);
 * - each sounding alarm has one programme (class = its level); the all-clear of a recently cleared flood alarm is
 *   one more, below every alarm (class `county`), played once;
 * - the LED boards show every driving alarm's text, most urgent first, or else the recent all-clears.
 */
export function desiredOutputs(active: readonly DispatchAlarm[], plans: DispatchPlan, now: number, ctx: DesiredContext): DesiredOutputs {
  const sound = new Set(ctx.soundRelays ?? DEFAULT_SOUND_RELAYS);
  const driving = active.filter((a): a is DispatchAlarm & { level: AlarmLevel } => drivesOutputs(a, now)).sort(urgencyOrder);
  const planOf = (level: AlarmLevel): LevelPlan => plans[level];
  const silenced = (a: Alarm & { level: AlarmLevel }): boolean => a.state === 'acknowledged' && planOf(a.level).silenceOnAck;
  const sounding = driving.filter((a) => !silenced(a));

  const relays = new Set<string>();
  const top = topLevel(driving.map((a) => a.level));
  if (top !== undefined) for (const r of planOf(top).relays) if (!sound.has(r)) relays.add(r);
  const topSounding = topLevel(sounding.map((a) => a.level));
  if (topSounding !== undefined) for (const r of planOf(topSounding).relays) if (sound.has(r)) relays.add(r);

  const programmes: DesiredProgramme[] = sounding.map((a) => {
    const plan = planOf(a.level);
    const rc = renderContextOf(a, ctx);
    const template = a.kind === 'flood' ? plan.message : (plan.manualMessage ?? DEFAULT_MANUAL_MESSAGE[a.level]);
    const message = renderTemplate(template, rc);
    return {
      key: a.key,
      cls: a.level,
      alarmKey: a.key,
      level: a.level,
      drill: a.drill,
      ...(plan.sirenPattern === undefined ? {} : { sirenPattern: plan.sirenPattern }),
      message,
      repeat: plan.repeat,
      intervalS: plan.intervalS,
      signature: JSON.stringify([a.level, plan.sirenPattern ?? null, message, plan.repeat, plan.intervalS]),
      oneShot: false,
    };
  });

  const drivingKeys = new Set(driving.map((a) => a.key));
  const clears = (ctx.allClears ?? []).filter((c) => !drivingKeys.has(c.alarm.key)).sort((a, b) => a.clearedAt - b.clearedAt);
  for (const c of clears) {
    const message = renderTemplate(plans.allClear.message, { ...renderContextOf(c.alarm, ctx), ts: c.clearedAt });
    programmes.push({
      key: `allclear:${c.alarm.key}`,
      cls: 'county',
      alarmKey: c.alarm.key,
      level: null,
      drill: c.alarm.drill,
      ...(plans.allClear.sirenPattern === undefined ? {} : { sirenPattern: plans.allClear.sirenPattern }),
      message,
      repeat: 1,
      intervalS: 0,
      signature: JSON.stringify(['allClear', c.clearedAt, plans.allClear.sirenPattern ?? null, message]),
      oneShot: true,
    });
  }

  let ledText: string | null = null;
  if (driving.length > 0) {
    ledText = driving.map((a) => renderTemplate(planOf(a.level).ledText, renderContextOf(a, ctx))).join(LED_SEPARATOR);
  } else {
    const shown = clears.filter((c) => c.showUntil > now);
    if (shown.length > 0) {
      ledText = shown.map((c) => renderTemplate(plans.allClear.ledText, { ...renderContextOf(c.alarm, ctx), ts: c.clearedAt })).join(LED_SEPARATOR);
    }
  }

  return {
    relays: [...relays].sort(),
    ledText,
    programmes,
    driving: driving.map((a) => ({ key: a.key, level: a.level, silenced: silenced(a) })),
  };
}
