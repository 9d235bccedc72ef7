import { describe, expect, it } from 'vitest';
import { clockOffsetFromExchange, ReplayGuard } from './replay-guard.js';

const T0 = 1_765_000_000_000; // ms
const S0 = T0 / 1000;

function setup(opts: ConstructorParameters<typeof ReplayGuard>[1] = {}) {
  let now = T0;
  const guard = new ReplayGuard(() => now, opts);
  return { guard, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

let n = 0;
const fresh = (p: { created?: number; expires?: number; keyid?: string; nonce?: string } = {}) => ({
  keyid: p.keyid ?? 'box-a',
  nonce: p.nonce ?? `nonce-${++n}-padding-xx`,
  created: p.created ?? S0,
  ...(p.expires !== undefined ? { expires: p.expires } : {}),
});

describe('ReplayGuard: the created window', () => {
  it('accepts created within ±300 s of now, edges included, and says which side it fell off', () => {
    const { guard } = setup();
    expect(guard.accept(fresh({ created: S0 - 300 }))).toEqual({ ok: true });
    expect(guard.accept(fresh({ created: S0 + 300 }))).toEqual({ ok: true });
    expect(guard.accept(fresh({ created: S0 - 301 }))).toMatchObject({ ok: false, reason: 'too_old' });
    expect(guard.accept(fresh({ created: S0 + 301 }))).toMatchObject({ ok: false, reason: 'from_future' });
  });

  it('takes another window', () => {
    const { guard } = setup({ windowSec: 30 });
    expect(guard.accept(fresh({ created: S0 - 30 }))).toEqual({ ok: true });
    expect(guard.accept(fresh({ created: S0 - 31 }))).toMatchObject({ ok: false, reason: 'too_old', detail: 'created 31 s ago, window 30 s' });
  });

  it('refuses a passed expires, and an expires before created as malformed', () => {
    const { guard } = setup();
    expect(guard.accept(fresh({ created: S0 - 10, expires: S0 + 1 }))).toEqual({ ok: true });
    expect(guard.accept(fresh({ created: S0 - 10, expires: S0 }))).toMatchObject({ ok: false, reason: 'expired' });
    expect(guard.accept(fresh({ created: S0 - 10, expires: S0 - 11 }))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refuses a created that is not whole UNIX seconds, and a missing nonce', () => {
    const { guard } = setup();
    expect(guard.accept(fresh({ created: S0 + 0.5 }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(guard.accept(fresh({ created: -1 }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(guard.accept({ keyid: 'box-a', nonce: '', created: S0 })).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('checkTime remembers nothing', () => {
    const { guard } = setup();
    expect(guard.checkTime({ created: S0 })).toEqual({ ok: true });
    expect(guard.size).toBe(0);
  });
});

describe('ReplayGuard: nonces', () => {
  it('refuses a (key id, nonce) pair seen within the window; the same nonce under another key is another pair', () => {
    const { guard } = setup();
    const p = fresh();
    expect(guard.accept(p)).toEqual({ ok: true });
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'replayed' });
    expect(guard.accept({ ...p, created: p.created + 1 })).toMatchObject({ ok: false, reason: 'replayed' });
    expect(guard.accept({ ...p, keyid: 'box-b' })).toEqual({ ok: true });
  });

  it('forgets a pair two windows after its created, long after the window alone refuses the replay', () => {
    const { guard, advance } = setup();
    const p = fresh({ created: S0 });
    guard.accept(p);
    advance(300_000);
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'replayed' });
    advance(1_000);
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'too_old' });
    advance(299_000);
    expect(guard.size).toBe(1);
    advance(1_000);
    expect(guard.size).toBe(0);
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('is bounded: a full memory refuses (never accepts unchecked) until pairs leave the window', () => {
    const { guard, advance } = setup({ maxEntries: 3, maxEntriesPerKey: 3 });
    for (let i = 0; i < 3; i++) expect(guard.accept(fresh({ keyid: `box-${i}` }))).toEqual({ ok: true });
    const p = fresh({ keyid: 'box-x' });
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'replay_cache_full' });
    advance(300_000);
    const q = fresh({ keyid: 'box-x', created: S0 + 400 });
    expect(guard.accept(q)).toMatchObject({ ok: false, reason: 'replay_cache_full' });
    advance(301_000); // the three are two windows old now
    expect(guard.accept(q)).toEqual({ ok: true });
    expect(guard.size).toBe(1);
  });

  it('bounds each key id, so one box cannot crowd out the others', () => {
    const { guard } = setup({ maxEntries: 100, maxEntriesPerKey: 2 });
    expect(guard.accept(fresh({ keyid: 'noisy' }))).toEqual({ ok: true });
    expect(guard.accept(fresh({ keyid: 'noisy' }))).toEqual({ ok: true });
    expect(guard.accept(fresh({ keyid: 'noisy' }))).toMatchObject({ ok: false, reason: 'replay_cache_full', detail: expect.stringContaining('noisy') });
    expect(guard.accept(fresh({ keyid: 'quiet' }))).toEqual({ ok: true });
  });

  it('purges in expiry order whatever the order of arrival', () => {
    const { guard, set } = setup();
    // Arriving in this order, they are forgotten at S0 + 700, 400, 600, 850 and 550 s.
    for (const c of [S0 + 100, S0 - 200, S0, S0 + 250, S0 - 50]) expect(guard.accept(fresh({ created: c }))).toEqual({ ok: true });
    const sizes = [401, 551, 601, 701, 851].map((s) => {
      set(T0 + s * 1000);
      return guard.size;
    });
    expect(sizes).toEqual([4, 3, 2, 1, 0]);
  });
});

describe('ReplayGuard: a clock that is wrong (the box has no RTC)', () => {
  it('judges with the learned offset', () => {
    // The box booted thinking it is 2000-01-01; the hub is at T0.
    const { guard } = setup();
    const boxClock = 946_684_800_000;
    const g = new ReplayGuard(() => boxClock);
    expect(g.accept(fresh({ created: S0 }))).toMatchObject({ ok: false, reason: 'from_future' });
    g.setClockOffsetMs(T0 - boxClock);
    expect(g.now()).toBe(T0);
    expect(g.accept(fresh({ created: S0 }))).toEqual({ ok: true });
    expect(guard.clockOffsetMs).toBe(0);
  });

  it('still knows a pair when the offset moves now back (up to a window), so a replay cannot slip through', () => {
    const { guard, advance } = setup();
    const p = fresh({ created: S0 });
    guard.accept(p);
    advance(590_000);
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'too_old' });
    guard.setClockOffsetMs(-300_000); // now moves back five minutes: p is inside the window again
    expect(guard.checkTime(p)).toEqual({ ok: true });
    expect(guard.accept(p)).toMatchObject({ ok: false, reason: 'replayed' });
  });
});

describe('clockOffsetFromExchange', () => {
  it('puts the peer at the midpoint of the exchange, within half the round trip and the second truncated', () => {
    // Sent at local 1000 s, answered at local 1002 s; the hub signed at created = 5000 s.
    expect(clockOffsetFromExchange({ sentAtMs: 1_000_000, receivedAtMs: 1_002_000, peerCreatedSec: 5000 })).toEqual({
      offsetMs: 5_000_500 - 1_001_000,
      uncertaintyMs: 1_500,
    });
    expect(clockOffsetFromExchange({ sentAtMs: 10, receivedAtMs: 5, peerCreatedSec: 0 }).uncertaintyMs).toBe(500);
  });
});
