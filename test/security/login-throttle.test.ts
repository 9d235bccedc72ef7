// Issue 10 item 2, on the real daemon (`bin/fenghuo.js run`, HTTP on 127.0.0.1): failed logins and unknown bearer
// tokens are throttled per client address and per (address, name), with growing delays, never per name alone, so a
// prankster at one desk cannot keep the operators out. The clients are real TCP connections from different source
// addresses of the loopback network (127.0.0.2, 127.0.0.3 ...): the daemon takes the client address from the socket.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_TOKEN, testHttpYaml } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { httpFrom, startDaemonAt, type HttpAnswer, type RunningDaemon } from './security-harness.js';

const ADMIN = { name: 'admin', password: 'flood-watch-admin-1' };

interface ErrorAnswer {
  error: { code: string; message: string; triesLeft?: number; retryAfterMs?: number };
}

describe('login and bearer-token throttling on the real daemon', () => {
  const tmp = tempDir('fenghuo-throttle-');
  let daemon: RunningDaemon;
  const login = (from: string, name: string, password: string, headers: Record<string, string> = {}): Promise<HttpAnswer> =>
    httpFrom(from, `${daemon.url}/api/v1/auth/login`, { json: { name, password }, headers });
  const errorOf = (a: HttpAnswer): ErrorAnswer['error'] => a.json<ErrorAnswer>().error;

  beforeAll(async () => {
    await ensureDistBuilt();
    const configFile = join(tmp.dir, 'site.yaml');
    writeFileSync(configFile, testHttpYaml());
    daemon = await startDaemonAt({ host: '127.0.0.1', configFile, dataDir: join(tmp.dir, 'data') });
    const setup = await httpFrom('127.0.0.1', `${daemon.url}/api/v1/auth/setup`, { json: ADMIN });
    expect(setup.status, setup.text).toBe(201);
  });

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('20 wrong passwords for admin from 127.0.0.2 never stop the admin logging in from 127.0.0.3', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await login('127.0.0.2', ADMIN.name, `wrong-guess-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429); // the prankster's own address is slowed down
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // Slowed down where the guesses came from, and a forwarded-for header does not change who the client is.
    expect((await login('127.0.0.2', ADMIN.name, ADMIN.password, { 'x-forwarded-for': '127.0.0.3' })).status).toBe(429);

    const wrong = await login('127.0.0.3', ADMIN.name, 'a-typo');
    expect(wrong.status).toBe(401);
    expect(errorOf(wrong).triesLeft).toBe(4);
    const ok = await login('127.0.0.3', ADMIN.name, ADMIN.password);
    expect(ok.status, ok.text).toBe(200);
  });

  it('a failed login says how many tries are left, then how long to wait (429, Retry-After, retryAfterMs)', async () => {
    const from = '127.0.0.4';
    const left: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await login(from, ADMIN.name, `guess-${i}`);
      expect(res.status).toBe(401);
      expect(errorOf(res).code).toBe('unauthenticated');
      left.push(errorOf(res).triesLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const sixth = await login(from, ADMIN.name, 'guess-5');
    expect(sixth.status).toBe(401);
    expect(errorOf(sixth)).toMatchObject({ triesLeft: 0, retryAfterMs: 1_000 });

    // Within the delay even the right password is not checked.
    const refused = await login(from, ADMIN.name, ADMIN.password);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    const body = errorOf(refused);
    expect(body.code).toBe('rate_limited');
    expect(body.triesLeft).toBe(0);
    expect(body.retryAfterMs).toBeGreaterThan(0);
    expect(body.retryAfterMs).toBeLessThanOrEqual(1_000);
    await daemon.waitForEvent('auth.login_failed', (e) => e.reason === 'rate_limited' && e.address === from);

    await new Promise((r) => setTimeout(r, (body.retryAfterMs ?? 0) + 50));
    const ok = await login(from, ADMIN.name, ADMIN.password);
    expect(ok.status, ok.text).toBe(200);
    // The success cleared this (address, name) pair: its free tries are back (and the address 3 of its 10).
    const next = await login(from, ADMIN.name, 'one-more-typo');
    expect(errorOf(next).triesLeft).toBe(3);
  });

  it('a known device (a live session) gets past its address being slowed down; others from that address wait', async () => {
    const from = '127.0.0.7';
    const session = await login('127.0.0.8', ADMIN.name, ADMIN.password);
    const cookie = session.headers['set-cookie']?.[0]?.split(';')[0];
    expect(cookie).toMatch(/^fenghuo_session=/);
    // Ten failures on made-up names are free for an address; the eleventh makes the address wait.
    for (let i = 0; i < 11; i++) expect((await login(from, `sprayed-${i}`, 'password1')).status).toBe(401);
    expect((await login(from, ADMIN.name, ADMIN.password)).status).toBe(429);
    const known = await login(from, ADMIN.name, ADMIN.password, { cookie: cookie! });
    expect(known.status, known.text).toBe(200);
  });

  it('unknown bearer tokens from one address get the same growing delay; a valid token from another address is not slowed', async () => {
    const alarms = `${daemon.url}/api/v1/alarms`;
    const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
    const left: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await httpFrom('127.0.0.5', alarms, { headers: bearer(`guessed-token-${i}`) });
      expect(res.status).toBe(401);
      left.push(errorOf(res).triesLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    expect(errorOf(await httpFrom('127.0.0.5', alarms, { headers: bearer('guessed-token-5') }))).toMatchObject({ retryAfterMs: 1_000 });
    const refused = await httpFrom('127.0.0.5', alarms, { headers: bearer(TEST_API_TOKEN) });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(errorOf(refused).code).toBe('rate_limited');
    await daemon.waitForEvent('auth.token_failed', (e) => e.reason === 'rate_limited' && e.address === '127.0.0.5');

    expect((await httpFrom('127.0.0.6', alarms, { headers: bearer(TEST_API_TOKEN) })).status).toBe(200);
    expect((await httpFrom('127.0.0.6', alarms, { headers: bearer('guessed-token-x') })).status).toBe(401);
  });
});
