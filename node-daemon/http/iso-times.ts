/**
 * ISO 8601 UTC copies of the times in an API answer, for people and tools reading the JSON: every `ts` gets an
 * `iso` beside it, every `…At` / `…Until` field an `…AtIso` / `…UntilIso`. The UTC milliseconds stay the contract.
 */
const TIME_FIELD = /(?:At|Until)$/;

type WithIso<T> = T & Record<string, unknown>;

export function withIsoTimes<T extends object>(value: T): WithIso<T> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = v;
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (key === 'ts') out['iso'] = new Date(v).toISOString();
    else if (TIME_FIELD.test(key)) out[`${key}Iso`] = new Date(v).toISOString();
  }
  return out as WithIso<T>;
}

/** An alarm, with its transitions when it carries them, each with its ISO copies. */
export function alarmWithIsoTimes<T extends object & { transitions?: readonly object[] }>(alarm: T): WithIso<T> {
  const out = withIsoTimes(alarm);
  if (Array.isArray(alarm.transitions)) out['transitions'] = alarm.transitions.map((t) => withIsoTimes(t));
  return out;
}
