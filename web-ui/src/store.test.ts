import { describe, expect, it } from 'vitest';
import { afterProbe, PROBE_TIMEOUT_MS, shouldProbe, SILENCE_MS } from './store.js';

describe('connection watchdog', () => {
  it('asks the box only after SILENCE_MS without a word, one probe at a time, at most one per SILENCE_MS', () => {
    const now = 1_000_000;
    expect(shouldProbe({ now, lastHeardAt: now - 2_000, lastProbeAt: 0, probing: false })).toBe(false);
    expect(shouldProbe({ now, lastHeardAt: now - SILENCE_MS, lastProbeAt: 0, probing: false })).toBe(true);
    expect(shouldProbe({ now, lastHeardAt: now - SILENCE_MS, lastProbeAt: 0, probing: true })).toBe(false);
    // While the box stays silent the probes are spaced, not fired every tick.
    expect(shouldProbe({ now, lastHeardAt: 0, lastProbeAt: now - 5_000, probing: false })).toBe(false);
    expect(shouldProbe({ now, lastHeardAt: 0, lastProbeAt: now - SILENCE_MS, probing: false })).toBe(true);
    // A frozen line is found within silence + timeout + one tick.
    expect(SILENCE_MS + PROBE_TIMEOUT_MS).toBeLessThanOrEqual(25_000);
  });

  it('no answer: the box is unreachable (values turn stale); a stream that still looks open is dead and reopened', () => {
    expect(afterProbe(false, 'open')).toEqual({ live: 'down', reopen: true });
    // A stream the browser is reconnecting is left alone (no pile of hung connections on a frozen line).
    expect(afterProbe(false, 'connecting')).toEqual({ live: 'down', reopen: false });
    expect(afterProbe(false, 'closed')).toEqual({ live: 'down', reopen: false });
  });

  it('an answer: only quiet with the stream open (reachable again); otherwise the stream is reopened', () => {
    expect(afterProbe(true, 'open')).toEqual({ live: 'open', reopen: false });
    expect(afterProbe(true, 'connecting')).toEqual({ reopen: true });
    expect(afterProbe(true, 'closed')).toEqual({ reopen: true });
  });
});
