// Issue 10 item 5, the page's Content-Security-Policy in a real browser: Debian's chromium (playwright-core) on the
// real daemon's embedded demo. Every page of the UI (the chart of a site included) loads and works under the policy
// without a single violation, while a script or a style attribute smuggled into the page is refused.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, launchBrowser, runAxe, startDaemon, type Daemon } from '../browser/harness.js';

const ADMIN = { name: 'admin', password: 'beacon-on-the-hill-9' };
const PAGES = ['/', '/alarms', '/broadcast', '/devices', '/settings', '/site/mason'];

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

interface ProbeGlobals {
  __csp: Violation[];
  __injected?: number;
  document: {
    body: { appendChild(node: unknown): void; insertAdjacentHTML(where: string, html: string): void };
    createElement(tag: string): { textContent: string };
    getElementById(id: string): { style: { color: string } } | null;
    addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string; sample: string }) => void): void;
  };
}

describe('the page CSP in chromium', () => {
  let daemon: Daemon;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const violations = (): Promise<Violation[]> => page.evaluate(() => (globalThis as unknown as ProbeGlobals).__csp);

  beforeAll(async () => {
    await ensureBuilt();
    [daemon, browser] = await Promise.all([startDaemon({ speedUp: 60 }), launchBrowser()]);
    const res = await fetch(`${daemon.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(res.status).toBe(201);
    context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN' });
    context.setDefaultTimeout(10_000);
    // Runs before the page's own scripts (and is not itself subject to the page's CSP): records every violation.
    await context.addInitScript(() => {
      const g = globalThis as unknown as ProbeGlobals;
      g.__csp = [];
      g.document.addEventListener('securitypolicyviolation', (e) => g.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));
    });
    page = await context.newPage();
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await daemon?.stop();
  });

  it('every page loads and runs under the policy with no violation', async () => {
    await page.goto(daemon.url);
    await page.getByTestId('login-form').waitFor();
    expect(await violations()).toEqual([]);
    await page.getByTestId('login-name').fill(ADMIN.name);
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
    for (const path of PAGES) {
      await page.goto(`${daemon.url}${path}`);
      await page.getByTestId('current-user').waitFor();
      // Data, the live stream and (on /site/mason) the uPlot chart have time to arrive and draw.
      await page.waitForTimeout(1_500);
      expect(await violations(), path).toEqual([]);
    }
    expect(await page.locator('canvas').count(), 'the site chart (uPlot) is drawn').toBeGreaterThan(0);
  });

  it('a script or a style attribute smuggled into the page is refused', async () => {
    await page.goto(`${daemon.url}/alarms`);
    await page.getByTestId('current-user').waitFor();
    const outcome = await page.evaluate(async () => {
      const g = globalThis as unknown as ProbeGlobals;
      const script = g.document.createElement('script');
      script.textContent = 'globalThis.__injected = 1';
      g.document.body.appendChild(script);
      g.document.body.insertAdjacentHTML('beforeend', '<img src="x" onerror="globalThis.__injected = 2"><p id="smuggled" style="color: rgb(1, 2, 3)">x</p>');
      await new Promise((r) => setTimeout(r, 300));
      return { injected: g.__injected ?? null, colour: g.document.getElementById('smuggled')?.style.color ?? null };
    });
    expect(outcome).toEqual({ injected: null, colour: '' });
    const seen = (await violations()).map((v) => v.directive);
    expect(seen).toEqual(expect.arrayContaining(['script-src-elem', 'script-src-attr', 'style-src-attr']));
  });

  it('axe-core still runs in the page (the harness injects it past the CSP)', async () => {
    await page.goto(daemon.url);
    await page.getByTestId('current-user').waitFor();
    const found = await runAxe(page);
    expect(Array.isArray(found)).toBe(true);
  });
});
