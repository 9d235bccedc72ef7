import { numberElement } from './codec/elements.js';
import type { ElementValue, ObservationGroup, PeriodQueryMessage } from './codec/model.js';
import type { Sl651CentreConfig } from './config-schema.js';
import type { StationAnswers } from './centre-link.js';
import { LEVEL_DEFINITION, levelValue, RAIN_DEFINITION, rainValue, type PlannerPorts } from './report-plan.js';

/** What the answers read: stored readings and the rain gauge's totals (as the planner does), and the clock trust. */
export interface AnswerPorts extends PlannerPorts {
  /** Whether the box's clock is trusted now (health/clock-trust.ts). */
  clockTrusted(): boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 实时数据: a level older than this is sent as missing. */
const REALTIME_MAX_AGE_MS = 10 * MINUTE;
/** 时段数据: at most this many values in one answer (a month of hourly values; the answer goes in packets). */
export const MAX_PERIOD_VALUES = 2_000;
const RAIN_WINDOW = { '1A': 'h1', '1C': 'h3', '1D': 'h6' } as const;

const floorMinute = (t: number): number => Math.floor(t / MINUTE) * MINUTE;

/**
 * The station's answers to the centre's queries from what the box stored: 37 the current values, 38 one element's
 * values over a period, and the clock policy for 4A. The box never sets its own clock from a centre: its clock comes
 * from NTP or the county hub (health/clock-trust.ts); a centre's time that agrees within `clockSetMaxSkewS` is
 * acknowledged (nothing to change), one that does not is refused and logged.
 */
export function stationAnswers(config: Sl651CentreConfig, ports: AnswerPorts): StationAnswers {
  const elementsAt = (at: number, maxAgeMs: number): ElementValue[] => [
    ...config.levels.map((l) => numberElement(parseInt(l.element, 16), levelValue(ports.levelAt(l.sensor, at, maxAgeMs)), LEVEL_DEFINITION)),
    ...config.rain.map((r) => numberElement(parseInt(r.element, 16), rainValue(ports.rainAt(r.site, at)?.[RAIN_WINDOW[r.element]] ?? null), RAIN_DEFINITION)),
  ];
  return {
    realtime: (now) => [{ observedAt: floorMinute(now), elements: elementsAt(now, REALTIME_MAX_AGE_MS) }],
    period: (q, now) => periodAnswer(config, ports, q, now),
    setClock: (requested, now) => {
      const skewS = Math.round(Math.abs(requested - now) / 1000);
      if (!ports.clockTrusted()) return { accepted: false, reason: 'the box\'s clock is not trusted yet; it takes time only from NTP or the county hub' };
      if (skewS > config.clockSetMaxSkewS) return { accepted: false, reason: `${skewS} s from the box's trusted clock, more than clockSetMaxSkewS (${config.clockSetMaxSkewS} s)` };
      return { accepted: true, reason: `within ${skewS} s of the box's trusted clock: nothing to change` };
    },
  };
}

function periodAnswer(config: Sl651CentreConfig, ports: AnswerPorts, q: PeriodQueryMessage, now: number): ObservationGroup[] {
  const step = q.stepMinutes > 0 ? q.stepMinutes * MINUTE : HOUR;
  const last = q.to;
  const count = last < q.from ? 0 : Math.min(MAX_PERIOD_VALUES, Math.floor((last - q.from) / step) + 1);
  const times = Array.from({ length: count }, (_, i) => q.from + i * step);
  const code = q.id.toString(16).toUpperCase().padStart(2, '0');
  const level = config.levels.find((l) => l.element === code);
  const rain = config.rain.find((r) => r.element === code);
  let values: (number | null)[];
  let definition: number;
  // A time still to come has no value yet (the newest reading would otherwise stand in for it).
  const past = (t: number, value: () => number | null): number | null => (t > now ? null : value());
  if (level !== undefined) {
    values = times.map((t) => past(t, () => levelValue(ports.levelAt(level.sensor, t, step))));
    definition = LEVEL_DEFINITION;
  } else if (rain !== undefined) {
    values = times.map((t) => past(t, () => rainValue(ports.rainAt(rain.site, t)?.[RAIN_WINDOW[rain.element]] ?? null)));
    definition = RAIN_DEFINITION;
  } else {
    // An element this station does not measure: the period, every value missing.
    values = times.map(() => null);
    definition = q.definition;
  }
  return [{ observedAt: q.from, elements: [{ kind: 'stepSeries', stepMinutes: step / MINUTE, id: q.id, definition, values }] }];
}
