// The operator at night (issue 10 items 6 and 7), in Debian's chromium against the real daemon on its embedded demo.
// The demo runs at real speed (FENGHUO_DEMO_SPEED_UP=1: its flood comes hours later), so the only alarms are the ones
// the test raises.
// - 6: acknowledging is 停止鸣响 and its dialog says what stops (siren, spoken warning) and what stays (LED boards,
//   strobe, the alarm itself, the evacuation); never 确认. While any 立即转移 alarm is open, acknowledged or not, a
//   slim red strip that cannot be dismissed stays at the top of every page (a drill marked as one).
// - 7: the manual alarm starts with no choice made: 演练 or 真实警报 first, then the level; submit stays disabled until
//   both are chosen, and the confirmation says in large type which it is.
// - Follow-ups: the action dialogs' 代表（可不填） field is empty and sent as `by` only when filled; the login page says how
//   many tries are left and how long to wait; the setup page asks for the 设置码 when the box wants one.
// Screenshots go to test-artifacts/screenshots/night-alarms/<viewport>/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../node-daemon/alarms/types.js';
import {
  ADMIN,
  OPERATOR,
  ApiSession,
  ARTIFACTS,
  critical,
  describeViolations,
  ensureBuilt,
  horizontalOverflow,
  launchBrowser,
  loginUi as signIn,
  runAxe,
  screenshot,
  smallTargets,
  startDaemon,
  VIEWPORTS,
  type AxeViolation,
  type Daemon,
} from './harness.js';

const SHOTS = 'night-alarms';

/** An alarm as the API answers it (the daemon's own type). */
type AlarmBody = Alarm;

const axeReport: Record<string, AxeViolation[]> = {};

