// The real daemon (buildDaemon: SQLite file in a temp dir, HTTP on loopback) behind its auth layer: first-run
// setup, login, cookie flags, CSRF, roles on every route the OpenAPI document lists, bearer tokens, the login rate
// limit on an injected clock, sessions across a restart, logout, and what is stored in the database.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSessionId } from '../../node-daemon/auth/sessions.js';
import { buildDaemon, type Daemon } from '../../node-daemon/compose.js';
import { parseConfigText } from '../../node-daemon/config/load.js';
import { createLogger } from '../../node-daemon/core/log.js';
import { tempDir } from '../daemon/daemon-harness.js';
import { bearerHeaders, login, session, sessionCookieOf, TEST_API_TOKEN, testApiTokens, type ApiSession } from '../helpers/auth.js';

const ADMIN = { name: 'Wang.Admin', password: 'river-rises-at-dawn' };
const OPERATOR = { name: '值班员', password: 'operator-pass-1' };
const VIEWER = { name: 'viewer', password: 'viewer-pass-1' };
/** A throttle key with no failure for this long is forgotten (auth/rate-limit.ts DEFAULT_THROTTLE.forgetAfterMs). */
const FORGET_MS = 15 * 60_000;

/** Public routes by the contract; everything else needs a session or a token. */
const PUBLIC = new Set(['GET /api/v1/health', 'GET /api/v1/auth/state', 'POST /api/v1/auth/setup', 'POST /api/v1/auth/login', 'GET /api/v1/openapi.json']);

/** The role the contract's default policy asks of a route (written out here, not taken from the code under test). */
function expectedRole(method: string, path: string): 'viewer' | 'operator' | 'admin' {
  if (method === 'POST' && path === '/api/v1/auth/logout') return 'viewer';
  if (/^\/api\/v1\/(settings|users|audit)/.test(path)) return 'admin';
  return method === 'GET' ? 'viewer' : 'operator';
}

interface Route {
  readonly method: string;
  readonly path: string;
}

/** A concrete URL for an OpenAPI path template. */
function concrete(path: string): string {
  return path.replace(/\{id\}/g, '1').replace(/\{name\}/g, 'nobody').replace(/\{[^}]+\}/g, 'x');
}

