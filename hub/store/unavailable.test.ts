import { describe, expect, it } from 'vitest';
import { storeUnavailable } from './unavailable.js';

describe('storeUnavailable', () => {
  it('knows a database that is away from a fault of the request', () => {
    expect(storeUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(storeUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(storeUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(storeUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(storeUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }))).toBe(true);
    expect(storeUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(storeUnavailable(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(storeUnavailable('ECONNREFUSED')).toBe(false);
  });
});
