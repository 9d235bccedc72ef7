// The update's health decision (node-daemon/update/health-watch.ts) with an injected clock: which health answers
// count as "the new release is up and has polled", the settle period, the deadline.
import { describe, expect, it } from 'vitest';
import { initialWatch, judge, parseHealthBody, watchStep, type HealthBody, type ProbeResult, type WatchState } from '../../node-daemon/update/health-watch.js';

const RESTART = 1_000_000;
const expectNew = { version: '9.9.1', restartedAt: RESTART };

function answer(body: Partial<HealthBody> & Pick<HealthBody, 'ts' | 'uptimeS'>): ProbeResult {
  return { kind: 'answered', body: { version: '9.9.1', sensors: [], ...body } };
}

describe('judge: one health answer', () => {
  it('unreachable, the old version, or a process older than the restart: not ready', () => {
    expect(judge({ kind: 'unreachable', reason: 'ECONNREFUSED' }, expectNew)).toMatchObject({ ready: false, reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(judge(answer({ version: '9.9.0', ts: RESTART + 5000, uptimeS: 1 }), expectNew).reason).toMatch(/version 9\.9\.0 answers, not 9\.9\.1/);
    // Up for 60 s at 5 s after the restart: the process the restart should have replaced.
    expect(judge(answer({ ts: RESTART + 5000, uptimeS: 60 }), expectNew).reason).toMatch(/started before the restart/);
  });

  it('first poll cycle: every sensor needs a reading taken by this process, not one seeded from the database', () => {
    const started = RESTART + 2000;
    const seeded = { id: 'mason', lastReadingTs: RESTART - 500 };
    const polled = { id: 'junction', lastReadingTs: started + 700 };
    const notYet = judge(answer({ ts: started + 1500, uptimeS: 1, sensors: [seeded, polled, { id: 'llano' }] }), expectNew);
    expect(notYet.ready).toBe(false);
    expect(notYet.reason).toMatch(/2 of 3 sensors not polled yet \(mason, llano\)/);
    // The estimate of the start is ts - uptimeS*1000 (never earlier than the real start): 1200 ms after it here.
    const done = judge(answer({ ts: started + 1200, uptimeS: 1, sensors: [{ id: 'mason', lastReadingTs: started + 300 }, polled] }), expectNew);
    expect(done).toMatchObject({ ready: true, processStartedAt: started + 200 });
  });

  it('parses the daemon health body; junk is not an answer', () => {
    expect(parseHealthBody({ version: '1', ts: 5, uptimeS: 0, sensors: [{ id: 'a', lastReading: { ts: 4, value: 1, quality: 'good' } }, { id: 'b' }] })).toEqual({
      version: '1',
      ts: 5,
      uptimeS: 0,
      sensors: [{ id: 'a', lastReadingTs: 4 }, { id: 'b' }],
    });
    expect(parseHealthBody({ status: 'ok' })).toBeUndefined();
    expect(parseHealthBody(null)).toBeUndefined();
  });
});

describe('watchStep: settle and deadline', () => {
  const limits = { deadlineAt: RESTART + 10_000, settleMs: 3000 };
  const ready = (processStartedAt: number) => ({ ready: true, reason: 'healthy', processStartedAt });
  const run = (steps: [ReturnType<typeof judge>, number][]): string[] => {
    let state: WatchState = initialWatch;
    return steps.map(([j, now]) => {
      const s = watchStep(state, j, now, limits);
      state = s.state;
      return s.decision;
    });
  };

  it('healthy once ready answers from one process span the settle time', () => {
    expect(run([[ready(RESTART + 100), RESTART + 1000], [ready(RESTART + 100), RESTART + 2000], [ready(RESTART + 600), RESTART + 4000]])).toEqual(['wait', 'wait', 'healthy']);
  });

  it('a crash in between (not ready, or another process) starts the settle time again', () => {
    expect(
      run([
        [ready(RESTART + 100), RESTART + 1000],
        [{ ready: false, reason: 'health does not answer' }, RESTART + 2000],
        [ready(RESTART + 2500), RESTART + 3000],
        [ready(RESTART + 2500), RESTART + 5000],
        [ready(RESTART + 5500), RESTART + 6000],
        [ready(RESTART + 5500), RESTART + 9000],
      ]),
    ).toEqual(['wait', 'wait', 'wait', 'wait', 'wait', 'healthy']);
  });

  it('times out at the deadline with the last reason', () => {
    const s = watchStep(initialWatch, { ready: false, reason: 'first poll cycle not done' }, RESTART + 10_000, limits);
    expect(s.decision).toBe('timed-out');
    expect(s.state.lastReason).toBe('first poll cycle not done');
  });
});
