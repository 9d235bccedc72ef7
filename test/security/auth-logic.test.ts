// The pure parts of the auth layer: the login rate limit on virtual time, the default policy, password hashing.
import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../node-daemon/auth/password.js';
import { accessFor, isMutating } from '../../node-daemon/auth/policy.js';
import { LoginRateLimiter, loginKeys } from '../../node-daemon/auth/rate-limit.js';
import { ApiTokens, sha256Hex } from '../../node-daemon/auth/tokens.js';

describe('LoginRateLimiter (virtual time)', () => {
  const MIN = 60_000;
  const make = (): { limiter: LoginRateLimiter; advance(ms: number): void } => {
    let now = 1_700_000_000_000;
    return { limiter: new LoginRateLimiter(() => now), advance: (ms) => void (now += ms) };
  };

  it('blocks the 6th attempt after 5 failures in 5 minutes until the oldest failure leaves the window', () => {
    const { limiter, advance } = make();
    const keys = loginKeys('10.0.0.7', 'Admin');
    for (let i = 0; i < 5; i++) {
      expect(limiter.blockedForMs(keys)).toBeUndefined();
      limiter.recordFailure(keys);
      advance(MIN);
    }
    // Failures at t=0,1,2,3,4 min; at t=5 min - 1 ms the first is still in the window, at t=5 min it has left.
    advance(-1);
    expect(limiter.blockedForMs(keys)).toBe(1);
    advance(1);
    expect(limiter.blockedForMs(keys)).toBeUndefined();
  });

  it('gives the wait in Retry-After terms and lifts on its own', () => {
    const { limiter, advance } = make();
    const keys = loginKeys('10.0.0.7', 'admin');
    for (let i = 0; i < 5; i++) limiter.recordFailure(keys);
    expect(limiter.blockedForMs(keys)).toBe(5 * MIN);
    advance(4 * MIN);
    expect(limiter.blockedForMs(keys)).toBe(MIN);
    advance(MIN);
    expect(limiter.blockedForMs(keys)).toBeUndefined();
    expect(limiter.size()).toBe(0); // forgotten once out of the window
  });

  it('counts per address and per name (case-insensitive), and a success forgets both', () => {
    const { limiter } = make();
    for (let i = 0; i < 5; i++) limiter.recordFailure(loginKeys('10.0.0.7', `name${i}`));
    expect(limiter.blockedForMs(loginKeys('10.0.0.7', 'fresh'))).toBeGreaterThan(0);
    expect(limiter.blockedForMs(loginKeys('10.0.0.8', 'fresh'))).toBeUndefined();
    for (let i = 0; i < 5; i++) limiter.recordFailure(loginKeys(`10.1.0.${i}`, 'ZhangSan'));
    expect(limiter.blockedForMs(loginKeys('10.9.9.9', 'zhangsan'))).toBeGreaterThan(0);
    limiter.recordSuccess(loginKeys('10.0.0.7', 'zhangsan'));
    expect(limiter.blockedForMs(loginKeys('10.0.0.7', 'zhangsan'))).toBeUndefined();
  });

  it('remembers at most maxKeys keys', () => {
    let now = 0;
    const limiter = new LoginRateLimiter(() => now, { maxKeys: 10 });
    for (let i = 0; i < 100; i++) {
      limiter.recordFailure([`name:${i}`]);
      now += 1;
    }
    expect(limiter.size()).toBe(10);
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
