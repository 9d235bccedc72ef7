/**
 * How alarms are named and explained to people. Pure (no DOM): unit-tested in alarm-text.test.ts.
 */
import type { AlarmCause, AlarmLevel, TransitionType } from './api.js';
import { formatAge, formatTime, formatWhen, metres, millimetres } from './format.js';
import { t } from './i18n.js';

export interface TitledAlarm {
  readonly key: string;
  readonly title: string;
  readonly drill: boolean;
  readonly updatedAt: number;
}

const DRILL_MARK = /^\s*【演练】\s*/;

/**
 * The title to show next to the 演练 chip: a drill's leading 【演练】 (which the daemon puts there for the loudspeakers
 * and LED boards) is dropped, so the screen does not say 演练 twice. A title that is nothing but the mark stays.
 */
export function displayTitle(a: { readonly title: string; readonly drill: boolean }): string {
  if (!a.drill) return a.title;
  const stripped = a.title.replace(DRILL_MARK, '');
  return stripped === '' ? a.title : stripped;
}

/** The alarm a loudspeaker plays, by the key /outputs gives (`flood:mason`, `drill:all`): the newest with that key. */
export function alarmForKey<T extends TitledAlarm>(alarms: readonly T[], key: string): T | undefined {
  let best: T | undefined;
  for (const a of alarms) if (a.key === key && (best === undefined || a.updatedAt > best.updatedAt)) best = a;
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// Why an alarm changed, and who changed it, in the UI's language and the box's local time (never a rule id such as
// `level.evacuate`, never a UTC ISO time). The daemon's causes carry a rule id, the sensor, its reading and an
// English `detail` for the log; the numbers the operator needs are read from them here.

/** What a cause line needs from the rest of the UI: names and thresholds as the store has them. */
export interface CauseContext {
  /** A sensor's (or rain gauge's) name by id; the id itself when unknown. */
  sensorName(id: string): string;
  /** A site's current thresholds, for a cause that does not carry the one it crossed. */
  thresholds?(siteId: string | undefined): { readonly prepareM: number; readonly evacuateM: number } | undefined;
}

/** One cause in words; `raw` is the daemon's own text, shown small and muted, only when the cause is not known here. */
export interface CauseLine {
  readonly text: string;
  readonly raw?: string;
}

interface CauseTransition {
  readonly type: TransitionType;
  readonly cause: AlarmCause;
}

const ISO_UTC = /\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/g;
const NUM = '(-?\\d+(?:\\.\\d+)?)';

/** The daemon's text with every UTC ISO time written as a local time of the box. */
export function localiseTimes(text: string): string {
  return text.replace(ISO_UTC, (iso) => {
    const ms = Date.parse(iso);
    return isFinite(ms) ? formatTime(ms, 'full') : iso;
  });
}

function match(detail: string | undefined, re: RegExp): RegExpExecArray | null {
  return detail === undefined ? null : re.exec(detail);
}

/** A level threshold's cause: crossing up (raise, escalate) or back down (de-escalate, clear). */
function levelCause(level: AlarmLevel, tr: CauseTransition, siteId: string | undefined, sensor: string, ctx: CauseContext): string {
  const c = tr.cause;
  const value = metres(c.value);
  const threshold = t(level === 'evacuate' ? 'threshold_evacuate' : 'threshold_prepare');
  const rising = tr.type === 'raised' || tr.type === 'escalated';
  if (rising) {
    const own = match(c.detail, new RegExp(`at or above ${NUM} m`));
    const site = ctx.thresholds !== undefined ? ctx.thresholds(siteId) : undefined;
    const limit = own !== null ? Number(own[1]) : site !== undefined ? (level === 'evacuate' ? site.evacuateM : site.prepareM) : undefined;
    if (limit === undefined || !isFinite(limit)) return t('causeReached', { sensor, value, threshold });
    const above = c.value !== undefined && c.value !== null && c.value > limit + 1e-9;
    return t(above ? 'causeAbove' : 'causeAt', { sensor, value, threshold, limit: metres(limit) });
  }
  const edge = match(c.detail, new RegExp(`below ${NUM} m`));
  return edge !== null ? t('causeBelow', { sensor, value, edge: metres(Number(edge[1])), threshold }) : t('causeBelowPlain', { sensor, value, threshold });
}

function faultCause(fault: string, tr: CauseTransition, sensor: string, ctx: CauseContext): string {
  const c = tr.cause;
  const value = metres(c.value);
  // A fault rule's cause on a clear (or a flood alarm's change that a fault caused, when the fault ended).
  const on = tr.type !== 'cleared' && !/^fault_clear\b/.test(c.detail !== undefined ? c.detail : '');
  if (!on) return c.value !== undefined && c.value !== null ? t('causeFaultClearedValue', { sensor, value }) : t('causeFaultCleared', { sensor });
  switch (fault) {
    case 'comm_lost': {
      const m = match(c.detail, /no good reading for (\d+) s/);
      return m !== null ? t('causeCommLost', { sensor, age: formatAge(Number(m[1]) * 1000) }) : t('causeCommLostPlain', { sensor });
    }
    case 'out_of_range': {
      if (c.value === undefined || c.value === null) return t('causeOutOfRangeNoValue', { sensor });
      const span = match(c.detail, /outside (\S+)\.\.(\S+) m/);
      const end = (s: string): string => (s === '-∞' || s === '∞' ? s : isFinite(Number(s)) ? metres(Number(s)) : s);
      return span !== null ? t('causeOutOfRangeSpan', { sensor, value, min: end(span[1]!), max: end(span[2]!) }) : t('causeOutOfRange', { sensor, value });
    }
    case 'jump': {
      const m = match(c.detail, new RegExp(`jumped ${NUM} m from ${NUM} m`));
      return m !== null ? t('causeJump', { sensor, step: metres(Number(m[1])), from: metres(Number(m[2])) }) : t('causeJumpPlain', { sensor });
    }
    case 'stuck': {
      const m = match(c.detail, /unchanged since (\S+) while (\S+) moved/);
      const since = m !== null ? Date.parse(m[1]!) : NaN;
      return m !== null && isFinite(since) ? t('causeStuck', { sensor, since: formatTime(since, 'short'), other: ctx.sensorName(m[2]!) }) : t('causeStuckPlain', { sensor });
    }
    default:
      return t('causeOther');
  }
}

/**
 * A transition's cause in words, e.g. 「坝前水位 12.34 米 超过立即转移水位 12.00 米」; undefined when it has none
 * (acknowledgements, shelves). Known rules are said in full; anything else says 其他原因 and keeps the daemon's text
 * (times made local) in `raw`.
 */
export function causeLine(tr: CauseTransition, siteId: string | undefined, ctx: CauseContext): CauseLine | undefined {
  const c = tr.cause;
  const rule = c.rule;
  const sensor = c.sensorId !== undefined ? ctx.sensorName(c.sensorId) : '';
  const raw = c.detail !== undefined && c.detail !== '' ? localiseTimes(c.detail) : undefined;
  const withRaw = (text: string): CauseLine => (raw !== undefined ? { text, raw } : { text });
  if (rule === undefined) {
    if (raw === undefined) return undefined;
    // An output that failed (or works again) says so in the daemon's words only.
    return withRaw(t(tr.type === 'cleared' ? 'causeOutputOk' : 'causeOutput'));
  }
  if (rule === 'level.prepare' || rule === 'level.evacuate') return { text: levelCause(rule === 'level.evacuate' ? 'evacuate' : 'prepare', tr, siteId, sensor, ctx) };
  if (rule === 'rate_of_rise') {
    const value = metres(c.value);
    const m = match(c.detail, new RegExp(`rise ${NUM} m per (\\d+) min`));
    if (tr.type === 'raised' || tr.type === 'escalated') {
      return { text: m !== null ? t('causeRise', { sensor, value, rise: metres(Number(m[1])), minutes: m[2]! }) : t('causeRiseFast', { sensor, value }) };
    }
    return { text: t('causeRiseSlowed', { sensor, value }) };
  }
  const rain = /^rain\.h(\d+)$/.exec(rule);
  if (rain !== null) {
    const mm = millimetres(c.value);
    return { text: t(tr.type === 'raised' || tr.type === 'escalated' ? 'causeRain' : 'causeRainEased', { gauge: sensor, hours: rain[1]!, mm }) };
  }
  const fault = /^fault\.(\w+)$/.exec(rule);
  if (fault !== null) return { text: faultCause(fault[1]!, tr, sensor, ctx) };
  switch (rule) {
    case 'manual':
      return { text: t('causeManual') };
    case 'county': {
      const m = match(c.detail, /county alert (\S+) issued (\S+)/);
      const issued = m !== null ? Date.parse(m[2]!) : NaN;
      return { text: m !== null && isFinite(issued) ? t('causeCounty', { id: m[1]!, time: formatTime(issued, 'short') }) : t('causeCountyPlain') };
    }
    case 'button': {
      const m = match(c.detail, /input (\S+) pressed/);
      return { text: m !== null ? t('causeButton', { input: m[1]! }) : t('causeButtonPlain') };
    }
    case 'operator':
      return { text: t('causeOperator') };
    case 'ack':
      return { text: t('causeAck') };
    case 'site':
      return { text: t('causeSite') };
    case 'reconcile':
      return { text: t('causeReconcile') };
    default:
      return withRaw(t('causeOther'));
  }
}

interface StepTransition {
  readonly type: TransitionType;
  readonly ts: number;
  readonly level: AlarmLevel | null;
}

/** Most entries a row lists: the raise, …, then the last steps (a flapping alarm does not fill the screen). */
const MAX_STEPS = 5;

/**
 * The level steps of an alarm for its row, e.g. [「08:42 准备转移」, 「09:10 升级为立即转移」, 「11:30 解除」], times as
 * `formatWhen` writes them. Without its transitions (not loaded yet) only the raise time is known.
 */
export function levelSteps(alarm: { readonly raisedAt: number }, transitions: readonly StepTransition[] | undefined, now: number): string[] {
  if (transitions === undefined) return [t('step_raisedNoLevel', { time: formatWhen(alarm.raisedAt, now) })];
  const steps: string[] = [];
  for (const tr of transitions) {
    const time = formatWhen(tr.ts, now);
    const level = tr.level !== null ? t(tr.level === 'evacuate' ? 'level_evacuate' : 'level_prepare') : '';
    if (tr.type === 'raised') steps.push(level !== '' ? t('step_raised', { time, level }) : t('step_raisedNoLevel', { time }));
    else if (tr.type === 'escalated') steps.push(t('step_escalated', { time, level }));
    else if (tr.type === 'deescalated') steps.push(t('step_deescalated', { time, level }));
    else if (tr.type === 'cleared') steps.push(t('step_cleared', { time }));
  }
  if (steps.length === 0) return [t('step_raisedNoLevel', { time: formatWhen(alarm.raisedAt, now) })];
  return steps.length > MAX_STEPS ? [steps[0]!, '…'].concat(steps.slice(steps.length - (MAX_STEPS - 2))) : steps;
}

/** The transition that brought the alarm to where it is: the last raise or escalation. */
export function triggerOf<T extends { readonly type: TransitionType }>(transitions: readonly T[]): T | undefined {
  for (let i = transitions.length - 1; i >= 0; i--) {
    const tr = transitions[i]!;
    if (tr.type === 'raised' || tr.type === 'escalated') return tr;
  }
  return undefined;
}

/**
 * Who did it: the signed-in account, and on whose behalf when that was given: 「op1（代表 县长）」. An API token and
 * the box's alarm button are named as such; undefined for the rules' own transitions.
 */
export function actorText(who: { readonly account?: string; readonly by?: string }): string | undefined {
  const by = who.by !== undefined && who.by.trim() !== '' ? who.by.trim() : undefined;
  if (by !== undefined && by.indexOf('button:') === 0) return t('actorButton', { input: by.slice('button:'.length) });
  const account = who.account !== undefined && who.account !== '' ? (who.account.indexOf('token:') === 0 ? t('actorToken', { id: who.account.slice('token:'.length) }) : who.account) : undefined;
  if (account === undefined) return by;
  if (by === undefined || by === who.account) return account;
  return t('actorOnBehalf', { account, by });
}
