// Issue 10 items 1 and 5, on the real daemon (`bin/fenghuo.js run`, HTTP on 127.0.0.1, a fresh SQLite file):
// - request bodies are limited while they stream in, before anything parses them: a 200 MB body (declared with
//   Content-Length, or chunked without one) is answered 413 at once and the daemon's RSS (/proc/<pid>/status) stays
//   where it was; a body within its route's limit still arrives whole;
// - a live event stream (GET /api/v1/events) ends when the session that opened it ends (logout, password reset,
//   account deleted);
// - every answer says X-Content-Type-Options: nosniff, and the page has a strict Content-Security-Policy;
// - a new password may not be all whitespace nor one of the commonest passwords, wherever a password is set.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerHeaders, login, setupFirstAdmin, type ApiSession } from '../helpers/auth.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { startDaemon, tempDir, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';

const ADMIN = { name: 'admin', password: 'flood-gate-keeper-7' };
const DUTY = { name: 'duty', password: 'night-shift-on-river' };
const SPARE = { name: 'spare', password: 'spare-key-under-mat' };
const MB = 1024 * 1024;
const HUGE = 200 * MB;

interface ErrorAnswer {
  error: { code: string; param?: string; message: string };
}

/** The process's resident set in bytes, as the kernel counts it. */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

interface BigAnswer {
  status: number;
  body: string;
  /** How much of the body had been handed to the socket when the answer came. */
  sentWhenAnswered: number;
  ms: number;
}

/**
 * POSTs `total` bytes to `url` with node:http, 64 KiB at a time, honouring backpressure, and stops sending as soon as
 * an answer arrives. `chunked`: no Content-Length (Transfer-Encoding: chunked). Errors after the answer (the server
 * closing the connection on a body it refused) are expected and ignored.
 */
