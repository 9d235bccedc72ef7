/**
 * Whether a due job may start now, given what is known of the clock. A box that booted with a wrong clock (no RTC
 * battery, no network yet) would start recordings at the wrong hour, so nothing starts while the clock is not
 * trusted; once it is, a job whose window is still open starts at once and the stretch it missed because of the clock
 * is recorded as a `clock_untrusted` gap. Pure.
 */
import type { RecordingGap, RecordingJob } from '../types.js';

/** The last stretch, in trusted time (UTC ms), during which the clock was not trusted. */
export interface UntrustedSpell {
  readonly from: number;
  readonly to: number;
}

export type StartDecision =
  | { readonly kind: 'wait_for_clock' }
  | { readonly kind: 'not_yet'; readonly at: number }
  | { readonly kind: 'over' }
  | { readonly kind: 'start'; readonly gap?: RecordingGap };

/**
 * `now` is the clock's reading; `trusted` whether it is right; `spell` the last untrusted stretch once it is over.
 * The gap runs from the later of the job's start and the spell's start to now: what lies before the spell (the box
 * was off) is a restart gap, the recorder's business.
 */
export function startDecision(job: Pick<RecordingJob, 'startAt' | 'endAt'>, now: number, trusted: boolean, spell?: UntrustedSpell): StartDecision {
  if (!trusted) return { kind: 'wait_for_clock' };
  if (now >= job.endAt) return { kind: 'over' };
  if (now < job.startAt) return { kind: 'not_yet', at: job.startAt };
  if (spell === undefined || job.startAt >= spell.to) return { kind: 'start' };
  const from = Math.max(job.startAt, spell.from);
  return from < now ? { kind: 'start', gap: { from, to: now, reason: 'clock_untrusted' } } : { kind: 'start' };
}

/**
 * The untrusted spell in trusted time, from monotonic readings: the wall clock was wrong while it lasted, so its start
 * is found by going back from the first trusted reading by the monotonic time that passed.
 */
export function spellInTrustedTime(untrustedSinceMono: number, trustedAtMono: number, trustedNow: number): UntrustedSpell {
  return { from: trustedNow - Math.max(0, trustedAtMono - untrustedSinceMono), to: trustedNow };
}
