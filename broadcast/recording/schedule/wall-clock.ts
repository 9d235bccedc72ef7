/** Weekdays and times of day as the config and the API write them; no time zone involved. Pure. */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `HH:MM` (00:00-23:59) as minutes since midnight, or undefined when it is not one. */
export function parseHhMm(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
}

export const HH_MM_RULE = 'a time of day as HH:MM, 00:00 to 23:59, e.g. 09:00';
