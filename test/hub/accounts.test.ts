import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHubAccounts } from '../../hub/accounts/accounts.js';
import { AccountExistsError } from '../../hub/accounts/account-store.js';
import { policyWaitMs } from '../../hub/accounts/login-throttle.js';
import { DEFAULT_LOGIN_THROTTLE } from '../../node-daemon/auth/rate-limit.js';
import { backends, title, type Fixture } from './backends.js';

// The county's accounts, sessions and login throttle (hub/accounts) on both back ends, through the store's SQL port:
// the same statements and the same answers on SQLite and PostgreSQL, and shared by two stores on one database (two
// hub processes behind a load balancer).
const BACKENDS = await backends();
afterAll(async () => {
  for (const b of BACKENDS) await b.stop();
});

/** Cheap scrypt for tests (the rules are the same at any cost). */
const FAST = { log2N: 10, r: 8, p: 1 };

describe.each(BACKENDS.map((b) => [title(b), b] as const))('hub accounts on %s', (_label, backend) => {
  const skip = backend.skipReason !== undefined;
  let fx: Fixture | undefined;
  afterEach(async () => {
    await fx?.dispose();
    fx = undefined;
  });

  it.skipIf(skip)('creates accounts with unique names regardless of case, verifies passwords, lists them', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    let now = 1_000;
    const { accounts } = createHubAccounts(store.sql, { clock: () => now, scryptCost: FAST });
    expect(await accounts.count()).toBe(0);
    const zhang = await accounts.create('Zhang', 'river-rises-at-dawn', 'admin');
    expect(zhang).toEqual({ name: 'Zhang', role: 'admin', createdAt: 1_000, updatedAt: 1_000, disabledAt: null });
    await expect(accounts.create('zhang', 'another-long-one', 'viewer')).rejects.toBeInstanceOf(AccountExistsError);
    now = 2_000;
    await accounts.create('值班员', 'zhi-ban-yuan-1', 'duty');
    expect((await accounts.list()).map((a) => [a.name, a.role])).toEqual([
      ['Zhang', 'admin'],
      ['值班员', 'duty'],
    ]);
    expect((await accounts.verify('ZHANG', 'river-rises-at-dawn'))?.name).toBe('Zhang');
    expect(await accounts.verify('zhang', 'river-rises-at-dusk')).toBeUndefined();
    expect(await accounts.verify('nobody', 'river-rises-at-dawn')).toBeUndefined();
    // The stored hash is the box's scrypt format, never the password.
    const rows = await store.sql.all('SELECT password_hash FROM hub_accounts');
    for (const r of rows) expect(String(r.password_hash)).toMatch(/^scrypt\$10\$8\$1\$/);
  });

  it.skipIf(skip)('keeps one enabled admin; disabling or a new password ends sessions, a role change shows at once', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    const now = 5_000;
    const { accounts, sessions } = createHubAccounts(store.sql, { clock: () => now, scryptCost: FAST });
    await accounts.create('admin', 'river-rises-at-dawn', 'admin');
    await accounts.create('duty', 'zhi-ban-yuan-1', 'duty');
    expect(await accounts.change('admin', { role: 'duty' })).toEqual({ status: 'last_admin' });
    expect(await accounts.change('admin', { disabled: true })).toEqual({ status: 'last_admin' });
    expect(await accounts.change('ghost', { role: 'duty' })).toEqual({ status: 'not_found' });

    const s1 = await sessions.create('duty');
    const s2 = await sessions.create('DUTY');
    expect((await sessions.lookup(s1.id))?.role).toBe('duty');
    // Promoted: the live session has the new role (and the change ended the other sessions).
    const promoted = await accounts.change('duty', { role: 'admin' }, (await sessions.lookup(s1.id))?.idHash);
    expect(promoted.status).toBe('updated');
    expect((await sessions.lookup(s1.id))?.role).toBe('admin');
    expect(await sessions.lookup(s2.id)).toBeUndefined();
    // Now there are two admins: one may step down, and disabling the other is refused again.
    expect((await accounts.change('admin', { role: 'viewer' })).status).toBe('updated');
    expect(await accounts.change('duty', { disabled: true })).toEqual({ status: 'last_admin' });
    const s3 = await sessions.create('admin');
    expect((await accounts.change('admin', { disabled: true })).status).toBe('updated');
    expect(await sessions.lookup(s3.id)).toBeUndefined();
    expect(await accounts.verify('admin', 'river-rises-at-dawn')).toBeUndefined();
    const s4 = await sessions.create('duty');
    expect((await accounts.change('duty', { password: 'a-brand-new-phrase' })).status).toBe('updated');
    expect(await sessions.lookup(s4.id)).toBeUndefined();
    expect((await accounts.verify('duty', 'a-brand-new-phrase'))?.role).toBe('admin');
  });

  it.skipIf(skip)('sessions end when idle or past their absolute end, and only their hash is stored', async () => {
    fx = await backend.fixture();
    const store = await fx.open();
    let now = 0;
    const { accounts, sessions } = createHubAccounts(store.sql, { clock: () => now, scryptCost: FAST, sessions: { idleMs: 1_000, absoluteMs: 5_000, touchEveryMs: 100 } });
    await accounts.create('viewer', 'look-at-the-river', 'viewer');
    const s = await sessions.create('viewer');
    const stored = await store.sql.all('SELECT id_hash, csrf_token FROM hub_sessions');
    expect(stored).toHaveLength(1);
    expect(String(stored[0]?.id_hash)).not.toContain(s.id);
    expect(String(stored[0]?.id_hash)).toMatch(/^[0-9a-f]{64}$/);
    for (now = 500; now <= 4_500; now += 500) expect((await sessions.lookup(s.id))?.accountName).toBe('viewer');
    now = 5_000;
    expect(await sessions.lookup(s.id)).toBeUndefined();
    const idle = await sessions.create('viewer');
    now += 1_000;
    expect(await sessions.lookup(idle.id)).toBeUndefined();
    expect(await sessions.lookup('not-a-session')).toBeUndefined();
  });

  it.skipIf(skip)('two stores on one database share the login throttle (the box\'s policy: free tries, then doubling waits)', async () => {
    fx = await backend.fixture();
    const a = await fx.open();
    const b = await fx.open();
    let now = 10_000;
    const clock = (): number => now;
    const one = createHubAccounts(a.sql, { clock, scryptCost: FAST }).throttle;
    const two = createHubAccounts(b.sql, { clock, scryptCost: FAST }).throttle;
    const attempt = { address: '10.0.0.7', account: '["zhang",0]' };
    const free = DEFAULT_LOGIN_THROTTLE.perPair.freeFailures;
    for (let i = 0; i < free; i++) {
      const s = await (i % 2 === 0 ? one : two).recordFailure(attempt);
      expect(s.triesLeft).toBe(free - i - 1);
      expect(s.waitMs).toBe(0);
    }
    const sixth = await two.recordFailure(attempt);
    expect(sixth.waitMs).toBe(policyWaitMs(DEFAULT_LOGIN_THROTTLE.perPair, free + 1));
    expect(sixth.waitMs).toBe(DEFAULT_LOGIN_THROTTLE.perPair.baseDelayMs);
    expect((await one.check(attempt)).waitMs).toBe(sixth.waitMs);
    const seventh = await one.recordFailure(attempt);
    expect(seventh.waitMs).toBe(2 * DEFAULT_LOGIN_THROTTLE.perPair.baseDelayMs);
    // Another address is not held back by this one's failures.
    expect((await two.check({ address: '10.0.0.8', account: '["zhang",0]' })).waitMs).toBe(0);
    // Forgotten after forgetAfterMs without a failure.
    now += DEFAULT_LOGIN_THROTTLE.perPair.forgetAfterMs;
    expect(await two.check(attempt)).toEqual({ waitMs: 0, triesLeft: DEFAULT_LOGIN_THROTTLE.perPair.freeFailures });
  });
});
