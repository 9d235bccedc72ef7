// The operators' web UI in Debian's chromium against the real daemon on its embedded demo (the Llano 2018 flood
// replayed over Modbus TCP, simulated I/O and LED boards): first-run setup, logout/login, the red alarm banner when
// the flood crosses 准备转移, acknowledgement by an operator, a viewer who may not acknowledge, a drill behind its
// confirmation reaching the LED board, a sensor fault (raised through the settings API) shelved and unshelved from the
// alarms page, the 设备 page's SL 651 centre link (the demo reports to `fenghuo sim --sl651-centre` through
// `--with`), and every page screenshotted at two screen sizes and checked with axe-core.
//
// Timing at FENGHUO_DEMO_SPEED_UP=1200 (series time = 1200 × wall time; measured): 准备转移 ~19 s after start,
// 立即转移 ~24 s, back to 准备转移 ~29 s, cleared ~69 s. An acknowledged alarm becomes active again when it
// escalates, so the operator acknowledges only once it is at 立即转移 (de-escalation keeps the acknowledgement).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm } from '../../node-daemon/alarms/types.js';
import {
  ADMIN,
  OPERATOR,
  VIEWER,
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
  SCREENSHOTS,
  smallTargets,
  startDaemon,
  VIEWPORTS,
  type AxeViolation,
  type Daemon,
} from './harness.js';
import { startCentreProcess, type CentreProcess } from '../uplinks/sl651/centre-process.js';

const SPEED_UP = 1200;
/** 准备转移 comes at 22800/S s after the daemon starts; the banner gets this much on top. */
const PREPARE_AFTER_MS = (22_800 / SPEED_UP) * 1000;
const EVACUATE_AFTER_MS = (28_800 / SPEED_UP) * 1000;


/** An alarm as the API answers it (the daemon's own type). */
type AlarmBody = Alarm;

/** What each capture found, written to test-artifacts/axe.json for the record (serious ones included). */
const axeReport: Record<string, AxeViolation[]> = {};