function postBig(url: string, total: number, chunked: boolean): Promise<BigAnswer> {
  const started = Date.now();
  const chunk = Buffer.alloc(64 * 1024, '{"name":"admin","password":"'.padEnd(64, 'x'));
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(total) }) },
    });
    const giveUp = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within 60 s (sent ${sent} bytes)`));
    }, 60_000);
    req.on('response', (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (body += s));
      res.on('end', () => {
        clearTimeout(giveUp);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, sentWhenAnswered, ms: Date.now() - started });
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => {
      if (answered) return;
      clearTimeout(giveUp);
      reject(new Error(`the request failed before any answer, after ${sent} bytes: ${err.message}`));
    });
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** An open GET /api/v1/events: waits for `hello`, then `ended()` resolves with the ms until the server closes it. */
async function openEvents(url: string, headers: Record<string, string>): Promise<{ ended(timeoutMs: number): Promise<number>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: hello')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended before hello');
    text += decoder.decode(value, { stream: true });
  }
  return {
    async ended(timeoutMs) {
      const from = Date.now();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      try {
        for (;;) {
          const { done } = await reader.read();
          if (done) return Date.now() - from;
        }
      } catch {
        throw new Error(`the stream was still open after ${timeoutMs} ms`);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => abort.abort(),
  };
}

describe('first-run setup on the real daemon', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let d: DaemonProcess;
  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${d.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    await ensureDistBuilt();
    tmp = tempDir('fenghuo-doors-setup-');
    d = await startDaemon({ configFile: writeConfig(tmp.dir, ''), dataDir: `${tmp.dir}/data` });
  }, 180_000);

  afterAll(async () => {
    await d?.sigterm();
    tmp?.cleanup();
  });

  it('first-run setup refuses all-whitespace and the commonest passwords, saying why; then a good one works', async () => {
    for (const password of ['password', 'Password1', '12345678', 'woaini1314', 'QWERTYUIOP', '        ', ' \t \u3000  \t  ']) {
      const res = await post('/api/v1/auth/setup', { name: ADMIN.name, password });
      expect(res.status, JSON.stringify(password)).toBe(400);
      const body = (await res.json()) as ErrorAnswer;
      expect(body.error.code).toBe('bad_request');
      expect(body.error.param).toBe('password');
      expect(body.error.message, JSON.stringify(password)).toMatch(password.trim() === '' ? /whitespace/ : /common/);
    }
    expect(await (await fetch(`${d.url}/api/v1/auth/state`)).json()).toEqual({ setupRequired: true });
    expect((await setupFirstAdmin(d.url, ADMIN)).user).toEqual({ name: ADMIN.name, role: 'admin' });
  });
});

describe('doors: request bodies, live streams, headers and passwords on the real daemon', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let d: DaemonProcess;
  let admin: ApiSession;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${d.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    await ensureDistBuilt();
    tmp = tempDir('fenghuo-doors-');
    const configFile = writeConfig(tmp.dir, '');
    d = await startDaemon({ configFile, dataDir: `${tmp.dir}/data` });
    admin = await setupFirstAdmin(d.url, ADMIN);
    for (const u of [DUTY, SPARE]) expect((await admin.fetch('/api/v1/users', { method: 'POST', json: { ...u, role: 'operator' } })).status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await d?.sigterm();
    tmp?.cleanup();
  });

  it('creating an account and setting a password refuse them too', async () => {
    const weak = await admin.fetch('/api/v1/users', { method: 'POST', json: { name: 'newbie', password: 'iloveyou', role: 'operator' } });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as ErrorAnswer).error).toMatchObject({ code: 'bad_request', param: 'password', message: expect.stringMatching(/common/) });
    for (const password of ['88888888', 'Admin123', '          ']) {
      const res = await admin.fetch(`/api/v1/users/${SPARE.name}/password`, { method: 'POST', json: { password } });
      expect(res.status, JSON.stringify(password)).toBe(400);
      expect(((await res.json()) as ErrorAnswer).error.param).toBe('password');
    }
    // The old password still works: nothing was changed by the refused attempts.
    expect((await login(d.url, SPARE.name, SPARE.password)).user.name).toBe(SPARE.name);
  });

  for (const chunked of [false, true]) {
    it(`an unauthenticated 200 MB login body ${chunked ? 'sent chunked' : 'with Content-Length'} is refused 413 at once; the daemon's memory does not grow`, async () => {
      // Warm the same path first, so the baseline includes what any login request costs.
      expect((await post('/api/v1/auth/login', { name: 'nobody' })).status).toBe(400);
      const before = rssBytes(d.pid);
      const answer = await postBig(`${d.url}/api/v1/auth/login`, HUGE, chunked);
      // Anything the daemon still did with the body after answering would show by now.
      await new Promise((r) => setTimeout(r, 300));
      const after = rssBytes(d.pid);
      const report = `RSS ${(before / MB).toFixed(1)} MB → ${(after / MB).toFixed(1)} MB; HTTP ${answer.status} after ${answer.ms} ms with ${(answer.sentWhenAnswered / MB).toFixed(1)} MB sent`;
      expect(after - before, report).toBeLessThan(8 * MB);
      // Answered long before the body was through: the daemon did not wait to read it.
      expect(answer.sentWhenAnswered, report).toBeLessThan(HUGE / 4);
      expect(answer.ms, report).toBeLessThan(5_000);
      expect(answer.status, answer.body).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({ error: { code: 'payload_too_large', message: expect.stringMatching(/65536 bytes/) } });
      expect(d.exited()).toBe(false);
    }, 90_000);
  }

  it('a Content-Length over the limit with Expect: 100-continue is refused before the body is asked for', async () => {
    const answer = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(`${d.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(HUGE), expect: '100-continue' },
      });
      req.on('continue', () => (continued = true));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, continued });
        });
      });
      req.on('error', reject);
      setTimeout(() => {
        req.destroy();
        reject(new Error(`no answer within 10 s${continued ? ' (the daemon asked for the body: 100 Continue)' : ''}`));
      }, 10_000);
      req.flushHeaders();
    });
    expect(answer).toEqual({ status: 413, continued: false });
  });

  it('normal logins still work, a body within the limit arrives whole, and the settings route takes its larger sections', async () => {
    const s = await login(d.url, ADMIN.name, ADMIN.password);
    expect(s.user).toEqual({ name: ADMIN.name, role: 'admin' });
    // 100 KB: over the 64 KiB of ordinary routes, within the settings route's limit (its sections are big).
    const padding = 'x'.repeat(100_000);
    const alarm = await s.fetch('/api/v1/alarms', { method: 'POST', json: { level: 'prepare', drill: true, by: 'test', title: padding } });
    expect(alarm.status).toBe(413);
    const settings = await s.fetch('/api/v1/settings/alarms', { method: 'PUT', json: { sites: [], padding } });
    // Read whole and judged by the settings schema (an unknown key), not refused for its size.
    expect(settings.status).toBe(400);
    expect(((await settings.json()) as ErrorAnswer).error.code).toBe('bad_request');
    // A chunked body within the limit is read whole too.
    const chunkedLogin = await fetch(`${d.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([JSON.stringify(ADMIN)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunkedLogin.status).toBe(200);
  });

  it('a live event stream ends within seconds when its session logs out', async () => {
    const duty = await login(d.url, DUTY.name, DUTY.password);
    const stream = await openEvents(d.url, duty.headers());
    expect((await duty.fetch('/api/v1/auth/logout', { method: 'POST' })).status).toBe(204);
    expect(await stream.ended(5_000)).toBeLessThan(5_000);
  });

  it('… when an admin resets the password, and when the account is deleted; a token stream stays open', async () => {
    const duty = await login(d.url, DUTY.name, DUTY.password);
    const stream = await openEvents(d.url, duty.headers());
    const token = await openEvents(d.url, bearerHeaders());
    const newPassword = 'tide-table-at-noon';
    expect((await admin.fetch(`/api/v1/users/${DUTY.name}/password`, { method: 'POST', json: { password: newPassword } })).status).toBe(204);
    expect(await stream.ended(5_000)).toBeLessThan(5_000);

    const again = await login(d.url, DUTY.name, newPassword);
    const second = await openEvents(d.url, again.headers());
    expect((await admin.fetch(`/api/v1/users/${DUTY.name}`, { method: 'DELETE' })).status).toBe(204);
    expect(await second.ended(5_000)).toBeLessThan(5_000);

    // The admin's own stream and the token's were never touched.
    await expect(token.ended(500)).rejects.toThrow(/still open/);
  });

  it('every answer says X-Content-Type-Options: nosniff; the page has a strict CSP', async () => {
    const answers = [
      await fetch(`${d.url}/api/v1/health`),
      await fetch(`${d.url}/api/v1/alarms`),
      await fetch(`${d.url}/api/v1/nothing-here`),
      await post('/api/v1/auth/login', { name: 'x' }),
      await fetch(`${d.url}/`),
      await fetch(`${d.url}/no-such-file.js`),
    ];
    for (const res of answers) expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
    const page = answers[4]!;
    const csp = (page.headers.get('content-security-policy') ?? '').split(';').map((s) => s.trim());
    for (const directive of ["default-src 'self'", "connect-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) {
      expect(csp).toContain(directive);
    }
    const styles = csp.find((s) => s.startsWith('style-src '));
    expect(styles).toBeDefined();
    expect(styles).not.toContain("'unsafe-inline'");
    // Inline scripts only by hash (the boot script and the main bundle inside index.html): exactly the page's own.
    const scripts = (csp.find((s) => s.startsWith('script-src ')) ?? '').split(' ').slice(1);
    expect(scripts[0]).toBe("'self'");
    const html = await page.text();
    const own = [...html.matchAll(/<script\b(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    expect(scripts.slice(1)).toEqual(own);
    expect(csp.join('; ')).not.toContain("'unsafe-inline'");
  });
});
