import { performance } from 'node:perf_hooks';

/**
 * Liveness probes for the systemd watchdog (core/sd-notify.ts). The loops that must keep running (the poller's
 * schedule, the alarm rules' tick) stamp a heartbeat here as they go; `judgeLiveness` decides from the stamps
 * whether the box may tell systemd it is alive.
 *
 * Times are monotonic milliseconds (`monotonicMs`), never the wall clock: a board without a real-time clock boots
 * on a stale date and NTP then jumps it by hours, which must not look like a dead loop (nor hide one).
 */
export const monotonicMs = (): number => performance.now();

/** What the poller's loop reports about itself (Poller.heartbeat()). */
export interface PollerHeartbeat {
  /** start() ran and stop() has not. */
  readonly running: boolean;
  /** How many sensors it polls; with none it has nothing to prove. */
  readonly sensors: number;
  /** When (monotonic ms) a poll last started or settled, or the poller started. */
  readonly lastProgressAt: number;
  /** When (monotonic ms) the oldest poll still in flight started; undefined when none is in flight. */
  readonly oldestInFlightSince: number | undefined;
  /** The longest poll interval of its sensors (ms). */
  readonly longestIntervalMs: number;
}

/** What the alarm rules report about themselves (LiveRuleEngine.heartbeat()). */
export interface RulesHeartbeat {
  readonly running: boolean;
  /** The rules still hear the readings stream. */
  readonly subscribed: boolean;
  /** When (monotonic ms) the rules' timer last ran (comm-lost, delays, rain windows), or they started. */
  readonly lastTickAt: number;
  /** The rules' tick period (ms). */
  readonly tickMs: number;
}

export interface Heartbeats {
  readonly poller: PollerHeartbeat;
  readonly rules: RulesHeartbeat;
}

export type Liveness = { readonly alive: true } | { readonly alive: false; readonly reasons: readonly string[] };

/** How long each loop may be quiet before it counts as dead. */
export interface LivenessLimits {
  /** The poller must start or finish a poll this often: max(this, 2 × the longest poll interval). Default 60 s. */
  readonly pollerSilenceMs: number;
  /** A single poll may be in flight this long (bus queue, timeouts, retries): max(this, 2 × the longest interval). Default 10 min. */
  readonly pollInFlightMs: number;
  /** The rules' tick may be late by this much: max(this, 10 × tickMs). Default 30 s. */
  readonly rulesSilenceMs: number;
}

export const DEFAULT_LIVENESS_LIMITS: LivenessLimits = { pollerSilenceMs: 60_000, pollInFlightMs: 600_000, rulesSilenceMs: 30_000 };

/** Pure: whether the poller and the alarm rules are demonstrably alive at `now` (monotonic ms), and if not, why. */
export function judgeLiveness(hb: Heartbeats, now: number, limits: LivenessLimits = DEFAULT_LIVENESS_LIMITS): Liveness {
  const reasons: string[] = [];
  const { poller, rules } = hb;
  if (!poller.running) reasons.push('poller stopped');
  else if (poller.sensors > 0) {
    const silence = Math.max(limits.pollerSilenceMs, 2 * poller.longestIntervalMs);
    const quiet = now - poller.lastProgressAt;
    if (quiet > silence) reasons.push(`poller has neither started nor finished a poll for ${seconds(quiet)} (limit ${seconds(silence)})`);
    const inFlightLimit = Math.max(limits.pollInFlightMs, 2 * poller.longestIntervalMs);
    if (poller.oldestInFlightSince !== undefined && now - poller.oldestInFlightSince > inFlightLimit) {
      reasons.push(`a poll has been in flight for ${seconds(now - poller.oldestInFlightSince)} (limit ${seconds(inFlightLimit)})`);
    }
  }
  if (!rules.running) reasons.push('alarm rules stopped');
  else {
    if (!rules.subscribed) reasons.push('alarm rules no longer hear the readings');
    const silence = Math.max(limits.rulesSilenceMs, 10 * rules.tickMs);
    const quiet = now - rules.lastTickAt;
    if (quiet > silence) reasons.push(`alarm rules have not ticked for ${seconds(quiet)} (limit ${seconds(silence)})`);
  }
  return reasons.length === 0 ? { alive: true } : { alive: false, reasons };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