describe('web UI on the demo daemon', () => {
  let daemon: Daemon;
  let browser: Browser;
  let startedAt: number;
  const contexts: BrowserContext[] = [];
  let adminPage: Page;
  let admin: ApiSession;
  let centre: CentreProcess;
  const overlayDir = mkdtempSync(join(tmpdir(), 'fenghuo-browser-sl651-'));

  const newPage = async (): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    return ctx.newPage();
  };

  const loginUi = (page: Page, user: { name: string; password: string }): Promise<void> => signIn(page, daemon.url, user);

  const activeAlarms = async (): Promise<AlarmBody[]> => {
    const res = await admin.request<{ alarms: AlarmBody[] }>('GET', '/api/v1/alarms?state=active');
    expect(res.status).toBe(200);
    return res.body.alarms;
  };

  /** The banner's painted background colour (its own, or the nearest ancestor's), as [r, g, b]. */
  const bannerColour = async (banner: Locator): Promise<[number, number, number]> => {
    const rgb = await banner.evaluate((el) => {
      type El = { parentElement: El | null };
      const g = globalThis as unknown as { getComputedStyle(e: El): { backgroundColor: string } };
      for (let e: El | null = el as unknown as El; e !== null; e = e.parentElement) {
        const bg = g.getComputedStyle(e).backgroundColor;
        if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
      }
      return '';
    });
    const [r = NaN, g = NaN, b = NaN] = (rgb.match(/\d+/g) ?? []).map(Number);
    return [r, g, b];
  };

  const floodAlarm = async (): Promise<AlarmBody | undefined> => (await activeAlarms()).find((a) => a.key === 'flood:mason');

  /** Screenshot at both sizes, sideways overflow, axe-core: soft checks, so one bad page does not hide the next. */
  const capture = async (page: Page, name: string, ready: string, opts: { axe?: boolean } = {}): Promise<void> => {
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.getByTestId(ready).first().waitFor();
      // Let the layout settle after the resize and any data still loading.
      await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('.loading') === null, undefined, { timeout: 5_000 }).catch(() => undefined);
      await page.waitForTimeout(300);
      await screenshot(page, vp.name, name);
      const overflow = await horizontalOverflow(page);
      expect.soft(overflow.px, `${name} at ${vp.name} scrolls sideways by ${overflow.px} px: ${overflow.culprits.join('; ')}`).toBe(0);
      const small = await smallTargets(page);
      expect.soft(small, `${name} at ${vp.name}: touch targets under 44 px:\n${small.map((x) => `${x.what} ${x.width}×${x.height}`).join('\n')}`).toEqual([]);
      if (opts.axe === false) continue;
      const violations = await runAxe(page);
      axeReport[`${vp.name}/${name}`] = violations;
      expect.soft(critical(violations), `${name} at ${vp.name}: critical axe violations:\n${describeViolations(critical(violations))}`).toEqual([]);
    }
    await page.setViewportSize({ width: 1024, height: 768 });
  };

  beforeAll(async () => {
    // Screenshots of this run only: none left from an earlier one to mislead.
    for (const vp of VIEWPORTS) rmSync(join(SCREENSHOTS, vp.name), { recursive: true, force: true });
    await ensureBuilt();
    // A county centre for the demo to report to in SL 651 (uplinks through `fenghuo run --with`).
    centre = await startCentreProcess();
    const overlay = join(overlayDir, 'sl651.yaml');
    writeFileSync(
      overlay,
      ['uplinks:', '  sl651:', `    - { id: county, host: 127.0.0.1, port: ${centre.port}, centre: 1, station: "0012345678", levels: [{ element: "39", sensor: mason, thresholdsM: [7, 10.1] }] }`, ''].join('\n'),
    );
    [daemon, browser] = await Promise.all([startDaemon({ speedUp: SPEED_UP, args: ['--with', overlay] }), launchBrowser()]);
    startedAt = Date.now();
    adminPage = await newPage();
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'axe.json'), `${JSON.stringify(axeReport, null, 2)}\n`);
    // The alarms with every transition, and the simulated boards' log, to read next to the screenshots.
    if (admin !== undefined) {
      const all = await admin.request<{ alarms: AlarmBody[] }>('GET', '/api/v1/alarms?state=all').catch(() => undefined);
      const full = [];
      for (const a of all?.body.alarms ?? []) full.push((await admin.request('GET', `/api/v1/alarms/${a.id}`)).body);
      const outputs = daemon.logs.filter((l) => l.event === 'demo.led' || l.event === 'demo.relays' || l.event === 'alarm.rules.transition');
      writeFileSync(join(ARTIFACTS, 'alarms.json'), `${JSON.stringify({ alarms: full, outputs }, null, 2)}\n`);
    }
    const code = await daemon?.stop();
    await centre?.stop();
    rmSync(overlayDir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('first visit shows the setup page; the admin is created there', async () => {
    const authState = async (): Promise<{ setupRequired?: boolean }> => (await (await fetch(`${daemon.url}/api/v1/auth/state`)).json()) as { setupRequired?: boolean };
    expect(await authState()).toMatchObject({ setupRequired: true });
    await adminPage.goto(daemon.url);
    await adminPage.getByTestId('setup-form').waitFor();
    await capture(adminPage, 'setup', 'setup-form');

    // The UI refuses a short password before asking the daemon.
    await adminPage.getByTestId('setup-name').fill(ADMIN.name);
    await adminPage.getByTestId('setup-password').fill('short');
    await adminPage.getByTestId('setup-password2').fill('short');
    await adminPage.getByTestId('setup-submit').click();
    // Either the browser's own constraint validation (minLength) stops the submit, or the page's error box says so.
    await expect
      .poll(async () => (await adminPage.getByTestId('error-box').count()) > 0 || (await adminPage.getByTestId('setup-password').evaluate((el) => (el as unknown as { validationMessage: string }).validationMessage !== '')))
      .toBe(true);
    expect((await authState()).setupRequired).toBe(true);

    await adminPage.getByTestId('setup-password').fill(ADMIN.password);
    await adminPage.getByTestId('setup-password2').fill(ADMIN.password);
    await adminPage.getByTestId('setup-submit').click();
    await adminPage.getByTestId('current-user').waitFor();
    expect(await adminPage.getByTestId('current-user').innerText()).toContain(ADMIN.name);
    expect((await authState()).setupRequired).toBe(false);
    // The session cookie is HttpOnly and SameSite=Strict.
    const cookie = (await adminPage.context().cookies()).find((c) => c.name === 'fenghuo_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
  });

  it('logs out to the login page, refuses a wrong password, logs in again', async () => {
    await adminPage.getByTestId('logout-button').click();
    await adminPage.getByTestId('login-form').waitFor();
    expect(await adminPage.getByTestId('current-user').count()).toBe(0);
    // The cookie no longer opens the API.
    const cookies = await adminPage.context().cookies();
    const old = cookies.find((c) => c.name === 'fenghuo_session');
    if (old !== undefined && old.value !== '') {
      const res = await fetch(`${daemon.url}/api/v1/alarms`, { headers: { cookie: `fenghuo_session=${old.value}` } });
      expect(res.status).toBe(401);
    }
    await capture(adminPage, 'login', 'login-form');

    await adminPage.getByTestId('login-name').fill(ADMIN.name);
    await adminPage.getByTestId('login-password').fill('not-the-password');
    await adminPage.getByTestId('login-submit').click();
    await adminPage.getByTestId('login-error').waitFor();
    expect(await adminPage.getByTestId('current-user').count()).toBe(0);

    await adminPage.getByTestId('login-password').fill(ADMIN.password);
    await adminPage.getByTestId('login-submit').click();
    await adminPage.getByTestId('current-user').waitFor();
    expect(await adminPage.getByTestId('nav-settings').count()).toBe(1);
  });

  it('the admin creates an operator and a viewer on the settings page (用户)', async () => {
    admin = await ApiSession.login(daemon.url, ADMIN.name, ADMIN.password);
    await adminPage.getByTestId('nav-settings').click();
    const card = adminPage.getByTestId('users-card');
    await card.getByTestId('user-row').first().waitFor();
    const form = card.getByTestId('user-create-form');
    // The UI refuses a short password before asking the daemon.
    await form.getByTestId('user-new-name').fill(OPERATOR.name);
    await form.getByTestId('user-new-password').fill('short');
    await form.getByTestId('user-create-submit').click();
    await form.getByRole('alert').waitFor();
    for (const [u, role] of [[OPERATOR, 'operator'], [VIEWER, 'viewer']] as const) {
      await form.getByTestId('user-new-name').fill(u.name);
      await form.getByTestId('user-new-password').fill(u.password);
      await form.getByTestId('user-new-role').selectOption(role);
      await form.getByTestId('user-create-submit').click();
      const row = card.locator(`[data-testid=user-row][data-user-name="${u.name}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-role')).toBe(role);
      expect(await row.getByTestId('user-role').innerText()).toBe(role === 'operator' ? '值班员' : '查看员');
    }
    const list = await admin.request<{ users: { name: string; role: string }[] }>('GET', '/api/v1/users');
    expect(list.status).toBe(200);
    expect(list.body.users).toEqual(expect.arrayContaining([expect.objectContaining({ name: OPERATOR.name, role: 'operator' }), expect.objectContaining({ name: VIEWER.name, role: 'viewer' })]));
    // Without the CSRF header a cookie session may not change anything.
    const noCsrf = await admin.request<{ error?: { code?: string } }>('POST', '/api/v1/users', { name: 'x-user', password: 'long-enough-1', role: 'viewer' }, { csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error?.code).toBe('csrf');
    await adminPage.getByTestId('nav-overview').click();
  });

  it('the demo flood raises the red alarm banner within its time', async () => {
    const banner = adminPage.getByTestId('alarm-banner');
    const budget = Math.max(5_000, startedAt + PREPARE_AFTER_MS + 15_000 - Date.now());
    await banner.waitFor({ state: 'visible', timeout: budget });
    const text = await banner.innerText();
    expect(text).toMatch(/准备转移|立即转移/);
    expect(text).toContain('梅森');
    // 准备转移 is the warning colour (deep orange-red); 立即转移 turns it full red (checked in the ack test).
    const [r, g, b] = await bannerColour(banner);
    expect(r, `banner background rgb(${r}, ${g}, ${b})`).toBeGreaterThan(150);
    expect(r - Math.max(g, b), `banner background rgb(${r}, ${g}, ${b})`).toBeGreaterThan(80);
  });

  it('a viewer sees the alarm but no acknowledge button, and the API refuses their acknowledgement (403)', async () => {
    const flood = await floodAlarm();
    expect(flood?.state).toBe('active');
    const page = await newPage();
    await loginUi(page, VIEWER);
    await page.goto(`${daemon.url}/alarms`);
    const row = page.locator(`[data-testid=alarm-row][data-alarm-id="${flood!.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('active');
    expect(await row.getByTestId('ack-button').count()).toBe(0);
    expect(await page.getByTestId('manual-alarm-button').count()).toBe(0);
    expect(await page.getByTestId('nav-settings').count()).toBe(0);
    // The banner's button does not promise an acknowledgement the viewer cannot make.
    expect((await page.getByTestId('banner-goto').innerText()).trim()).toBe('查看');
    expect((await adminPage.getByTestId('banner-goto').innerText()).trim()).toBe('查看并停止鸣响');
    await screenshot(page, '1024x768', 'alarms-viewer');

    const viewer = await ApiSession.login(daemon.url, VIEWER.name, VIEWER.password);
    const res = await viewer.request<{ error?: { code?: string } }>('POST', `/api/v1/alarms/${flood!.id}/ack`, { by: VIEWER.name, note: '试试' });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('forbidden');
    expect((await floodAlarm())?.state).toBe('active');
  });

  it('an operator acknowledges the alarm with name and note; it shows acknowledged and the banner goes', async () => {
    // Wait for 立即转移 (it lasts only ~5 s at this speed-up): acknowledging at 准备转移 would be undone by the
    // escalation. The admin's page has been open all along; its banner turns red, live over SSE.
    const adminBanner = adminPage.getByTestId('alarm-banner');
    await expect
      .poll(() => adminBanner.innerText().catch(() => ''), { timeout: Math.max(5_000, startedAt + EVACUATE_AFTER_MS + 15_000 - Date.now()), interval: 100 })
      .toContain('立即转移');
    const [r, g, b] = await bannerColour(adminBanner);
    expect(r > 150 && g < 60 && b < 60, `立即转移 banner is red, not rgb(${r}, ${g}, ${b})`).toBe(true);
    await screenshot(adminPage, '1024x768', 'overview-evacuate');
    const flood = (await floodAlarm())!;
    expect(flood.state).toBe('active');

    const page = await newPage();
    await loginUi(page, OPERATOR);
    await page.goto(`${daemon.url}/alarms`);
    const row = page.locator(`[data-testid=alarm-row][data-alarm-id="${flood.id}"]`);
    await row.getByTestId('ack-button').click();
    const dialog = page.getByTestId('ack-dialog');
    await dialog.waitFor();
    // 代表（可不填）: never prefilled (the daemon records the signed-in account itself).
    expect(await dialog.getByTestId('ack-name').inputValue()).toBe('');
    await dialog.getByTestId('ack-name').fill('李值班');
    await dialog.getByTestId('ack-note').fill('已电话通知梅森村干部');
    await capture(page, 'ack-dialog', 'ack-dialog');
    await dialog.getByTestId('ack-submit').click();
    await dialog.waitFor({ state: 'hidden' });

    await expect.poll(() => row.getAttribute('data-state')).toBe('acknowledged');
    expect(await row.getByTestId('ack-button').count()).toBe(0);
    const rowText = await row.innerText();
    expect(rowText).toContain('李值班');
    expect(rowText).toContain('已电话通知梅森村干部');
    const stored = (await admin.request<AlarmBody>('GET', `/api/v1/alarms/${flood.id}`)).body;
    expect(stored).toMatchObject({ state: 'acknowledged', acknowledgedBy: '李值班', ackNote: '已电话通知梅森村干部' });
    // Nothing else is sounding, so the red banner goes, in this browser and the admin's (live over SSE).
    await page.getByTestId('alarm-banner').waitFor({ state: 'hidden' });
    await adminPage.getByTestId('alarm-banner').waitFor({ state: 'hidden' });
  });

  it('a manual drill from the alarms page needs its confirmation and reaches the LED board marked 【演练】', async () => {
    const page = await newPage();
    await loginUi(page, OPERATOR);
    await page.goto(`${daemon.url}/alarms`);
    const drillOnLed = (): boolean => daemon.logs.some((l) => l.event === 'demo.led' && String(l.text).includes('【演练】'));

    await page.getByTestId('manual-alarm-button').click();
    const form = page.getByTestId('manual-dialog');
    await form.waitFor();
    // Nothing is chosen beforehand (night-alarms.test.ts checks that): drill, then the level.
    await form.getByTestId('manual-kind-drill').check();
    await form.getByTestId('manual-level-prepare').check();
    await form.getByTestId('manual-by').fill('李值班');
    await form.getByTestId('manual-submit').click();
    // The confirmation first; cancelling it raises nothing.
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-cancel').click();
    await page.waitForTimeout(500);
    expect((await activeAlarms()).filter((a) => a.drill)).toEqual([]);
    expect(drillOnLed()).toBe(false);

    if ((await page.getByTestId('manual-dialog').count()) === 0) await page.getByTestId('manual-alarm-button').click();
    await page.getByTestId('manual-dialog').waitFor();
    await page.getByTestId('manual-by').fill('李值班');
    await capture(page, 'manual-dialog', 'manual-dialog');
    await page.getByTestId('manual-submit').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await capture(page, 'drill-confirm', 'confirm-dialog');
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });

    const line = await daemon.waitForLog((l) => l.event === 'demo.led' && String(l.text).includes('【演练】'), 15_000, 'demo.led with 【演练】');
    expect(String(line.text)).toContain('【演练】');
    const drills = (await activeAlarms()).filter((a) => a.drill);
    expect(drills).toHaveLength(1);
    expect(drills[0]).toMatchObject({ level: 'prepare', state: 'active' });
    // The drill is shown in the list and in the banner as a drill.
    const drillRow = page.locator(`[data-testid=alarm-row][data-alarm-id="${drills[0]!.id}"]`);
    await drillRow.waitFor();
    expect(await page.getByTestId('alarm-banner').innerText()).toContain('演练');
    // The 演练 chip, and the title without the daemon's leading 【演练】 (not 演练 twice).
    expect(drills[0]!.title.startsWith('【演练】'), drills[0]!.title).toBe(true);
    expect(await drillRow.locator('.chip-drill').innerText()).toBe('演练');
    expect(await drillRow.getByTestId('alarm-title').innerText()).toBe(drills[0]!.title.replace(/^【演练】\s*/, ''));
    expect(await page.getByTestId('alarm-banner').innerText()).not.toContain('【演练】');

    // The loudspeaker row names the alarm by its title; keys and device paths are for admins only.
    await page.getByTestId('nav-broadcast').click();
    const speakers = page.getByTestId('speakers-state');
    await expect.poll(() => speakers.getByTestId('speaker-alarm').first().innerText().catch(() => ''), { timeout: 15_000 }).toContain(drills[0]!.title.replace(/^【演练】\s*/, ''));
    const speakerText = await speakers.innerText();
    expect(speakerText).not.toMatch(/drill:|flood:|file:|\.wav/);
    await screenshot(page, '1024x768', 'broadcast-operator');
  });

  it('a fault alarm: operators and admins shelve it behind its dialog (a shelve longer than the box allows names minutes), it shows 已屏蔽至 HH:mm and stops sounding, and is unshelved; a viewer has neither button and the API refuses them', async () => {
    // A real fault through the daemon's own settings: the admin narrows the Mason gauge's plausible span
    // (faults.minM above any water level), so the next reading is out of range. Restored at the end.
    type SitesBody = { sites: ({ id: string; faults: Record<string, unknown> } & Record<string, unknown>)[] } & Record<string, unknown>;
    const before = (await admin.request<{ alarms: SitesBody }>('GET', '/api/v1/settings')).body.alarms;
    const narrowed = { ...before, sites: before.sites.map((x) => (x.id === 'mason' ? { ...x, faults: { ...x.faults, minM: 1000 } } : x)) };
    const put = await admin.request<{ error?: { message?: string } }>('PUT', '/api/v1/settings/alarms', narrowed);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    try {
      const faultNow = async (): Promise<(AlarmBody & { kind: string; shelvedUntil?: number }) | undefined> =>
        ((await activeAlarms()) as (AlarmBody & { kind: string; shelvedUntil?: number })[]).find((a) => a.kind === 'fault' && a.key.includes('mason'));
      await expect.poll(async () => (await faultNow()) !== undefined, { timeout: 15_000, interval: 250 }).toBe(true);
      const fault = (await faultNow())!;
      const rowOf = (page: Page): Locator => page.locator(`[data-testid=alarm-row][data-alarm-id="${fault.id}"]`);

      // Viewer: the fault is listed, without 屏蔽 or 取消屏蔽, and the API refuses a shelve.
      const viewerPage = await newPage();
      await loginUi(viewerPage, VIEWER);
      await viewerPage.goto(`${daemon.url}/alarms`);
      await rowOf(viewerPage).waitFor();
      expect(await rowOf(viewerPage).getByTestId('shelve-button').count()).toBe(0);
      expect(await rowOf(viewerPage).getByTestId('unshelve-button').count()).toBe(0);
      const viewer = await ApiSession.login(daemon.url, VIEWER.name, VIEWER.password);
      const refused = await viewer.request<{ error?: { code?: string } }>('POST', `/api/v1/alarms/${fault.id}/shelve`, { by: VIEWER.name, minutes: 30 });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe('forbidden');
      // The admin has the button too; a flood alarm never has it.
      await adminPage.goto(`${daemon.url}/alarms`);
      await rowOf(adminPage).getByTestId('shelve-button').waitFor();
      const flood = (await admin.request<{ alarms: AlarmBody[] }>('GET', '/api/v1/alarms?state=all')).body.alarms.find((a) => a.key === 'flood:mason');
      if (flood !== undefined) expect(await adminPage.locator(`[data-testid=alarm-row][data-alarm-id="${flood.id}"]`).getByTestId('shelve-button').count()).toBe(0);

      // Operator: the dialog; a shelve longer than alarms.shelving.maxDurationMs (8 h by default) shows the daemon's reason.
      const page = await newPage();
      await loginUi(page, OPERATOR);
      await page.goto(`${daemon.url}/alarms`);
      const row = rowOf(page);
      await row.getByTestId('shelve-button').click();
      const dialog = page.getByTestId('shelve-dialog');
      await dialog.waitFor();
      await capture(page, 'shelve-dialog', 'shelve-dialog');
      await dialog.getByTestId('shelve-minutes').fill('600');
      await dialog.getByTestId('shelve-submit').click();
      const error = dialog.getByTestId('error-box');
      await error.waitFor();
      expect(await error.innerText()).toMatch(/minutes[\s\S]*at most 480/);
      expect(await dialog.getByTestId('shelve-minutes').getAttribute('aria-invalid')).toBe('true');
      expect((await admin.request<{ shelvedUntil?: number }>('GET', `/api/v1/alarms/${fault.id}`)).body.shelvedUntil).toBeUndefined();

      // 30 minutes from the quick choices, with a note.
      await dialog.getByTestId('shelve-choice-30').click();
      expect(await dialog.getByTestId('shelve-minutes').inputValue()).toBe('30');
      await dialog.getByTestId('ack-note').fill('水尺重新测量中');
      const sentAt = Date.now();
      await dialog.getByTestId('shelve-submit').click();
      await dialog.waitFor({ state: 'hidden' });
      const stored = (await admin.request<{ shelvedUntil?: number; transitions: { type: string; by?: string; note?: string }[] }>('GET', `/api/v1/alarms/${fault.id}`)).body;
      expect(stored.shelvedUntil).toBeGreaterThanOrEqual(sentAt + 30 * 60_000 - 5_000);
      expect(stored.shelvedUntil).toBeLessThanOrEqual(Date.now() + 30 * 60_000 + 5_000);
      // 代表 left empty: no `by`; the daemon records the signed-in account.
      expect(stored.transitions).toContainEqual(expect.objectContaining({ type: 'shelved', account: OPERATOR.name, note: '水尺重新测量中' }));
      const hhmm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(stored.shelvedUntil!)).replace(/^24:/, '00:');
      await expect.poll(() => row.getByTestId('alarm-shelved').innerText().catch(() => '')).toBe(`已屏蔽至 ${hhmm}`);
      expect(await row.getByTestId('shelve-button').count()).toBe(0);
      await row.getByTestId('unshelve-button').waitFor();
      // Shelved, it no longer sounds: the banner (if another alarm shows it) does not name it.
      const bannerText = (await page.getByTestId('alarm-banner').count()) > 0 ? await page.getByTestId('alarm-banner').innerText() : '';
      expect(bannerText).not.toContain(fault.title);
      await capture(page, 'alarms-fault-shelved', 'alarms-page');

      // 取消屏蔽: behind the same dialog; the API shows it unshelved.
      await row.getByTestId('unshelve-button').click();
      await dialog.waitFor();
      await dialog.getByTestId('unshelve-submit').click();
      await dialog.waitFor({ state: 'hidden' });
      await row.getByTestId('shelve-button').waitFor();
      const after = (await admin.request<{ shelvedUntil?: number }>('GET', `/api/v1/alarms/${fault.id}`)).body;
      expect(after.shelvedUntil === undefined || after.shelvedUntil <= Date.now()).toBe(true);
    } finally {
      const back = await admin.request('PUT', '/api/v1/settings/alarms', before);
      expect(back.status).toBe(200);
    }
  });

  it('the admin resets a password and deletes a user behind a confirmation; the last admin stays, with the daemon\'s reason', async () => {
    const TEMP = { name: 'temp-helper', password: 'lin-shi-bang-1', next: 'xin-mi-ma-2026' };
    await adminPage.goto(`${daemon.url}/settings`);
    const card = adminPage.getByTestId('users-card');
    await card.getByTestId('user-row').first().waitFor();
    const form = card.getByTestId('user-create-form');
    await form.getByTestId('user-new-name').fill(TEMP.name);
    await form.getByTestId('user-new-password').fill(TEMP.password);
    await form.getByTestId('user-new-role').selectOption('viewer');
    await form.getByTestId('user-create-submit').click();
    const row = card.locator(`[data-testid=user-row][data-user-name="${TEMP.name}"]`);
    await row.waitFor();
    await capture(adminPage, 'settings-users', 'users-card');

    // Reset its password: the old one stops working, the new one logs in.
    await row.getByTestId('user-password-button').click();
    const dialog = adminPage.getByTestId('password-dialog');
    await dialog.waitFor();
    await capture(adminPage, 'password-dialog', 'password-dialog');
    await dialog.getByTestId('password-input').fill(TEMP.next);
    await dialog.getByTestId('password-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await card.getByTestId('users-done').waitFor();
    await expect(ApiSession.login(daemon.url, TEMP.name, TEMP.password)).rejects.toThrow(/401/);
    await ApiSession.login(daemon.url, TEMP.name, TEMP.next);

    // Delete: cancelling the confirmation keeps the user; confirming deletes it.
    await row.getByTestId('user-delete-button').click();
    await adminPage.getByTestId('confirm-dialog').waitFor();
    await capture(adminPage, 'user-delete-confirm', 'confirm-dialog');
    await adminPage.getByTestId('confirm-cancel').click();
    await adminPage.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
    expect(await row.count()).toBe(1);
    await row.getByTestId('user-delete-button').click();
    await adminPage.getByTestId('confirm-ok').click();
    await row.waitFor({ state: 'detached' });
    const names = (await admin.request<{ users: { name: string }[] }>('GET', '/api/v1/users')).body.users.map((u) => u.name);
    expect(names).not.toContain(TEMP.name);

    // The only admin cannot be deleted: the daemon's message shows.
    const adminRow = card.locator(`[data-testid=user-row][data-user-name="${ADMIN.name}"]`);
    await adminRow.getByTestId('user-delete-button').click();
    await adminPage.getByTestId('confirm-ok').click();
    const error = card.getByTestId('error-box');
    await error.waitFor();
    expect(await error.innerText()).toContain('last admin');
    expect(await adminRow.count()).toBe(1);
    expect((await admin.request<{ users: { name: string }[] }>('GET', '/api/v1/users')).body.users.map((u) => u.name)).toContain(ADMIN.name);
  });

  it('the 设备 page shows the SL 651 centre link: connected, and when the centre last confirmed a report', async () => {
    // The flood has crossed 7 m by now (the banner test waited for it): a 加报 went to the centre and was confirmed.
    await centre.next((l) => l.event === 'frame' && l.fn === '33' && l.confirmed === true, 'a confirmed 加报 at the centre', 0, 30_000);
    await adminPage.goto(`${daemon.url}/devices`);
    const card = adminPage.getByTestId('sl651-centre');
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('connected');
    await expect.poll(() => card.getByTestId('sl651-last-confirmed').innerText(), { timeout: 10_000 }).toMatch(/\d\d:\d\d/);
    expect(await adminPage.getByTestId('sl651-card').innerText()).toMatch(/水文遥测上报（SL 651）[\s\S]*已连接[\s\S]*0012345678/);
  });

  const PAGES: { name: string; path: string; ready: string }[] = [
    { name: 'overview', path: '/', ready: 'overview' },
    { name: 'site-detail', path: '/site/mason', ready: 'site-page' },
    { name: 'alarms', path: '/alarms', ready: 'alarms-page' },
    { name: 'broadcast', path: '/broadcast', ready: 'broadcast-page' },
    { name: 'devices', path: '/devices', ready: 'devices-page' },
    { name: 'settings', path: '/settings', ready: 'settings-page' },
  ];
  for (const p of PAGES) {
    it(`${p.name}: screenshots at ${VIEWPORTS.map((v) => v.name).join(' and ')}, no sideways scrolling, no critical axe violations`, async () => {
      await adminPage.goto(`${daemon.url}${p.path}`);
      if (p.name === 'site-detail') await adminPage.getByTestId('level-chart').waitFor();
      await capture(adminPage, p.name, p.ready);
      // Lengths in Chinese say 米, never "8.45 m" beside "8.45 米".
      const text = await adminPage.locator('main').innerText();
      expect(text.match(/\d m\b|（m）|\(m\)|m\/h/g), `${p.name}: English length units in Chinese`).toBeNull();
    });
  }

  it('in English too, the main pages fit both screens without sideways scrolling', async () => {
    await adminPage.goto(`${daemon.url}/`);
    await adminPage.getByTestId('lang-switch').click();
    await expect.poll(() => adminPage.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang)).toBe('en');
    try {
      for (const p of PAGES.filter((x) => ['overview', 'alarms', 'broadcast', 'devices', 'settings'].includes(x.name))) {
        await adminPage.goto(`${daemon.url}${p.path}`);
        await capture(adminPage, `en-${p.name}`, p.ready, { axe: false });
        const text = await adminPage.locator('main').innerText();
        expect(text.match(/\d 米|（米）|米\/小时/g), `en-${p.name}: Chinese length units in English`).toBeNull();
        // ASCII punctuation around English words, and dates no one can read day-first or month-first.
        if (p.name !== 'settings') expect(text.match(/[a-z)][：；（]/gi), `en-${p.name}: full-width punctuation in English`).toBeNull();
        expect(text.match(/\b\d\d\/\d\d\b/g), `en-${p.name}: ambiguous dd/mm dates`).toBeNull();
        if (p.name === 'devices') expect(text).toMatch(/Health: (OK|Degraded)/);
        if (p.name === 'alarms') expect(text).toMatch(/Raised \d{4}-\d\d-\d\d \d\d:\d\d/);
      }
    } finally {
      await adminPage.getByTestId('lang-switch').click();
    }
  });
});
