// The hub's accounts over real HTTP on the real hub process (`fenghuo hub`, compiled, SQLite): the first admin made
// with the CLI (password on stdin), login with an HttpOnly SameSite=Strict cookie, CSRF on every change, the roles
// (a viewer cannot issue an order, duty can, settings only an admin, accounts only an admin), wrong passwords
// throttled (401 with triesLeft, then 429 with Retry-After, even for the right password), `account passwd` ending
// the sessions, and loopback reads without an account kept as before accounts existed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { freePort, launcher, startHubProcess, type RunningHub } from './http/cli-runner.js';

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code?: string; triesLeft?: number; retryAfterMs?: number } };
  headers: Headers;
}

/** A browser-like client: keeps the session cookie, sends X-CSRF-Token unless told not to. */
class Client {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}
  async req(method: string, path: string, body?: unknown, opts: { csrf?: boolean } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie !== '') headers.cookie = this.cookie;
    if (this.csrf !== '' && method !== 'GET' && opts.csrf !== false) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(this.base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0] ?? '';
      if (pair.startsWith('fenghuo_hub_session=')) this.cookie = pair.endsWith('=') ? '' : pair;
    }
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']), headers: res.headers };
  }
  async login(name: string, password: string): Promise<Answer> {
    const a = await this.req('POST', '/api/v1/auth/login', { name, password });
    if (a.status === 200) this.csrf = String(a.body.csrfToken);
    return a;
  }
}

