// Browser-test harness: Debian's chromium driven by playwright-core (never a downloaded browser), the real daemon
// started from the compiled CLI on its embedded demo, screenshots under test-artifacts/, and axe-core run in the page.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { AxeResults, ImpactValue, Result } from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { freePort } from '../../node-daemon/core/free-port.js';
import { ensureDistBuilt, withBuildLock } from '../helpers/dist-build.js';

export const root = packageRoot();
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(root, 'test-artifacts');
export const SCREENSHOTS = join(ARTIFACTS, 'screenshots');

/** The two screen sizes the township's devices have: an old Android tablet held upright, and a small laptop. */
export const VIEWPORTS = [
  { name: '800x1280', width: 800, height: 1280 },
  { name: '1024x768', width: 1024, height: 768 },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's chromium, headless, with a fresh temporary profile (playwright makes one per launch and removes it). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk (the tests never download a browser)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

// ---------------------------------------------------------------------------------------------------------------
// The web UI bundle

const run = promisify(execFile);

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * dist/ (tsc) fresh, and dist/web-ui/ (Vite) built when missing or older than web-ui/ sources. `npm test` builds both
 * already; this covers a browser test run on its own after an edit. One builder at a time, under a lock dir.
 */
export async function ensureBuilt(): Promise<void> {
  await ensureDistBuilt();
  const src = join(root, 'web-ui');
  const index = join(root, 'dist', 'web-ui', 'index.html');
  const stale = (): boolean => !existsSync(index) || statSync(index).mtimeMs < newestMtime(src);
  if (!existsSync(join(src, 'index.html')) || !stale()) return;
  await withBuildLock('web-ui', async () => {
    if (!stale()) return;
    await run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(src, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: root });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The daemon

export interface LogLine {
  event?: string;
  [key: string]: unknown;
}

export interface Daemon {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The temp dir holding its data dir; removed by stop(). */
  readonly dir: string;
  /** Every JSON log line it printed so far, in order. */
  readonly logs: LogLine[];
  readonly stderr: string[];
  /** Resolves with the first log line (already printed or to come) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  /** SIGTERM, wait for the exit, remove the temp dir; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface DaemonOptions {
  /** FENGHUO_DEMO_SPEED_UP: series time per wall-clock time. At S the Mason gauge reaches 准备转移 after 22800/S s. */
  speedUp: number;
  env?: Record<string, string>;
  /** More arguments of `fenghuo run`, e.g. `--with FILE` (sections added to the demo's config). */
  args?: readonly string[];
}

const bin = join(root, 'bin', 'fenghuo.js');

/** The real daemon from the compiled CLI, on its embedded demo, with a fresh data dir and a free port. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-browser-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [bin, 'run', '--data', join(dir, 'data'), '--listen', `127.0.0.1:${port}`, ...(opts.args ?? [])], {
    cwd: dir,
    env: { ...process.env, FENGHUO_DEMO_SPEED_UP: String(opts.speedUp), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    let line: LogLine;
    try {
      line = JSON.parse(l) as LogLine;
    } catch {
      return; // not a log line
    }
    if (typeof line !== 'object' || line === null) return;
    logs.push(line);
    for (const w of [...waiters]) w(line);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs: number, what = 'log line'): Promise<LogLine> => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
      };
      const waiter = (line: LogLine): void => {
        if (!match(line)) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} from the daemon within ${timeoutMs} ms; last events: ${logs.slice(-8).map((l) => l.event).join(', ')}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((code) => {
        if (!waiters.has(waiter)) return;
        done();
        reject(new Error(`daemon exited with ${code} while waiting for ${what}: ${stderr.slice(-20).join('\n')}`));
      });
    });
  };

  let started: LogLine;
  try {
    started = await waitForLog((l) => l.event === 'daemon.started', 30_000, 'daemon.started');
  } catch (err) {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = String(started.url);
  return {
    url,
    dir,
    logs,
    stderr,
    waitForLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A cookie session against the API, as the UI has one (cookie + X-CSRF-Token), from Node's fetch.

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiSession {
  private cookie = '';
  private csrf = '';

  constructor(readonly base: string) {}

  /** POST /api/v1/auth/login; throws unless 200. */
  static async login(base: string, name: string, password: string): Promise<ApiSession> {
    const s = new ApiSession(base);
    const res = await s.request<{ csrfToken?: string }>('POST', '/api/v1/auth/login', { name, password });
    if (res.status !== 200) throw new Error(`login as ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    s.csrf = String(res.body.csrfToken ?? '');
    return s;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, opts: { csrf?: boolean } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== 'GET' && opts.csrf !== false) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(new URL(path, this.base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0] ?? '';
      if (pair.startsWith('fenghuo_session=')) this.cookie = pair;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Screenshots and accessibility

/** Saves a full-page PNG at test-artifacts/screenshots/<viewport>/<page>.png and returns its path. */
/** The accounts the browser tests create: each test file's daemon starts empty and makes them. */
export const ADMIN = { name: 'admin', password: 'zhan-zhang-2026' } as const;
export const OPERATOR = { name: 'duty', password: 'zhi-ban-yuan-1' } as const;
export const VIEWER = { name: 'look', password: 'zhi-kan-kan-22' } as const;

/** Signs in through the login page at `url` and waits until the page shows who is signed in. */
export async function loginUi(page: Page, url: string, user: { readonly name: string; readonly password: string }): Promise<void> {
  await page.goto(url);
  await page.getByTestId('login-form').waitFor();
  await page.getByTestId('login-name').fill(user.name);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();
}

export async function screenshot(page: Page, viewport: string, name: string): Promise<string> {
  const dir = join(SCREENSHOTS, viewport);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/**
 * The little of the DOM that the functions below run inside the page use. The project's tsconfig has no "dom" lib
 * (it is Node code); these shapes keep page.evaluate() callbacks typed without pulling DOM types into every file.
 */
export interface PageElement {
  tagName: string;
  className: unknown;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number; width: number; height: number };
}
export interface PageGlobals {
  document: {
    documentElement: { clientWidth: number; scrollWidth: number };
    body: { querySelectorAll(selector: string): ArrayLike<PageElement> };
  };
  axe?: { run(context: unknown, options: object): Promise<AxeResults> };
}

/** How far the page is wider than the viewport (0 when nothing overflows sideways), and which elements stick out. */
export async function horizontalOverflow(page: Page): Promise<{ px: number; culprits: string[] }> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    const width = document.documentElement.clientWidth;
    const px = Math.max(0, document.documentElement.scrollWidth - width);
    const culprits: string[] = [];
    if (px > 0) {
      for (const el of Array.from(document.body.querySelectorAll('*'))) {
        const r = el.getBoundingClientRect();
        if (r.right > width + 1 && r.width > 0 && culprits.length < 8) {
          const id = el.getAttribute('data-testid');
          const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
          culprits.push(`${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''}${cls} right=${Math.round(r.right)}`);
        }
      }
    }
    return { px, culprits };
  });
}

export interface SmallTarget {
  what: string;
  width: number;
  height: number;
}

/**
 * Touch targets under `min` px: every visible button, link, select, text input and textarea must be at least `min`
 * high (buttons and links also `min` wide), and so must the label of every checkbox (the label is what a finger hits).
 */
export async function smallTargets(page: Page, min = 44): Promise<SmallTarget[]> {
  return page.evaluate((minPx) => {
    interface El extends PageElement {
      type?: string;
      id: string;
      textContent: string | null;
      closest(selector: string): El | null;
    }
    const g = globalThis as unknown as {
      document: { body: { querySelectorAll(selector: string): ArrayLike<El> }; getElementById(id: string): El | null };
      getComputedStyle(e: El): { visibility: string; display: string };
    };
    const visible = (el: El): boolean => {
      const r = el.getBoundingClientRect();
      const cs = g.getComputedStyle(el);
      return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
    };
    const name = (el: El): string => {
      const id = el.getAttribute('data-testid');
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30);
      return `${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''}${text ? ` "${text}"` : ''}`;
    };
    const out: { what: string; width: number; height: number }[] = [];
    const check = (el: El, what: string, wide: boolean): void => {
      if (!visible(el)) return;
      const r = el.getBoundingClientRect();
      if (r.height < minPx - 0.5 || (wide && r.width < minPx - 0.5)) out.push({ what, width: Math.round(r.width), height: Math.round(r.height) });
    };
    for (const el of Array.from(g.document.body.querySelectorAll('button, a[href]'))) check(el, name(el), true);
    for (const el of Array.from(g.document.body.querySelectorAll('select, textarea, input'))) {
      const type = (el.type ?? 'text').toLowerCase();
      if (type === 'hidden') continue;
      if (type === 'checkbox' || type === 'radio') {
        const label = (el.id ? g.document.body.querySelectorAll(`label[for="${el.id}"]`)[0] : undefined) ?? el.closest('label');
        if (label === null || label === undefined) out.push({ what: `${name(el)} has no label`, width: 0, height: 0 });
        else check(label, `label of ${name(el)}`, false);
      } else check(el, name(el), false);
    }
    return out;
  }, min);
}

const require = createRequire(import.meta.url);
export const AXE_PATH = require.resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: ImpactValue | null | undefined;
  help: string;
  nodes: string[];
}

/**
 * Injects axe-core (from node_modules, no network) and runs it on the whole page; returns the violations. Injected
 * through the DevTools protocol (page.evaluate), not as a <script> tag: the page's CSP refuses inline scripts.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => (globalThis as unknown as PageGlobals).axe !== undefined);
  if (!loaded) await page.evaluate(readFileSync(AXE_PATH, 'utf8'));
  const results = await page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    return g.axe!.run(g.document, { resultTypes: ['violations'] });
  });
  return results.violations.map((v: Result) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
  }));
}

export function critical(violations: AxeViolation[]): AxeViolation[] {
  return violations.filter((v) => v.impact === 'critical');
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact ?? '?'} ${v.id}: ${v.help} at ${v.nodes.join(', ')}`).join('\n');
}
