/**
 * How alarms are named to people. Pure (no DOM): unit-tested in alarm-text.test.ts.
 */
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
