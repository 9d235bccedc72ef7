// The pure parts of the auth layer: the failure throttles (login, bearer tokens, setup code) on virtual time, the default policy, password hashing.
import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../node-daemon/auth/password.js';
import { accessFor, isMutating } from '../../node-daemon/auth/policy.js';
import { DEFAULT_LOGIN_THROTTLE, FailureThrottle, isLoopbackAddress, LoginRateLimiter, normalizeAddress } from '../../node-daemon/auth/rate-limit.js';
import { ApiTokens, sha256Hex } from '../../node-daemon/auth/tokens.js';

describe('FailureThrottle (virtual time)', () => {
  const S = 1_000;
  const MIN = 60_000;
  const make = (opts: ConstructorParameters<typeof FailureThrottle>[1] = {}): { t: FailureThrottle; advance(ms: number): void } => {
    let now = 1_700_000_000_000;
    return { t: new FailureThrottle(() => now, opts), advance: (ms) => void (now += ms) };
  };

  it('lets the free failures through, counting the tries left, then each failure waits twice as long, capped', () => {
    const { t, advance } = make({ freeFailures: 5, baseDelayMs: S, maxDelayMs: 5 * MIN, forgetAfterMs: 15 * MIN });
    expect(t.check('k')).toEqual({ waitMs: 0, triesLeft: 5 });
    for (const left of [4, 3, 2, 1, 0]) expect(t.fail('k')).toEqual({ waitMs: 0, triesLeft: left });
    expect(t.check('k')).toEqual({ waitMs: 0, triesLeft: 0 });
    // The 6th failure: 1 s before the next try is even checked; then 2 s, 4 s, 8 s ...
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const after = t.fail('k');
      expect(after.triesLeft).toBe(0);
      expect(t.check('k').waitMs).toBe(after.waitMs);
      waits.push(after.waitMs);
      advance(after.waitMs);
      expect(t.check('k')).toEqual({ waitMs: 0, triesLeft: 0 });
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map((s) => s * S));
  });

  it('counts down the wait and lets the next try be checked the moment it is over', () => {
    const { t, advance } = make({ freeFailures: 1, baseDelayMs: S });
    t.fail('k');
    expect(t.fail('k').waitMs).toBe(S);
    advance(S - 1);
    expect(t.check('k').waitMs).toBe(1);
    advance(1);
    expect(t.check('k').waitMs).toBe(0);
  });

  it('forgets a key after a quiet time, and a success forgets it at once', () => {
    const { t, advance } = make({ freeFailures: 2, forgetAfterMs: 15 * MIN, maxDelayMs: 5 * MIN });
    for (let i = 0; i < 5; i++) t.fail('a');
    for (let i = 0; i < 5; i++) t.fail('b');
    expect(t.size()).toBe(2);
    advance(15 * MIN - 1);
    expect(t.check('a').triesLeft).toBe(0);
    advance(1);
    expect(t.check('a')).toEqual({ waitMs: 0, triesLeft: 2 });
    t.succeed('b');
    expect(t.check('b')).toEqual({ waitMs: 0, triesLeft: 2 });
    expect(t.size()).toBe(0);
  });

  it('never overflows: a thousand failures wait exactly the cap', () => {
    const { t } = make({ freeFailures: 0, baseDelayMs: S, maxDelayMs: 4 * MIN, forgetAfterMs: 10 * MIN });
    let last = { waitMs: 0, triesLeft: 0 };
    for (let i = 0; i < 1000; i++) last = t.fail('k');
    expect(last.waitMs).toBe(4 * MIN);
  });

  it('remembers at most maxKeys keys, forgetting the least recently failed first', () => {
    const { t, advance } = make({ freeFailures: 0, maxKeys: 10 });
    for (let i = 0; i < 100; i++) {
      t.fail(`k${i}`);
      advance(1);
    }
    t.fail('k95'); // touched again: now the most recent
    for (let i = 0; i < 3; i++) t.fail(`new${i}`);
    expect(t.size()).toBe(10);
    // Kept: k93, k94, k96 ... k99, k95 and the three new ones; k90, k91, k92 made room for the new ones.
    for (const kept of ['k93', 'k99', 'k95', 'new2']) expect(t.check(kept).waitMs, kept).toBeGreaterThan(0);
    for (const gone of ['k0', 'k90', 'k92']) expect(t.check(gone).waitMs, gone).toBe(0);
  });

  it('refuses options where a key would be forgotten while it still waits', () => {
    expect(() => new FailureThrottle(() => 0, { maxDelayMs: 10 * MIN, forgetAfterMs: 5 * MIN })).toThrow(/forgetAfterMs/);
  });
});

