import type { Logger } from '../core/log.js';
import { initialWatch, judge, parseHealthBody, watchStep, type Expectation, type ProbeResult } from './health-watch.js';

/** One GET of `<base>/api/v1/health`, never throwing: a refused connection is an answer too ("unreachable"). */
export async function probeHealth(baseUrl: string, timeoutMs = 2_000): Promise<ProbeResult> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) return { kind: 'unreachable', reason: `HTTP ${res.status}` };
    const body = parseHealthBody(await res.json());
    return body === undefined ? { kind: 'unreachable', reason: 'not a health answer' } : { kind: 'answered', body };
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } }).cause?.code;
    return { kind: 'unreachable', reason: typeof cause === 'string' ? cause : err instanceof Error ? err.message : String(err) };
  }
}

export interface WaitDeps {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly probe: () => Promise<ProbeResult>;
  readonly log: Logger;
}

export interface WaitLimits {
  readonly deadlineMs: number;
  readonly settleMs: number;
  readonly probeEveryMs: number;
}

export interface WaitResult {
  readonly healthy: boolean;
  /** The last thing the watch saw (why it is not healthy, after a time-out). */
  readonly reason: string;
  readonly afterMs: number;
}

/** Probes until the release is healthy (health-watch.ts) or the deadline, counted from `expect.restartedAt`, passes. */
export async function waitHealthy(expect: Expectation, deps: WaitDeps, limits: WaitLimits): Promise<WaitResult> {
  const deadlineAt = expect.restartedAt + limits.deadlineMs;
  let state = initialWatch;
  let lastLogged = '';
  for (;;) {
    const probe = await deps.probe();
    const now = deps.now();
    const step = watchStep(state, judge(probe, expect), now, { deadlineAt, settleMs: limits.settleMs });
    state = step.state;
    if (state.lastReason !== lastLogged) {
      deps.log.info({ event: 'update.health', version: expect.version, reason: state.lastReason, afterMs: now - expect.restartedAt }, state.lastReason);
      lastLogged = state.lastReason;
    }
    if (step.decision !== 'wait') return { healthy: step.decision === 'healthy', reason: state.lastReason, afterMs: now - expect.restartedAt };
    await deps.sleep(Math.max(0, Math.min(limits.probeEveryMs, deadlineAt - now)));
  }
}