describe('the operator at night: 停止鸣响, the 立即转移 strip, drill or real', () => {
  let daemon: Daemon;
  let browser: Browser;
  let admin: ApiSession;
  const contexts: BrowserContext[] = [];

  // bypassCSP: axe-core goes in as an inline script, which the page's script-src 'self' would refuse.
  const CONTEXT = { viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true } as const;

  const newPage = async (): Promise<Page> => {
    const ctx = await browser.newContext(CONTEXT);
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    return ctx.newPage();
  };

  const loginUi = (page: Page, user: { name: string; password: string }): Promise<void> => signIn(page, daemon.url, user);

  const openAlarms = async (): Promise<AlarmBody[]> => {
    const res = await admin.request<{ alarms: AlarmBody[] }>('GET', '/api/v1/alarms?state=active');
    expect(res.status).toBe(200);
    return res.body.alarms;
  };

  /** Screenshot at both sizes, sideways overflow, touch targets, axe-core (soft checks). */
  const capture = async (page: Page, name: string, ready: string): Promise<void> => {
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.getByTestId(ready).first().waitFor();
      await page.waitForTimeout(300);
      await screenshot(page, `${SHOTS}/${vp.name}`, name);
      const overflow = await horizontalOverflow(page);
      expect.soft(overflow.px, `${name} at ${vp.name} scrolls sideways by ${overflow.px} px: ${overflow.culprits.join('; ')}`).toBe(0);
      const small = await smallTargets(page);
      expect.soft(small, `${name} at ${vp.name}: touch targets under 44 px:\n${small.map((x) => `${x.what} ${x.width}×${x.height}`).join('\n')}`).toEqual([]);
      const violations = await runAxe(page);
      axeReport[`${vp.name}/${name}`] = violations;
      expect.soft(critical(violations), `${name} at ${vp.name}: critical axe violations:\n${describeViolations(critical(violations))}`).toEqual([]);
    }
    await page.setViewportSize({ width: 1024, height: 768 });
  };

  /** The bodies the page POSTs to paths ending in `suffix`, as parsed JSON, from now on. */
  const recordPosts = (page: Page, suffix: RegExp): Record<string, unknown>[] => {
    const bodies: Record<string, unknown>[] = [];
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && suffix.test(new URL(r.url()).pathname)) bodies.push((r.postDataJSON() ?? {}) as Record<string, unknown>);
    });
    return bodies;
  };

  /** The strip's box, its buttons and links, and its painted background. */
  const stripFacts = async (page: Page): Promise<{ height: number; top: number; controls: number; bg: string }> =>
    page.getByTestId('evacuate-strip').evaluate((el) => {
      type El = { getBoundingClientRect(): { height: number; top: number }; querySelectorAll(s: string): ArrayLike<unknown> };
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } };
      const e = el as unknown as El;
      const r = e.getBoundingClientRect();
      return { height: r.height, top: r.top, controls: e.querySelectorAll('button, a, input, [role=button]').length, bg: g.getComputedStyle(el).backgroundColor };
    });

  const isRed = (rgb: string): boolean => {
    const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
    return r > 150 && g < 70 && b < 70;
  };

  beforeAll(async () => {
    await ensureBuilt();
    [daemon, browser] = await Promise.all([startDaemon({ speedUp: 1 }), launchBrowser()]);
    const setup = await fetch(`${daemon.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(setup.status, await setup.text()).toBe(201);
    admin = await ApiSession.login(daemon.url, ADMIN.name, ADMIN.password);
    const made = await admin.request('POST', '/api/v1/users', { ...OPERATOR, role: 'operator' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    writeFileSync(join(ARTIFACTS, 'axe-night-alarms.json'), `${JSON.stringify(axeReport, null, 2)}\n`);
    const code = await daemon?.stop();
    expect(code).toBe(0);
  });

  it('the manual alarm starts with neither 演练 nor 真实警报 nor a level chosen, submit disabled until both are; the confirmation says in large type which it is', async () => {
    const page = await newPage();
    await loginUi(page, OPERATOR);
    await page.goto(`${daemon.url}/alarms`);
    const posts = recordPosts(page, /\/api\/v1\/alarms$/);
    await page.getByTestId('manual-alarm-button').click();
    const dialog = page.getByTestId('manual-dialog');
    await dialog.waitFor();
    for (const id of ['manual-kind-drill', 'manual-kind-real', 'manual-level-prepare', 'manual-level-evacuate']) {
      expect(await dialog.getByTestId(id).isChecked(), `${id} is not chosen by default`).toBe(false);
    }
    // Drill or real comes first in the form.
    const order = await dialog.evaluate((el) => {
      const all = Array.from((el as unknown as { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> }).querySelectorAll('[data-testid]'));
      return all.map((e) => e.getAttribute('data-testid'));
    });
    expect(order.indexOf('manual-kind-drill')).toBeLessThan(order.indexOf('manual-level-prepare'));
    expect(order.indexOf('manual-kind-drill')).toBeLessThan(order.indexOf('manual-message'));
    expect(await dialog.getByTestId('manual-by').inputValue(), 'the 代表 field is not prefilled').toBe('');
    expect(await dialog.getByTestId('manual-submit').isDisabled()).toBe(true);
    await capture(page, 'manual-dialog-empty', 'manual-dialog');

    await dialog.getByTestId('manual-kind-real').check();
    expect(await dialog.getByTestId('manual-submit').isDisabled(), 'still no level').toBe(true);
    await dialog.getByTestId('manual-level-evacuate').check();
    expect(await dialog.getByTestId('manual-submit').isDisabled()).toBe(false);
    await capture(page, 'manual-dialog-real', 'manual-dialog');
    await dialog.getByTestId('manual-submit').click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    const kind = confirm.getByTestId('confirm-kind');
    expect(await kind.innerText()).toBe('这是真实警报，将鸣响全镇喇叭');
    expect(await kind.getAttribute('data-kind')).toBe('real');
    const size = await kind.evaluate((el) => parseFloat((globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } }).getComputedStyle(el).fontSize));
    expect(size, 'large type').toBeGreaterThanOrEqual(26);
    expect(await confirm.innerText()).toContain('立即转移');
    await capture(page, 'manual-confirm-real', 'confirm-dialog');
    // Cancelling raises nothing and goes back to the form with the choices kept.
    await confirm.getByTestId('confirm-cancel').click();
    await dialog.waitFor();
    expect(await dialog.getByTestId('manual-kind-real').isChecked()).toBe(true);
    expect(posts).toEqual([]);

    // Now a drill at 立即转移.
    await dialog.getByTestId('manual-kind-drill').check();
    expect(await dialog.getByTestId('manual-kind-real').isChecked()).toBe(false);
    await dialog.getByTestId('manual-submit').click();
    await confirm.waitFor();
    expect(await confirm.getByTestId('confirm-kind').innerText()).toBe('这是演练');
    expect(await confirm.getByTestId('confirm-kind').getAttribute('data-kind')).toBe('drill');
    await capture(page, 'manual-confirm-drill', 'confirm-dialog');
    await confirm.getByTestId('confirm-ok').click();
    await confirm.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await openAlarms()).filter((a) => a.drill && a.level === 'evacuate').length).toBe(1);
    // The empty 代表 field is not sent (the daemon records the signed-in account itself).
    expect(posts[0]).toMatchObject({ level: 'evacuate', drill: true });
    expect(posts[0]).not.toHaveProperty('by');
  });

  it('while a drill 立即转移 is open a slim red strip marked 演练 stays on top; 停止鸣响 says what stops and what stays, and the strip stays', async () => {
    // The drill the test before raised through the dialog (raised here when that test failed).
    let drill = (await openAlarms()).find((a) => a.drill && a.level === 'evacuate');
    if (drill === undefined) {
      const res = await admin.request<{ alarm: AlarmBody }>('POST', '/api/v1/alarms', { level: 'evacuate', drill: true, by: '测试' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      drill = res.body.alarm;
    }
    const page = await newPage();
    await loginUi(page, OPERATOR);
    const strip = page.getByTestId('evacuate-strip');
    await strip.waitFor();
    expect(await strip.getAttribute('data-drill')).toBe('true');
    expect(await strip.innerText()).toMatch(/演练[\s\S]*立即转移/);
    expect(await strip.getAttribute('data-silenced')).toBe('false');

    await page.goto(`${daemon.url}/alarms`);
    const row = page.locator(`[data-testid=alarm-row][data-alarm-id="${drill.id}"]`);
    await row.getByTestId('ack-button').click();
    const dialog = page.getByTestId('ack-dialog');
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).not.toMatch(/确认警报|确认人|Acknowledge/);
    expect(await dialog.getByTestId('ack-submit').innerText()).toBe('停止鸣响');
    const effects = await dialog.getByTestId('ack-effects').innerText();
    expect(effects).toMatch(/警报器/);
    expect(effects).toMatch(/语音/);
    expect(effects).toMatch(/LED/);
    expect(effects).toMatch(/警示灯/);
    expect(effects).toMatch(/不会解除/);
    expect(effects).toMatch(/继续.*转移|转移.*继续/);
    expect(await dialog.getByTestId('ack-name').inputValue(), 'the 代表 field is not prefilled').toBe('');
    await capture(page, 'stop-siren-dialog-drill', 'ack-dialog');
    await dialog.getByTestId('ack-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(async () => (await openAlarms()).find((a) => a.id === drill.id)?.state).toBe('acknowledged');
    // The banner goes (nothing sounds), the strip stays and says the siren stopped.
    await page.getByTestId('alarm-banner').waitFor({ state: 'hidden' });
    await expect.poll(() => strip.getAttribute('data-silenced')).toBe('true');
    expect(await strip.innerText()).toContain('已停止鸣响');
    expect(await strip.innerText()).toContain('演练');
  });

  it('a real 立即转移 takes the strip; stopped by an operator "on behalf of" someone, the strip stays on every page, cannot be dismissed and is slim; it goes once every evacuate alarm is cleared', async () => {
    const raised = await admin.request<{ alarm: AlarmBody }>('POST', '/api/v1/alarms', { level: 'evacuate', drill: false, by: '测试', title: '全镇 立即转移（测试）' });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    const real = raised.body.alarm;
    const page = await newPage();
    await loginUi(page, OPERATOR);
    const strip = page.getByTestId('evacuate-strip');
    await expect.poll(() => strip.getAttribute('data-drill')).toBe('false');
    expect(await strip.getAttribute('data-silenced')).toBe('false');
    expect(await strip.innerText()).toContain('立即转移');
    await page.getByTestId('alarm-banner').waitFor();
    await capture(page, 'overview-evacuate-sounding', 'overview');

    await page.goto(`${daemon.url}/alarms`);
    const posts = recordPosts(page, /\/ack$/);
    const row = page.locator(`[data-testid=alarm-row][data-alarm-id="${real.id}"]`);
    await row.getByTestId('ack-button').click();
    const dialog = page.getByTestId('ack-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('ack-name').inputValue()).toBe('');
    await capture(page, 'stop-siren-dialog', 'ack-dialog');
    await dialog.getByTestId('ack-name').fill('李镇长');
    await dialog.getByTestId('ack-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    expect(posts[0]).toMatchObject({ by: '李镇长' });
    await expect.poll(async () => (await openAlarms()).find((a) => a.id === real.id)?.state).toBe('acknowledged');
    expect((await openAlarms()).find((a) => a.id === real.id)?.acknowledgedBy).toBe('李镇长');
    await page.getByTestId('alarm-banner').waitFor({ state: 'hidden' });
    await expect.poll(() => strip.getAttribute('data-silenced')).toBe('true');
    expect(await strip.getAttribute('data-drill')).toBe('false');
    expect(await strip.innerText()).toMatch(/立即转移[\s\S]*已停止鸣响/);

    // On every page, at the top, slim, red, with nothing to close it.
    const pages = [
      { path: '/', ready: 'overview', name: 'overview' },
      { path: '/alarms', ready: 'alarms-page', name: 'alarms' },
      { path: '/broadcast', ready: 'broadcast-page', name: 'broadcast' },
      { path: '/devices', ready: 'devices-page', name: 'devices' },
    ];
    for (const p of pages) {
      await page.goto(`${daemon.url}${p.path}`);
      await page.getByTestId(p.ready).waitFor();
      await strip.waitFor();
      const facts = await stripFacts(page);
      expect(facts.controls, `${p.name}: nothing in the strip dismisses it`).toBe(0);
      expect(facts.height, `${p.name}: the strip is slim`).toBeLessThanOrEqual(40);
      expect(facts.height).toBeGreaterThanOrEqual(20);
      expect(facts.top, `${p.name}: the strip is at the top`).toBeLessThanOrEqual(1);
      expect(isRed(facts.bg), `${p.name}: the strip is red, not ${facts.bg}`).toBe(true);
      await capture(page, `strip-${p.name}`, p.ready);
    }
    // Scrolled down, it is still in view.
    await page.goto(`${daemon.url}/devices`);
    await page.getByTestId('devices-page').waitFor();
    await page.setViewportSize({ width: 800, height: 600 });
    await page.mouse.wheel(0, 2000);
    await page.waitForTimeout(300);
    expect((await stripFacts(page)).top, 'still at the top after scrolling').toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1024, height: 768 });
    // Pressing Escape or tapping it changes nothing.
    await page.keyboard.press('Escape');
    await strip.click();
    expect(await strip.isVisible()).toBe(true);

    // In English too.
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => strip.innerText()).toMatch(/Evacuat[\s\S]*siren stopped/i);
    await capture(page, 'en-strip-devices', 'devices-page');
    await page.getByTestId('lang-switch').click();

    // The admin clears the real one (代表 left empty: not sent): the strip falls back to the drill, then goes.
    const adminPage = await newPage();
    await loginUi(adminPage, ADMIN);
    await adminPage.goto(`${daemon.url}/alarms`);
    const clears = recordPosts(adminPage, /\/clear$/);
    for (const id of [real.id, (await openAlarms()).find((a) => a.drill && a.level === 'evacuate')!.id]) {
      await adminPage.locator(`[data-testid=alarm-row][data-alarm-id="${id}"]`).getByTestId('clear-button').click();
      const clearDialog = adminPage.getByTestId('ack-dialog');
      await clearDialog.waitFor();
      expect(await clearDialog.getByTestId('ack-name').inputValue()).toBe('');
      await clearDialog.getByTestId('ack-submit').click();
      await clearDialog.waitFor({ state: 'hidden' });
      if (id === real.id) await expect.poll(() => strip.getAttribute('data-drill')).toBe('true');
    }
    expect(clears[0]).not.toHaveProperty('by');
    await strip.waitFor({ state: 'detached' });
    await adminPage.getByTestId('evacuate-strip').waitFor({ state: 'detached' });
  });

  it('when the 立即转移 plan does not silence on acknowledging (silenceOnAck false), acknowledging is 已知晓: the dialog says the siren goes on, the strip says 已知晓（仍在鸣响）', async () => {
    const settings = await admin.request<{ dispatch: { evacuate: Record<string, unknown> } & Record<string, unknown> }>('GET', '/api/v1/settings');
    expect(settings.status).toBe(200);
    const dispatch = settings.body.dispatch;
    const put = await admin.request('PUT', '/api/v1/settings/dispatch', { ...dispatch, evacuate: { ...dispatch.evacuate, silenceOnAck: false } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    try {
      const raised = await admin.request<{ alarm: AlarmBody }>('POST', '/api/v1/alarms', { level: 'evacuate', drill: false, by: '测试', title: '全镇 立即转移（不停鸣）' });
      expect(raised.status, JSON.stringify(raised.body)).toBe(201);
      const real = raised.body.alarm;
      const page = await newPage();
      await loginUi(page, OPERATOR);
      await page.goto(`${daemon.url}/alarms`);
      const row = page.locator(`[data-testid=alarm-row][data-alarm-id="${real.id}"]`);
      await expect.poll(() => row.getByTestId('ack-button').innerText()).toBe('已知晓');
      await row.getByTestId('ack-button').click();
      const dialog = page.getByTestId('ack-dialog');
      await dialog.waitFor();
      expect(await dialog.getByTestId('ack-submit').innerText()).toBe('已知晓');
      expect(await dialog.innerText()).not.toContain('停止鸣响');
      const effects = await dialog.getByTestId('ack-effects').innerText();
      expect(effects).toMatch(/警报器鸣响和喇叭的语音播报继续，直到警报解除/);
      expect(effects).toMatch(/LED/);
      expect(effects).toMatch(/警示灯/);
      expect(effects).not.toMatch(/停止：警报器/);
      await capture(page, 'ack-dialog-keeps-sounding', 'ack-dialog');
      await dialog.getByTestId('ack-submit').click();
      await dialog.waitFor({ state: 'hidden' });
      await expect.poll(async () => (await openAlarms()).find((a) => a.id === real.id)?.state).toBe('acknowledged');
      const strip = page.getByTestId('evacuate-strip');
      await expect.poll(() => strip.getAttribute('data-acknowledged')).toBe('true');
      expect(await strip.getAttribute('data-silenced')).toBe('false');
      expect(await strip.innerText()).toContain('已知晓（仍在鸣响）');
      expect(await strip.innerText()).not.toContain('已停止鸣响');
      expect(await row.getByTestId('alarm-state').innerText()).toBe('已知晓（仍在鸣响）');
      await capture(page, 'acked-keeps-sounding', 'alarms-page');
      const cleared = await admin.request('POST', `/api/v1/alarms/${real.id}/clear`, {});
      expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    } finally {
      await admin.request('PUT', '/api/v1/settings/dispatch', dispatch);
    }
  });

  it('login says how many tries are left (the daemon\'s triesLeft) and how long to wait, counting down', async () => {
    const page = await newPage();
    await page.goto(daemon.url);
    await page.getByTestId('login-form').waitFor();
    // A real failure: the daemon's 401 carries triesLeft (a name nobody has, so no account is held back).
    await page.getByTestId('login-name').fill('nobody-here');
    await page.getByTestId('login-password').fill('wrong-password');
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
    await page.getByTestId('login-submit').click();
    const res = await answer;
    expect(res.status()).toBe(401);
    const triesLeft = ((await res.json()) as { error?: { triesLeft?: number } }).error?.triesLeft;
    expect(typeof triesLeft, 'the daemon says triesLeft').toBe('number');
    const error = page.getByTestId('login-error');
    await expect.poll(() => error.innerText().catch(() => '')).toBe(`用户名或密码错误，还可尝试 ${triesLeft} 次`);
    await capture(page, 'login-tries-left', 'login-form');

    // A 429 is stood in for (a real one takes five failures, and then waits only a second): its shape as the daemon
    // answers it, Retry-After and {error: {code: rate_limited, retryAfterMs, triesLeft: 0}}.
    await page.route('**/api/v1/auth/login', (route) =>
      route.fulfill({
        status: 429,
        contentType: 'application/json',
        headers: { 'Retry-After': '43' },
        body: JSON.stringify({ error: { code: 'rate_limited', message: 'too many failed logins from this address; try again in 43 s', triesLeft: 0, retryAfterMs: 42_100 } }),
      }),
    );
    await page.getByTestId('login-submit').click();
    await expect.poll(() => error.innerText().catch(() => '')).toMatch(/请 4[23] 秒后再试/);
    expect(await page.getByTestId('login-submit').isDisabled(), 'no try while waiting').toBe(true);
    // It counts down.
    await expect.poll(() => error.innerText(), { timeout: 5_000 }).toMatch(/请 (39|40|41) 秒后再试/);
    await capture(page, 'login-wait', 'login-form');
  });

  it('setup asks for the 设置码 (sent as setupCode, with where to find it) when the box wants one, and not otherwise', async () => {
    // A second, fresh daemon: from the box itself (loopback) no code is asked; through a proxy (X-Forwarded-For) it is.
    const fresh = await startDaemon({ speedUp: 1 });
    try {
      const logged = await fresh.waitForLog((l) => l.event === 'auth.setup_code', 10_000, 'auth.setup_code');
      const realCode = String(logged.code);
      expect(realCode).toMatch(/^\d{6,}$/);

      const plain = await newPage();
      await plain.goto(fresh.url);
      await plain.getByTestId('setup-form').waitFor();
      expect(await plain.getByTestId('setup-code').count(), 'no code on the box itself').toBe(0);

      const ctx = await browser.newContext({ ...CONTEXT, extraHTTPHeaders: { 'X-Forwarded-For': '192.168.1.50' } });
      contexts.push(ctx);
      ctx.setDefaultTimeout(10_000);
      const page = await ctx.newPage();
      const sent = recordPosts(page, /\/api\/v1\/auth\/setup$/);
      await page.goto(fresh.url);
      await page.getByTestId('setup-form').waitFor();
      const code = page.getByTestId('setup-code');
      await code.waitFor();
      expect(await page.getByTestId('setup-code-hint').innerText()).toContain('fenghuo setup-code');
      expect(await page.getByTestId('setup-code-hint').innerText()).toContain('日志');
      await page.getByTestId('setup-name').fill('admin2');
      await page.getByTestId('setup-password').fill('long-enough-22');
      await page.getByTestId('setup-password2').fill('long-enough-22');
      const wrong = realCode === '00000000' ? '11111111' : '00000000';
      await code.fill(` ${wrong} `);
      await page.getByTestId('setup-submit').click();
      await page.getByTestId('error-box').waitFor();
      expect(sent[0]).toMatchObject({ name: 'admin2', password: 'long-enough-22', setupCode: wrong });
      expect(await page.getByTestId('error-box').innerText()).toContain('设置码不对');
      expect(await code.getAttribute('aria-invalid')).toBe('true');
      await capture(page, 'setup-code', 'setup-form');

      await code.fill(realCode);
      await page.getByTestId('setup-submit').click();
      await page.getByTestId('current-user').waitFor();
      expect(await page.getByTestId('current-user').innerText()).toContain('admin2');
    } finally {
      await fresh.stop();
    }
  });
});
