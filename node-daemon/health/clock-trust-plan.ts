/**
 * The clock-trust decisions, free of I/O (health/clock-trust.ts runs them; test/time/ tests them on virtual time).
 *
 * Words:
 * - an observation is the wall clock and the monotonic clock read at the same instant;
 * - a step is the wall clock moving by X while the monotonic clock did not (NTP stepping the clock, fake-hwclock,
 *   `date -s`): between two observations, X = Δwall − Δmono;
 * - an untrusted span is a stretch of this boot during which the wall clock was not trusted and did not step: the
 *   readings and alarm transitions written in it are wrong by one and the same amount. A step closes the span and
 *   opens the next, because what was stamped before the step is wrong by X more than what is stamped after it.
 * - the correction of a span, once the true time is known at some instant (`offsetNowMs` = true time − wall clock
 *   at that instant): offsetNowMs + every step the wall clock made after the span. A reading stamped w in the span
 *   was really taken at w + correction.
 */

export interface Observation {
  readonly wall: number;
  readonly mono: number;
}

/** Wall-clock moves smaller than this are jitter (scheduling, slewing), not a step. */
export const STEP_THRESHOLD_MS = 2_000;

/** A hub time this close to the box's makes the box's clock trusted; farther, the box knows its error but stays untrusted. */
export const HUB_TRUST_MS = 5_000;

/** The wall clock's step between two observations (Δwall − Δmono), or null when it is within `thresholdMs`. */
export function detectStep(prev: Observation, now: Observation, thresholdMs: number = STEP_THRESHOLD_MS): number | null {
  const step = Math.round(now.wall - prev.wall - (now.mono - prev.mono));
  return Math.abs(step) >= thresholdMs ? step : null;
}

/** One untrusted span of this boot not corrected yet; `laterStepsMs`: the sum of the steps the wall made after it. */
export interface PendingSpan {
  readonly id: number;
  readonly laterStepsMs: number;
}

/** After a step: every span so far is wrong by `stepMs` more than what comes next (the caller opens the next span). */
export function afterStep(spans: readonly PendingSpan[], stepMs: number): PendingSpan[] {
  return spans.map((s) => ({ id: s.id, laterStepsMs: s.laterStepsMs + stepMs }));
}

export interface SpanCorrection {
  readonly span: number;
  readonly offsetMs: number;
}

/** What to add to each span's stamps once the true time is known (`offsetNowMs` = true − wall, now). */
export function correctionPlan(spans: readonly PendingSpan[], offsetNowMs: number): SpanCorrection[] {
  return spans.map((s) => ({ span: s.id, offsetMs: Math.round(offsetNowMs + s.laterStepsMs) }));
}

export type HubVerdict = 'trust' | 'correct_only';

/**
 * What a hub time measurement (hub − box, `offsetMs`, ± `uncertaintyMs`) makes of the box's clock: within
 * `trustMs` (widened by the measurement's own uncertainty) the clock is right, so trusted; farther, the box knows how
 * wrong it is, so what it stamped can be corrected, but the clock itself stays wrong (the box does not set it) and
 * untrusted.
 */
export function judgeHub(offsetMs: number, uncertaintyMs = 0, trustMs: number = HUB_TRUST_MS): HubVerdict {
  return Math.abs(offsetMs) <= trustMs + Math.max(0, uncertaintyMs) ? 'trust' : 'correct_only';
}

/**
 * Whether an NTP probe answer trusts the clock: synchronised, or unknowable (no systemd: containers, a development
 * machine; recordings and readings must not wait for a question nobody answers). Only a clear "no" distrusts it.
 */
export function probeTrusts(synchronized: boolean | null): boolean {
  return synchronized !== false;
}
