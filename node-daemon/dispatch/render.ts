import type { AlarmLevel } from '../alarms/types.js';

export const LEVEL_NAME_ZH: Readonly<Record<AlarmLevel, string>> = { prepare: '准备转移', evacuate: '立即转移' };
export const DRILL_MARK = '【演练】';
/** What `{site}` says for an alarm that is for no one site. */
export const WHOLE_TOWNSHIP = '全镇';

export interface RenderContext {
  readonly site: string;
  readonly level: AlarmLevel | null;
  /** UTC ms of the transition. */
  readonly ts: number;
  /** IANA time zone of the site, e.g. Asia/Shanghai. */
  readonly timeZone: string;
  readonly value?: number | null;
  readonly sensor?: string;
  readonly drill: boolean;
}

/** Local HH:mm in the site's zone (what the people hearing the message read on their own clocks). */
export function localTime(ts: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ts);
}

/**
 * Fills a message template. Unknown placeholders stay as written (so a typo shows up in the test of the config,
 * not as a silent gap in a warning); a drill is marked at the start of every text.
 */
export function renderTemplate(template: string, ctx: RenderContext): string {
  const values: Record<string, string> = {
    site: ctx.site,
    level: ctx.level ? LEVEL_NAME_ZH[ctx.level] : '',
    time: localTime(ctx.ts, ctx.timeZone),
    value: ctx.value === undefined || ctx.value === null ? '—' : ctx.value.toFixed(2),
    sensor: ctx.sensor ?? '',
  };
  const text = template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
  return ctx.drill ? `${DRILL_MARK}${text}` : text;
}

/** Placeholders a template uses that renderTemplate does not know (for config validation). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set(['site', 'level', 'time', 'value', 'sensor']);
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((k) => !known.has(k));
}