describe('LoginRateLimiter (virtual time)', () => {
  let now = 0;
  const limiter = (): LoginRateLimiter => {
    now = 1_700_000_000_000;
    return new LoginRateLimiter(() => now);
  };
  const fail = (l: LoginRateLimiter, address: string, account: string, times = 1): void => {
    for (let i = 0; i < times; i++) l.recordFailure({ address, account });
  };

  it('wrong passwords from address A never slow a login from address B, for the same name', () => {
    const l = limiter();
    fail(l, '10.0.0.66', 'admin', 50);
    expect(l.check({ address: '10.0.0.66', account: 'admin' }).waitMs).toBeGreaterThan(0);
    expect(l.check({ address: '10.0.0.7', account: 'admin' })).toEqual({ waitMs: 0, triesLeft: DEFAULT_LOGIN_THROTTLE.perPair.freeFailures });
  });

  it('per (address, name): 5 free failures with tries left, then 1 s, 2 s ...; a success clears the pair only', () => {
    const l = limiter();
    const a = { address: '10.0.0.7', account: 'zhang' };
    expect(l.check(a).triesLeft).toBe(5);
    expect([1, 2, 3, 4, 5].map(() => l.recordFailure(a).triesLeft)).toEqual([4, 3, 2, 1, 0]);
    expect(l.recordFailure(a)).toEqual({ waitMs: 1_000, triesLeft: 0 });
    now += 1_000;
    expect(l.recordFailure(a)).toEqual({ waitMs: 2_000, triesLeft: 0 });
    // Another name from the same address still has its own free tries, but fewer: the address has used 7 of 10.
    expect(l.check({ address: '10.0.0.7', account: 'li' })).toEqual({ waitMs: 0, triesLeft: 3 });
    now += 2_000;
    l.recordSuccess(a);
    expect(l.check(a)).toEqual({ waitMs: 0, triesLeft: 3 });
  });

  it('per address: 10 failures on any names make the address wait, whatever name it tries next', () => {
    const l = limiter();
    for (let i = 0; i < 10; i++) expect(l.recordFailure({ address: '10.0.0.9', account: `sprayed-${i}` }).waitMs).toBe(0);
    expect(l.recordFailure({ address: '10.0.0.9', account: 'sprayed-10' }).waitMs).toBe(1_000);
    expect(l.check({ address: '10.0.0.9', account: 'fresh' }).waitMs).toBe(1_000);
    expect(l.check({ address: '10.0.0.10', account: 'fresh' }).waitMs).toBe(0);
    // A known device (a live session in the browser) is not held back by its address, only by its own name.
    expect(l.check({ address: '10.0.0.9', account: 'fresh', knownDevice: true })).toEqual({ waitMs: 0, triesLeft: 5 });
  });

  it('keeps both kinds of key bounded', () => {
    now = 0;
    const l = new LoginRateLimiter(() => now, { perAddress: { maxKeys: 20 }, perPair: { maxKeys: 30 } });
    for (let i = 0; i < 500; i++) l.recordFailure({ address: `10.0.${i >> 8}.${i & 0xff}`, account: `n${i}` });
    expect(l.size()).toBe(50);
  });
});

describe('client addresses', () => {
  it('an IPv4 client of a dual-stack socket is the same client; loopback is 127.0.0.0/8 and ::1 only', () => {
    expect(normalizeAddress('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(normalizeAddress('FE80::1')).toBe('fe80::1');
    expect(['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.2'].filter(isLoopbackAddress)).toHaveLength(4);
    expect(['10.0.0.1', '::', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', 'unknown', '127.example.com'].filter(isLoopbackAddress)).toEqual([]);
  });
});

describe('default policy', () => {
  it('matches the contract', () => {
    expect(accessFor('GET', '/health')).toEqual({ kind: 'public' });
    expect(accessFor('HEAD', '/openapi.json')).toEqual({ kind: 'public' });
    expect(accessFor('POST', '/auth/login')).toEqual({ kind: 'public' });
    expect(accessFor('POST', '/health')).toEqual({ kind: 'role', role: 'operator' });
    expect(accessFor('POST', '/auth/logout')).toEqual({ kind: 'role', role: 'viewer' });
    expect(accessFor('GET', '/sensors')).toEqual({ kind: 'role', role: 'viewer' });
    expect(accessFor('POST', '/alarms/3/ack')).toEqual({ kind: 'role', role: 'operator' });
    expect(accessFor('PUT', '/settings/alarms')).toEqual({ kind: 'role', role: 'admin' });
    expect(accessFor('GET', '/settings')).toEqual({ kind: 'role', role: 'admin' });
    expect(accessFor('GET', '/audit')).toEqual({ kind: 'role', role: 'admin' });
    expect(accessFor('DELETE', '/users/x')).toEqual({ kind: 'role', role: 'admin' });
    expect(accessFor('get', '/users')).toEqual({ kind: 'role', role: 'admin' });
    expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'BREW'].filter(isMutating)).toEqual(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'BREW']);
  });
});

describe('passwords and tokens', () => {
  it('hashes with scrypt and a fresh 16-byte salt, verifies, refuses a wrong password and a malformed hash', async () => {
    const a = await hashPassword('水位上涨 rising');
    const b = await hashPassword('水位上涨 rising');
    expect(a).not.toBe(b);
    const parsed = parsePasswordHash(a)!;
    expect(parsed.cost).toEqual({ log2N: 15, r: 8, p: 1 });
    expect(parsed.salt.length).toBe(16);
    expect(await verifyPassword('水位上涨 rising', a)).toBe(true);
    expect(await verifyPassword('水位上涨 Rising', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', a.replace(/\$15\$/, '$40$'))).toBe(false);
  });

  it('accepts a token only by its SHA-256', () => {
    const tokens = new ApiTokens([{ id: 'hub', role: 'operator', sha256: sha256Hex('s3cret-token').toUpperCase() }]);
    expect(tokens.verify('s3cret-token')).toEqual({ id: 'hub', role: 'operator' });
    expect(tokens.verify('s3cret-tokeN')).toBeUndefined();
    expect(tokens.verify('')).toBeUndefined();
    expect(new ApiTokens().verify('s3cret-token')).toBeUndefined();
  });
});