describe('API auth on the real daemon', () => {
  const tmp = tempDir('fenghuo-security-');
  const logLines: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void logLines.push(s) } });
  let skew = 0;
  const clock = (): number => Date.now() + skew;
  let daemon: Daemon;
  let url: string;
  let admin: ApiSession;
  let operator: ApiSession;
  let viewer: ApiSession;
  let routes: Route[] = [];

  const start = async (): Promise<void> => {
    const parsed = parseConfigText(JSON.stringify({ http: { apiTokens: testApiTokens('viewer', 'operator') } }));
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.message).join('; '));
    daemon = buildDaemon({ config: parsed.config, dataDir: tmp.dir, listen: '127.0.0.1:0', log, clock });
    await daemon.start();
    url = daemon.url();
  };
  const call = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${url}${path}`, init);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const events = (name: string): Record<string, unknown>[] =>
    logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);
  /** An unknown bearer token's headers. Each one is a failure of this address: after its 5 free ones the throttle
   * would answer 429, so the clock first moves on until the throttle has forgotten them (it has its own tests). */
  let unknownTokens = 0;
  const unknownToken = (extra: Record<string, string> = {}): Record<string, string> => {
    if (unknownTokens++ % 5 === 0) skew += FORGET_MS;
    return { authorization: 'Bearer not-a-token', ...extra };
  };

  beforeAll(async () => {
    await start();
  });

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('first run: setup is required, refuses a short password, creates the admin once, then answers 409', async () => {
    // From the box itself (loopback) no setup code is asked, so the state does not name one.
    expect(await (await call('/api/v1/auth/state')).json()).toEqual({ setupRequired: true });
    const short = await post('/api/v1/auth/setup', { name: ADMIN.name, password: 'short' });
    expect(short.status).toBe(400);
    // A cross-site form cannot send JSON: anything else is refused before it is read.
    const form = await call('/api/v1/auth/setup', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=x&password=12345678' });
    expect(form.status).toBe(400);

    const res = await post('/api/v1/auth/setup', ADMIN);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { user: { name: string; role: string }; csrfToken: string };
    expect(body.user).toEqual({ name: ADMIN.name, role: 'admin' });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const again = await post('/api/v1/auth/setup', { name: 'intruder', password: 'intruder-pass' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect(await (await call('/api/v1/auth/state')).json()).toEqual({ setupRequired: false });
    expect(events('auth.setup')).toEqual([expect.objectContaining({ user: ADMIN.name })]);
  });

  it('login: 200 with the cookie and CSRF token; 401 for a wrong password or an unknown name', async () => {
    admin = await login(url, ADMIN.name, ADMIN.password);
    expect(admin.user).toEqual({ name: ADMIN.name, role: 'admin' });
    // Names compare regardless of case.
    const other = await login(url, ADMIN.name.toLowerCase(), ADMIN.password);
    expect(other.user.name).toBe(ADMIN.name);

    for (const attempt of [{ name: ADMIN.name, password: 'wrong-password' }, { name: 'nobody', password: ADMIN.password }]) {
      const res = await post('/api/v1/auth/login', attempt);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    expect(events('auth.login').length).toBeGreaterThanOrEqual(2);
    expect(events('auth.login_failed').map((e) => e.reason)).toEqual(['bad_credentials', 'bad_credentials']);
    // The password is never logged, in any line.
    expect(logLines.join('')).not.toContain(ADMIN.password);
    expect(logLines.join('')).not.toContain('wrong-password');

    const state = (await (await admin.fetch('/api/v1/auth/state')).json()) as { user: unknown; csrfToken: string };
    expect(state).toEqual({ setupRequired: false, user: { name: ADMIN.name, role: 'admin' }, csrfToken: admin.csrfToken });
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/, and Secure only behind https', async () => {
    const res = await post('/api/v1/auth/login', ADMIN);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fenghuo_session='))!;
    const attrs = cookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=strict');
    expect(attrs).toContain('path=/');
    expect(attrs).not.toContain('secure');
    expect(attrs.find((a) => a.startsWith('max-age='))).toBe(`max-age=${7 * 24 * 3600}`);
    const https = await post('/api/v1/auth/login', ADMIN, { 'x-forwarded-proto': 'https' });
    expect(https.headers.getSetCookie().find((c) => c.startsWith('fenghuo_session='))!.split(';').map((a) => a.trim())).toContain('Secure');
  });

  it('admin creates an operator and a viewer; names are unique regardless of case', async () => {
    for (const [u, role] of [[OPERATOR, 'operator'], [VIEWER, 'viewer']] as const) {
      const res = await admin.fetch('/api/v1/users', { method: 'POST', json: { ...u, role } });
      expect(res.status).toBe(201);
    }
    const dup = await admin.fetch('/api/v1/users', { method: 'POST', json: { name: 'VIEWER', password: 'another-pass', role: 'admin' } });
    expect(dup.status).toBe(409);
    operator = await login(url, OPERATOR.name, OPERATOR.password);
    viewer = await login(url, VIEWER.name, VIEWER.password);
    const list = (await (await admin.fetch('/api/v1/users')).json()) as { users: { name: string; role: string }[] };
    expect(list.users.map((u) => `${u.name}:${u.role}`)).toEqual([`${ADMIN.name}:admin`, `${OPERATOR.name}:operator`, `${VIEWER.name}:viewer`]);
  });

  it('the OpenAPI document lists the auth routes and the cookie and bearer security schemes', async () => {
    const doc = (await (await call('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
      security: unknown[];
    };
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'fenghuo_session' });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ session: [] }, { bearer: [] }]);
    routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => ({ method: m.toUpperCase(), path })));
    for (const r of ['POST /api/v1/auth/logout', 'GET /api/v1/users', 'POST /api/v1/users', 'DELETE /api/v1/users/{name}', 'POST /api/v1/users/{name}/password', 'POST /api/v1/alarms']) {
      expect(routes.map((x) => `${x.method} ${x.path}`)).toContain(r);
    }
    for (const [path, item] of Object.entries(doc.paths)) {
      // Public operations opt out of the global requirement with `security: []`; the others inherit it.
      for (const [m, op] of Object.entries(item)) expect(op.security, `${m} ${path}`).toEqual(PUBLIC.has(`${m.toUpperCase()} ${path}`) ? [] : undefined);
    }
  });

  it('every mutating route: 401 without a session, 403 csrf without or with a wrong token, 403 for a too-low role, accepted with the right role and token', async () => {
    const mutating = routes.filter((r) => r.method !== 'GET' && !PUBLIC.has(`${r.method} ${r.path}`));
    expect(mutating.length).toBeGreaterThanOrEqual(8);
    const send = (r: Route, headers: Record<string, string>): Promise<Response> =>
      call(concrete(r.path), { method: r.method, headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    const codeOf = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code;
    for (const r of mutating) {
      const what = `${r.method} ${r.path}`;
      const none = await send(r, {});
      expect(none.status, what).toBe(401);
      expect(await codeOf(none), what).toBe('unauthenticated');

      const role = expectedRole(r.method, r.path);
      const right = role === 'admin' ? admin : operator;
      const noCsrf = await send(r, { cookie: right.cookie });
      expect(noCsrf.status, what).toBe(403);
      expect(await codeOf(noCsrf), what).toBe('csrf');
      const badCsrf = await send(r, { cookie: right.cookie, 'x-csrf-token': viewer.csrfToken });
      expect(badCsrf.status, what).toBe(403);
      expect(await codeOf(badCsrf), what).toBe('csrf');

      if (role !== 'viewer') {
        const low = await send(r, viewer.headers(r.method));
        expect(low.status, what).toBe(403);
        expect(await codeOf(low), what).toBe('forbidden');
        if (role === 'admin') {
          const op = await send(r, operator.headers(r.method));
          expect(op.status, what).toBe(403);
        }
      }
      if (r.path === '/api/v1/auth/logout') continue; // accepted in the logout test (it would end the session here)
      const ok = await send(r, right.headers(r.method));
      expect([401, 403], `${what} with ${role} + CSRF token answered ${ok.status}`).not.toContain(ok.status);
    }
  });

  it('every GET but the public ones: 401 without a session or with an unknown bearer token; admin GETs refuse a viewer', async () => {
    const gets = routes.filter((r) => r.method === 'GET' && !PUBLIC.has(`GET ${r.path}`));
    expect(gets.length).toBeGreaterThanOrEqual(5);
    for (const r of gets) {
      const what = `GET ${r.path}`;
      expect((await call(concrete(r.path))).status, what).toBe(401);
      expect((await call(concrete(r.path), { headers: unknownToken() })).status, what).toBe(401);
      // An unknown token is refused even next to a valid cookie: it is never passed over.
      expect((await call(concrete(r.path), { headers: unknownToken({ cookie: admin.cookie }) })).status, what).toBe(401);
      if (expectedRole('GET', r.path) === 'admin') expect((await call(concrete(r.path), { headers: viewer.headers() })).status, what).toBe(403);
    }
    for (const r of routes.filter((x) => PUBLIC.has(`${x.method} ${x.path}`) && x.method === 'GET')) {
      expect((await call(r.path)).status, r.path).toBe(200);
    }
    // The router decodes %75 to u: the policy must see the same path.
    expect((await call('/api/v1/%75sers', { headers: operator.headers() })).status).toBe(403);
    expect((await call('/api/v1/%75sers', { headers: admin.headers() })).status).toBe(200);
  });

  it('a bearer token acts with its role and needs no CSRF token', async () => {
    const drill = { level: 'prepare', drill: true, by: 'county', title: 'token drill' };
    const asAdmin = await post('/api/v1/alarms', drill, bearerHeaders());
    expect(asAdmin.status).toBe(201);
    expect((await call('/api/v1/users', { headers: bearerHeaders() })).status).toBe(200);
    const asViewer = await post('/api/v1/alarms', drill, bearerHeaders(`${TEST_API_TOKEN}-viewer`));
    expect(asViewer.status).toBe(403);
    expect((await call('/api/v1/alarms', { headers: bearerHeaders(`${TEST_API_TOKEN}-viewer`) })).status).toBe(200);
    expect((await call('/api/v1/users', { headers: bearerHeaders(`${TEST_API_TOKEN}-operator`) })).status).toBe(403);
    const state = (await (await call('/api/v1/auth/state', { headers: bearerHeaders(`${TEST_API_TOKEN}-operator`) })).json()) as Record<string, unknown>;
    expect(state).toEqual({ setupRequired: false, user: { name: 'token:test-operator', role: 'operator' } });
  });

  it('rate limit per (address, name): 5 free failures counting triesLeft, then waits of 1 s, 2 s, 4 s … up to 5 min (429, Retry-After); a success clears it', async () => {
    skew += FORGET_MS; // the failures of the tests above are forgotten
    const fail = async (): Promise<{ status: number; error: { code: string; triesLeft?: number; retryAfterMs?: number } }> => {
      const res = await post('/api/v1/auth/login', { name: VIEWER.name, password: 'a-wrong-guess' });
      return { status: res.status, error: ((await res.json()) as { error: { code: string; triesLeft?: number; retryAfterMs?: number } }).error };
    };
    const left: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fail();
      expect(res.status).toBe(401);
      expect(res.error.retryAfterMs).toBeUndefined();
      left.push(res.error.triesLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const waits: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await fail();
      expect(res.status).toBe(401);
      const wait = res.error.retryAfterMs!;
      waits.push(wait);
      // Within the wait even the right password is not checked; the wait counts down on the box's clock.
      skew += wait - 1_000;
      const early = await post('/api/v1/auth/login', VIEWER);
      expect(early.status).toBe(429);
      expect(early.headers.get('retry-after')).toBe('1');
      expect(await early.json()).toMatchObject({ error: { code: 'rate_limited', triesLeft: 0 } });
      skew += 1_000;
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map((s) => s * 1_000));
    // One more failure: the pair now waits 300 s, the address (its 17th failure, 10 free) 64 s.
    expect((await fail()).error.retryAfterMs).toBe(300_000);
    skew += 64_000;
    expect((await post('/api/v1/auth/login', VIEWER)).status).toBe(429);
    // A new password (here by the admin; the console's reset-password does the same) starts the pair afresh.
    const reset = async (password: string): Promise<void> =>
      void expect((await admin.fetch(`/api/v1/users/${VIEWER.name}/password`, { method: 'POST', json: { password } })).status).toBe(204);
    await reset('viewer-interim-pass');
    expect((await post('/api/v1/auth/login', { name: VIEWER.name, password: 'viewer-interim-pass' })).status).toBe(200);
    await reset(VIEWER.password);
    expect((await post('/api/v1/auth/login', VIEWER)).status).toBe(200);
    // The success cleared the pair: 5 free tries again (the address has its own count, forgotten after 15 quiet minutes).
    skew += FORGET_MS;
    expect((await fail()).error.triesLeft).toBe(4);
    expect(events('auth.login_failed').some((e) => e.reason === 'rate_limited' && e.user === VIEWER.name)).toBe(true);
  });

  it('rate limit per client address: 10 failures on any names make the address wait, for every name', async () => {
    skew += FORGET_MS;
    for (let i = 0; i < 10; i++) expect((await post('/api/v1/auth/login', { name: `sprayed-${i}`, password: 'password1' })).status).toBe(401);
    const eleventh = await post('/api/v1/auth/login', { name: 'sprayed-10', password: 'password1' });
    expect(await eleventh.json()).toMatchObject({ error: { code: 'unauthenticated', triesLeft: 0, retryAfterMs: 1_000 } });
    expect((await post('/api/v1/auth/login', OPERATOR)).status).toBe(429);
    skew += 1_000;
    expect((await post('/api/v1/auth/login', OPERATOR)).status).toBe(200);
    expect(events('auth.login_failed').some((e) => e.reason === 'rate_limited' && e.address === '127.0.0.1')).toBe(true);
  });

  it('stores passwords only as scrypt hashes and sessions only by the hash of their id', () => {
    const db = new Database(join(tmp.dir, 'fenghuo.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT name, password_hash FROM users').all() as { name: string; password_hash: string }[];
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.password_hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
        for (const u of [ADMIN, OPERATOR, VIEWER]) expect(row.password_hash).not.toContain(u.password);
      }
      expect(new Set(rows.map((r) => r.password_hash.split('$')[4])).size).toBe(3); // a salt per user
      const id = admin.cookie.split('=')[1]!;
      const sessions = db.prepare('SELECT id_hash FROM sessions').all() as { id_hash: string }[];
      expect(sessions.map((s) => s.id_hash)).toContain(hashSessionId(id));
      expect(sessions.some((s) => s.id_hash === id)).toBe(false);
    } finally {
      db.close();
    }
  });

  it('sessions survive a restart on the same database file', async () => {
    await daemon.stop();
    await start();
    // The same cookies, sent to the new process (it listens on a new port).
    const again = (s: ApiSession): ApiSession => session(url, s.cookie, s.csrfToken, s.user);
    [admin, operator, viewer] = [again(admin), again(operator), again(viewer)];
    expect((await admin.fetch('/api/v1/users')).status).toBe(200);
    expect((await operator.fetch('/api/v1/alarms', { method: 'POST', json: { level: 'prepare', drill: true, by: OPERATOR.name } })).status).toBeLessThan(300);
  });

  it('changing a password ends that user\'s sessions; deleting a user too; the last admin stays', async () => {
    expect((await admin.fetch(`/api/v1/users/${encodeURIComponent(VIEWER.name)}/password`, { method: 'POST', json: { password: 'a-new-viewer-pass' } })).status).toBe(204);
    expect((await viewer.fetch('/api/v1/alarms')).status).toBe(401);
    expect((await post('/api/v1/auth/login', VIEWER)).status).toBe(401);
    const again = await login(url, VIEWER.name, 'a-new-viewer-pass');
    expect((await admin.fetch(`/api/v1/users/${VIEWER.name}`, { method: 'DELETE' })).status).toBe(204);
    expect((await again.fetch('/api/v1/alarms')).status).toBe(401);
    expect((await admin.fetch(`/api/v1/users/${encodeURIComponent(ADMIN.name)}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('logout ends the session and clears the cookie; an idle session expires', async () => {
    const res = await operator.fetch('/api/v1/auth/logout', { method: 'POST' });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().find((c) => c.startsWith('fenghuo_session='))).toMatch(/^fenghuo_session=;.*Max-Age=0/);
    expect((await operator.fetch('/api/v1/alarms')).status).toBe(401);
    expect(await (await operator.fetch('/api/v1/auth/state')).json()).toEqual({ setupRequired: false });
    expect(sessionCookieOf(await post('/api/v1/auth/login', ADMIN))).toMatch(/^fenghuo_session=/);

    skew += 12 * 3_600_000 + 1_000;
    expect((await admin.fetch('/api/v1/alarms')).status).toBe(401);
  });
});
