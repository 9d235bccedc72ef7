/**
 * Whether a freshly restarted release is healthy, decided from what `GET /api/v1/health` answers. Pure: the probe's
 * answer and the clock come in, a decision goes out (run-update.ts does the I/O).
 *
 * Healthy means, in one answer: (1) the expected version answers, (2) from a process started after the restart was
 * asked for, (3) every configured sensor has a reading taken by that process (its first poll cycle is done). The
 * process's start is estimated as `ts - uptimeS * 1000`, which is never earlier than the real start (uptimeS is
 * rounded down): a reading at or after it was taken by this process, not seeded from the database by the daemon at
 * start-up. Then the answers must stay healthy, from the same process, for `settleMs`: a release that polls once
 * and crashes is not healthy.
 */

export interface HealthBody {
  readonly version: string;
  readonly ts: number;
  readonly uptimeS: number;
  readonly sensors: readonly { readonly id: string; readonly lastReadingTs?: number }[];
}

export type ProbeResult = { readonly kind: 'answered'; readonly body: HealthBody } | { readonly kind: 'unreachable'; readonly reason: string };

export interface Expectation {
  readonly version: string;
  /** UTC ms just before the restart was asked for. */
  readonly restartedAt: number;
}

export interface Judgement {
  readonly ready: boolean;
  readonly reason: string;
  /** The answering process's start (estimate), when it answered. */
  readonly processStartedAt?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of a health answer this needs, or undefined when it is not one. */
export function parseHealthBody(json: unknown): HealthBody | undefined {
  if (!isRecord(json)) return undefined;
  const { version, ts, uptimeS, sensors } = json;
  if (typeof version !== 'string' || typeof ts !== 'number' || typeof uptimeS !== 'number' || !Array.isArray(sensors)) return undefined;
  const parsed: { id: string; lastReadingTs?: number }[] = [];
  for (const s of sensors as unknown[]) {
    if (!isRecord(s) || typeof s.id !== 'string') return undefined;
    const last = isRecord(s.lastReading) && typeof s.lastReading.ts === 'number' ? s.lastReading.ts : undefined;
    parsed.push(last === undefined ? { id: s.id } : { id: s.id, lastReadingTs: last });
  }
  return { version, ts, uptimeS, sensors: parsed };
}

export function judge(probe: ProbeResult, expect: Expectation): Judgement {
  if (probe.kind === 'unreachable') return { ready: false, reason: `health does not answer (${probe.reason})` };
  const { body } = probe;
  const processStartedAt = body.ts - body.uptimeS * 1000;
  if (body.version !== expect.version) return { ready: false, reason: `version ${body.version} answers, not ${expect.version}`, processStartedAt };
  if (processStartedAt < expect.restartedAt) return { ready: false, reason: 'the answering process was started before the restart', processStartedAt };
  const unpolled = body.sensors.filter((s) => s.lastReadingTs === undefined || s.lastReadingTs < processStartedAt).map((s) => s.id);
  if (unpolled.length > 0) {
    return { ready: false, reason: `first poll cycle not done: ${unpolled.length} of ${body.sensors.length} sensors not polled yet (${unpolled.slice(0, 5).join(', ')})`, processStartedAt };
  }
  return { ready: true, reason: `healthy: ${body.sensors.length} sensors polled`, processStartedAt };
}

export interface WatchState {
  /** When the current unbroken run of ready answers began, and from which process. */
  readonly readySince?: { readonly at: number; readonly processStartedAt: number };
  readonly lastReason: string;
}

export interface WatchLimits {
  readonly deadlineAt: number;
  readonly settleMs: number;
}

export type WatchDecision = 'wait' | 'healthy' | 'timed-out';

export const initialWatch: WatchState = { lastReason: 'not probed yet' };

/** Two estimates of one process's start differ by less than a second (uptimeS is whole seconds). */
const sameProcess = (a: number, b: number): boolean => Math.abs(a - b) < 1000;

/** Takes one judgement made at `now` and says whether to keep waiting. */
export function watchStep(state: WatchState, j: Judgement, now: number, limits: WatchLimits): { readonly state: WatchState; readonly decision: WatchDecision } {
  let readySince: WatchState['readySince'];
  if (j.ready && j.processStartedAt !== undefined) {
    const prev = state.readySince;
    readySince = prev !== undefined && sameProcess(prev.processStartedAt, j.processStartedAt) ? prev : { at: now, processStartedAt: j.processStartedAt };
  }
  const next: WatchState = readySince === undefined ? { lastReason: j.reason } : { readySince, lastReason: j.reason };
  if (readySince !== undefined && now - readySince.at >= limits.settleMs) return { state: next, decision: 'healthy' };
  if (now >= limits.deadlineAt) return { state: next, decision: 'timed-out' };
  return { state: next, decision: 'wait' };
}
