import { describe, expect, it } from 'vitest';
import { loginRefusal } from './auth-refusal.js';

describe('loginRefusal', () => {
  it('a wrong password with or without triesLeft (read from the error object only)', () => {
    expect(loginRefusal(401, { error: { code: 'unauthenticated', message: 'x' } }, undefined)).toEqual({ bad: true });
    expect(loginRefusal(401, { error: { code: 'unauthenticated', message: 'x', triesLeft: 2 } }, undefined)).toEqual({ bad: true, triesLeft: 2 });
    expect(loginRefusal(401, { error: { code: 'unauthenticated' }, triesLeft: 0 }, undefined)).toEqual({ bad: true });
    expect(loginRefusal(401, { error: { triesLeft: 'two' } }, undefined)).toEqual({ bad: true });
    expect(loginRefusal(401, undefined, undefined)).toEqual({ bad: true });
  });

  it('a wrong password that started a wait says how long (retryAfterMs on the 401)', () => {
    expect(loginRefusal(401, { error: { code: 'unauthenticated', triesLeft: 0, retryAfterMs: 1000 } }, undefined)).toEqual({ bad: true, triesLeft: 0, waitS: 1 });
    expect(loginRefusal(401, { error: { triesLeft: 0, retryAfterMs: 0 } }, undefined)).toEqual({ bad: true, triesLeft: 0 });
  });

  it('too many tries: retryAfterMs rounded up to whole seconds, else the Retry-After header, else a minute', () => {
    expect(loginRefusal(429, { error: { code: 'rate_limited', retryAfterMs: 42_100, triesLeft: 0 } }, 43)).toEqual({ bad: false, waitS: 43 });
    expect(loginRefusal(429, { error: { retryAfterMs: 300 } }, undefined)).toEqual({ bad: false, waitS: 1 });
    expect(loginRefusal(429, { retryAfterMs: 300 }, undefined)).toEqual({ bad: false, waitS: 60 });
    expect(loginRefusal(429, { error: { code: 'rate_limited' } }, 17)).toEqual({ bad: false, waitS: 17 });
    expect(loginRefusal(429, undefined, undefined)).toEqual({ bad: false, waitS: 60 });
  });

  it('anything else is not a refusal of the password', () => {
    expect(loginRefusal(500, { error: { triesLeft: 1 } }, undefined)).toBeUndefined();
    expect(loginRefusal(0, undefined, undefined)).toBeUndefined();
  });
});