function cli(cwd: string, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [launcher, ...args], { cwd, env: { ...process.env, LANG: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const ADMIN = { name: 'chief', password: 'river-rises-at-dawn' };
const DUTY = { name: '值班员', password: 'zhi-ban-yuan-1' };
const VIEWER = { name: 'look', password: 'zhi-kan-kan-22' };
const DRILL = { kind: 'county_alarm', body: { level: 'prepare', title: '县防指 演练', drill: true } };

describe('hub accounts and roles over HTTP (real hub process)', () => {
  let dir: string;
  let config: string;
  let hub: RunningHub;
  let base: string;

  beforeAll(async () => {
    await ensureDistBuilt();
    dir = mkdtempSync(join(tmpdir(), 'fenghuo-hub-accounts-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    config = join(dir, 'hub.yaml');
    writeFileSync(config, `listen: 127.0.0.1:${port}\ndataDir: ${join(dir, 'data')}\n`);
    // First run: the county makes its first admin on the hub machine.
    const weak = await cli(dir, ['hub', 'account', 'add', 'chief', '--role', 'admin', '--config', config], 'password123\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/common passwords/);
    const noRole = await cli(dir, ['hub', 'account', 'add', 'chief', '--config', config], `${ADMIN.password}\n`);
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toMatch(/--role viewer\|duty\|admin/);
    const made = await cli(dir, ['hub', 'account', 'add', ADMIN.name, '--role', 'admin', '--config', config], `${ADMIN.password}\n`);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('account chief (admin) created');
    hub = await startHubProcess(dir, config);
  }, 120_000);

  afterAll(async () => {
    await hub?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with a HttpOnly SameSite=Strict cookie; changes need the CSRF token; accounts are for admins', async () => {
    const anon = new Client(base);
    const state = await anon.req('GET', '/api/v1/auth/session');
    expect(state.status).toBe(200);
    expect(state.body).toEqual({});

    const admin = new Client(base);
    const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fenghuo_hub_session=')) ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    // A form post (not JSON) is refused.
    const form = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=chief&password=x' });
    expect(form.status).toBe(400);

    expect((await admin.login(ADMIN.name, ADMIN.password)).status).toBe(200);
    const me = await admin.req('GET', '/api/v1/auth/session');
    expect(me.body.account).toEqual({ name: 'chief', role: 'admin' });
    expect(me.body.csrfToken).toBe(admin.csrf);

    const noCsrf = await admin.req('POST', '/api/v1/accounts', { ...DUTY, role: 'duty' }, { csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error?.code).toBe('csrf');
    expect((await admin.req('POST', '/api/v1/accounts', { ...DUTY, role: 'duty' })).status).toBe(201);
    expect((await admin.req('POST', '/api/v1/accounts', { ...VIEWER, role: 'viewer' })).status).toBe(201);
    const taken = await admin.req('POST', '/api/v1/accounts', { name: 'LOOK', password: 'another-long-phrase', role: 'viewer' });
    expect(taken.status).toBe(409);
    const list = await admin.req('GET', '/api/v1/accounts');
    expect((list.body.accounts as { name: string; role: string }[]).map((a) => [a.name, a.role])).toEqual([
      ['chief', 'admin'],
      ['值班员', 'duty'],
      ['look', 'viewer'],
    ]);
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|password/);
    expect((await admin.req('PATCH', '/api/v1/accounts/chief', { role: 'duty' })).status).toBe(409);

    const duty = new Client(base);
    expect((await duty.login(DUTY.name, DUTY.password)).status).toBe(200);
    expect((await duty.req('GET', '/api/v1/accounts')).status).toBe(403);
  });

  it('a viewer cannot issue an order, duty can (a drill county alarm), settings only an admin', async () => {
    const viewer = new Client(base);
    const duty = new Client(base);
    const admin = new Client(base);
    expect((await viewer.login(VIEWER.name, VIEWER.password)).status).toBe(200);
    expect((await duty.login(DUTY.name, DUTY.password)).status).toBe(200);
    expect((await admin.login(ADMIN.name, ADMIN.password)).status).toBe(200);

    const byViewer = await viewer.req('POST', '/api/v1/orders', DRILL);
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error?.code).toBe('forbidden');
    const byDuty = await duty.req('POST', '/api/v1/orders', DRILL);
    expect(byDuty.status).toBe(201);
    const settings = { kind: 'settings', body: { section: 'alarms', value: { sites: [] } } };
    expect((await duty.req('POST', '/api/v1/orders', settings)).status).toBe(403);
    expect((await admin.req('POST', '/api/v1/orders', settings)).status).toBe(201);
    // The viewer reads the orders, and the drill names who issued it.
    const orders = await viewer.req('GET', '/api/v1/orders');
    expect(orders.status).toBe(200);
    const list = orders.body.orders as { kind: string; by: string; body: { drill?: boolean } }[];
    expect(list.find((o) => o.kind === 'county_alarm')).toMatchObject({ by: '值班员', body: { drill: true } });
    expect(list.find((o) => o.kind === 'settings')).toMatchObject({ by: 'chief' });
    // Logged out: the cookie no longer works (on loopback, reads fall back to the anonymous loopback viewer).
    expect((await duty.req('POST', '/api/v1/auth/logout')).status).toBe(204);
    expect((await duty.req('GET', '/api/v1/auth/session')).body.account).toBeUndefined();
    expect((await duty.req('POST', '/api/v1/orders', DRILL)).status).toBe(401);
    expect((await new Client(base).req('GET', '/api/v1/boxes')).status).toBe(200);
  });

  it('throttles wrong passwords (5 free per address and name, then waits), and passwd ends the sessions', async () => {
    const guesser = new Client(base);
    for (let i = 4; i >= 0; i--) {
      const a = await guesser.login(VIEWER.name, `wrong-guess-${i}`);
      expect(a.status).toBe(401);
      expect(a.body.error?.triesLeft).toBe(i);
    }
    const sixth = await guesser.login(VIEWER.name, 'wrong-guess-again');
    expect(sixth.status).toBe(401);
    expect(sixth.body.error?.retryAfterMs).toBeGreaterThan(0);
    const waiting = await guesser.login(VIEWER.name, VIEWER.password);
    expect(waiting.status).toBe(429);
    expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another account from the same address is not held back (the pair, not the address, has run out).
    expect((await new Client(base).login(DUTY.name, DUTY.password)).status).toBe(200);

    const viewer = new Client(base);
    await new Promise((r) => setTimeout(r, (sixth.body.error?.retryAfterMs ?? 1000) + 100));
    expect((await viewer.login(VIEWER.name, VIEWER.password)).status).toBe(200);
    const changed = await cli(dir, ['hub', 'account', 'passwd', 'LOOK', '--config', config], 'a-new-phrase-for-look\n');
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('password of look set');
    expect((await viewer.req('GET', '/api/v1/auth/session')).body.account).toBeUndefined();
    expect((await new Client(base).login(VIEWER.name, 'a-new-phrase-for-look')).status).toBe(200);
    const logged = hub.lines.filter((l) => l.event === 'hub.auth.login_failed');
    expect(logged.length).toBeGreaterThanOrEqual(7);
    expect(JSON.stringify(hub.lines)).not.toContain('wrong-guess');
  });
});
