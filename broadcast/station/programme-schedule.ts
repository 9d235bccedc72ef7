import { Cron } from 'croner';

/** Pure: when cron expressions fire, read with croner (5 fields, or 6 with seconds first) in an IANA time zone. */

/** croner's reading of `cron` in `timeZone` (throws when it cannot read it). */
export function cronOf(cron: string, timeZone: string): Cron {
  return new Cron(cron, { timezone: timeZone, mode: '5-or-6-parts' });
}

/** Why `cron` is not a schedule croner can read in `timeZone`, or undefined when it is. */
export function cronProblem(cron: string, timeZone: string): string | undefined {
  try {
    const next = cronOf(cron, timeZone).nextRun(new Date(0));
    return next === null ? 'never fires' : undefined;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^Cron\w*: /, '');
  }
}

/** The first time after `afterMs` (UTC ms) that `cron` fires in `timeZone`; null when it never does again. */
export function nextDue(cron: string, timeZone: string, afterMs: number): number | null {
  return cronOf(cron, timeZone).nextRun(new Date(afterMs))?.getTime() ?? null;
}
