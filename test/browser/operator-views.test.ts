// What the operators read (issue 10 items 8, 9 and 10), in Debian's chromium against the real daemon on its embedded
// demo (the Llano 2018 flood at FENGHUO_DEMO_SPEED_UP=1200: the water starts rising ~3 s after start, 准备转移 ~19 s,
// 立即转移 ~24 s, back to 准备转移 ~29 s, cleared ~69 s). The page reaches the daemon through a small TCP gate in this
// file, so the test can cut the line under the open page.
// - 8: while the box cannot be reached (the line frozen, then refused) readings turn grey with 已断开 and their age
//   keeps counting; they come back fresh when the line does.
// - 9: an alarm row says when it was raised and escalated (local time, the site's zone), the level, and why, in the
//   UI's language (never a rule id such as `level.evacuate` or a UTC ISO time); the history names the account and on
//   whose behalf (「duty（代表 县长）」).
// - 10: 广播: an announcement playing is a 通知广播, not a 警报; the text box empties after sending; presets to pick and
//   edit (kept in the browser); the daemon's refusals in Chinese (the raw text only for unknown ones, muted). 总览
//   shows the sensors that belong to no alarm site in their own group. The site chart opens on the current event and
//   shows the value under a tap.
// Screenshots go to test-artifacts/screenshots/operator-views/<viewport>/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmWithHistory } from '../../node-daemon/alarms/types.js';
import { freePort } from '../../node-daemon/core/free-port.js';
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

const SPEED_UP = 1200;
const SHOTS = 'operator-views';
const ZONE = 'Asia/Shanghai';

/** An alarm with its history as the API answers it (the daemon's own type). */
type AlarmBody = AlarmWithHistory;

/**
 * A TCP gate between the browser and the daemon: `open` forwards, `freeze` stops every byte but keeps the
 * connections up (a Wi-Fi that silently drops), `block` resets every connection and refuses new ones (the box off).
 */
class Gate {
  private mode: 'open' | 'frozen' | 'blocked' = 'open';
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(targetUrl: string): Promise<Gate> {
    const target = new URL(targetUrl);
    const port = await freePort();
    const holder: { gate?: Gate } = {};
    const server = createServer((client) => holder.gate?.accept(client));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    holder.gate = new Gate(server, `http://127.0.0.1:${port}`, { host: target.hostname, port: Number(target.port) });
    return holder.gate;
  }

  private link(pair: { client: Socket; upstream: Socket | undefined }): void {
    if (pair.upstream === undefined) {
      const upstream = connect(this.target.port, this.target.host);
      pair.upstream = upstream;
      upstream.on('error', () => pair.client.destroy());
      upstream.on('close', () => {
        pair.client.destroy();
        this.pairs.delete(pair);
      });
    }
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  }

  private accept(client: Socket): void {
    if (this.mode === 'blocked') {
      client.resetAndDestroy();
      return;
    }
    const pair = { client, upstream: undefined as Socket | undefined };
    this.pairs.add(pair);
    client.on('error', () => pair.upstream?.destroy());
    client.on('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.mode === 'open') this.link(pair);
    else client.pause();
  }

  freeze(): void {
    this.mode = 'frozen';
    for (const p of this.pairs) {
      p.client.unpipe();
      p.upstream?.unpipe();
      p.client.pause();
      p.upstream?.pause();
    }
  }

  block(): void {
    this.mode = 'blocked';
    for (const p of this.pairs) {
      p.client.resetAndDestroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
  }

  open(): void {
    const was = this.mode;
    this.mode = 'open';
    if (was === 'frozen') for (const p of this.pairs) this.link(p);
  }

  async close(): Promise<void> {
    this.block();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const axeReport: Record<string, AxeViolation[]> = {};

const hhmm = (ms: number): string =>
  new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(ms)).replace(/^24:/, '00:');

/** What must never reach an operator's eyes: rule ids, UTC ISO times, English rule prose. */
const RAW = /level\.(prepare|evacuate)|rate_of_rise|rain\.h\d|fault\.|\d{4}-\d\d-\d\dT\d\d|\d\dZ\b|samples at or above|规则 /;

describe('operator views: stale values, alarm rows that say why, broadcast presets, overview groups, the event chart', () => {
  let daemon: Daemon;
  let gate: Gate;
  let browser: Browser;
  let admin: ApiSession;
  let operator: ApiSession;
  let startedAt: number;
  const contexts: BrowserContext[] = [];

  const newPage = async (opts: { touch?: boolean } = {}): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: ZONE, hasTouch: opts.touch === true });
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    return ctx.newPage();
  };

  const loginUi = (page: Page, user: { name: string; password: string }): Promise<void> => signIn(page, gate.url, user);

  /** Screenshot at both sizes, sideways overflow, touch targets, axe-core (soft checks). */
  const capture = async (page: Page, name: string, ready: string, opts: { axe?: boolean } = {}): Promise<void> => {
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await page.getByTestId(ready).first().waitFor();
      await page.waitForTimeout(400);
      await screenshot(page, `${SHOTS}/${vp.name}`, name);
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

  const flood = async (): Promise<AlarmBody | undefined> => {
    const list = await admin.request<{ alarms: { id: number; key: string }[] }>('GET', '/api/v1/alarms?state=all');
    const a = list.body.alarms.find((x) => x.key === 'flood:mason');
    return a === undefined ? undefined : (await admin.request<AlarmBody>('GET', `/api/v1/alarms/${a.id}`)).body;
  };

  beforeAll(async () => {
    await ensureBuilt();
    [daemon, browser] = await Promise.all([startDaemon({ speedUp: SPEED_UP }), launchBrowser()]);
    startedAt = Date.now();
    gate = await Gate.start(daemon.url);
    const setup = await fetch(`${daemon.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(setup.status, await setup.text()).toBe(201);
    admin = await ApiSession.login(daemon.url, ADMIN.name, ADMIN.password);
    const made = await admin.request('POST', '/api/v1/users', { ...OPERATOR, role: 'operator' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    operator = await ApiSession.login(daemon.url, OPERATOR.name, OPERATOR.password);
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await gate?.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'axe-operator-views.json'), `${JSON.stringify(axeReport, null, 2)}\n`);
    const code = await daemon?.stop();
    expect(code).toBe(0);
  });

  it('总览 shows the sensors that belong to no alarm site in their own group 「未归属站点的传感器」', async () => {
    const page = await newPage();
    await loginUi(page, OPERATOR);
    await page.getByTestId('site-card').first().waitFor();
    const group = page.getByTestId('unassigned-sensors');
    await group.waitFor();
    expect(await group.getByRole('heading').first().innerText()).toContain('未归属站点的传感器');
    // The demo's Mason gauge is the site 梅森站; Junction and Llano belong to no site.
    const names = await group.getByTestId('sensor-card').allInnerTexts();
    expect(names.join('\n')).toContain('Junction');
    expect(names.join('\n')).toContain('Llano Rv at Llano');
    expect(names.join('\n')).not.toContain('Mason');
    expect(await page.getByTestId('site-card').count()).toBe(1);
    await capture(page, 'overview-groups', 'unassigned-sensors');
  });

  it('the alarm row says when it was raised and escalated, the level and why, in Chinese and local time; the history names the account and on whose behalf', async () => {
    // Wait until the flood has escalated to 立即转移, then the operator acknowledges on behalf of the 县长 (API).
    await expect.poll(async () => (await flood())?.transitions.some((t) => t.type === 'escalated') ?? false, { timeout: Math.max(5_000, startedAt + 45_000 - Date.now()), interval: 250 }).toBe(true);
    let alarm = (await flood())!;
    const ack = await operator.request('POST', `/api/v1/alarms/${alarm.id}/ack`, { by: '县长', note: '已通知各村' });
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    alarm = (await flood())!;
    const raised = alarm.transitions.find((t) => t.type === 'raised')!;
    const escalated = alarm.transitions.find((t) => t.type === 'escalated')!;
    expect(raised.cause.rule).toBe('level.prepare');
    expect(escalated.cause.rule).toBe('level.evacuate');

    const page = await newPage();
    await loginUi(page, OPERATOR);
    await page.goto(`${gate.url}/alarms`);
    const row = page.locator(`[data-testid=alarm-row][data-alarm-id="${alarm.id}"]`);
    await row.waitFor();
    const summary = row.getByTestId('alarm-summary');
    await expect.poll(() => summary.innerText().catch(() => ''), { timeout: 10_000 }).toContain('升级为立即转移');
    const text = await summary.innerText();
    // 「HH:mm 准备转移 · HH:mm 升级为立即转移」 in the site's zone (Asia/Shanghai), the times the API recorded.
    expect(text).toContain(`${hhmm(raised.ts)} 准备转移`);
    expect(text).toContain(`${hhmm(escalated.ts)} 升级为立即转移`);
    // The cause of the level reached: the gauge by name, its reading and the threshold, in 米.
    const cause = await row.getByTestId('alarm-cause').innerText();
    expect(cause).toMatch(/Llano Rv nr Mason \(submersible\) \d+\.\d\d 米 (超过|达到)立即转移水位 10\.10 米/);
    expect(cause).toContain(`${escalated.cause.value!.toFixed(2)} 米`);
    expect(await row.innerText(), 'no rule ids or UTC ISO times in the row').not.toMatch(RAW);

    // The history: every transition's cause in Chinese, and who acknowledged for whom.
    await row.getByTestId('history-toggle').click();
    const list = row.getByTestId('transition-list');
    await list.waitFor();
    const history = await list.innerText();
    expect(history, 'no rule ids or UTC ISO times in the history').not.toMatch(RAW);
    expect(history).toContain('超过准备转移水位 7.00 米');
    const ackTr = alarm.transitions.find((t) => t.type === 'acknowledged')!;
    const who = ackTr.account !== undefined ? `${ackTr.account}（代表 县长）` : '县长';
    expect(await list.getByTestId('transition-actor').allInnerTexts()).toContain(who);
    await capture(page, 'alarm-row-cause', 'alarms-page');
  });

  it('the site chart opens on the current event (not 24 h) and a tap shows the time and value under the finger', async () => {
    const page = await newPage({ touch: true });
    await loginUi(page, OPERATOR);
    await page.goto(`${gate.url}/site/mason`);
    const chart = page.getByTestId('level-chart');
    await chart.waitFor();
    await expect.poll(() => chart.getAttribute('data-from'), { timeout: 10_000 }).not.toBeNull();
    expect(await page.getByTestId('range-event').getAttribute('aria-pressed')).toBe('true');
    const from = Number(await chart.getAttribute('data-from'));
    const to = Number(await chart.getAttribute('data-to'));
    const alarm = (await flood())!;
    // The window starts a little before the rise (the demo's water rises ~3 s after start) and ends now.
    expect(from, 'starts before the alarm').toBeLessThan(alarm.raisedAt);
    expect(from, 'starts near the rise, not 24 h back').toBeGreaterThan(startedAt - 2 * 60_000);
    expect(to).toBeGreaterThan(Date.now() - 60_000);
    // The rise fills the chart: the whole window is the minute or so the demo has run, not 24 h with a sliver.
    expect(to - from).toBeLessThan(Date.now() - startedAt + 2 * 60_000);
    await capture(page, 'site-event', 'level-chart');

    // The other ranges are still one tap away; 24 h is the old default.
    await page.getByTestId('range-24h').click();
    await expect.poll(async () => Number(await chart.getAttribute('data-to')) - Number(await chart.getAttribute('data-from'))).toBeGreaterThan(23 * 3_600_000);
    await page.getByTestId('range-event').click();
    await expect.poll(async () => Number(await chart.getAttribute('data-from'))).toBeGreaterThan(startedAt - 2 * 60_000);

    // A tap at the plot's middle: the time and the value there, in a tip under the finger.
    await page.setViewportSize({ width: 800, height: 1280 });
    const over = chart.locator('.u-over');
    await over.waitFor();
    const box = (await over.boundingBox())!;
    await page.touchscreen.tap(box.x + box.width * 0.8, box.y + box.height / 2);
    const tip = page.getByTestId('chart-tip');
    await tip.waitFor({ state: 'visible' });
    const tipText = await tip.innerText();
    expect(tipText).toMatch(/\d\d:\d\d/);
    expect(tipText).toMatch(/\d+\.\d\d 米/);
    await page.waitForTimeout(300);
    await screenshot(page, `${SHOTS}/800x1280`, 'site-tap');
    await page.setViewportSize({ width: 1024, height: 768 });
  });

  it('广播: presets to pick and edit, the box empties after sending, the announcement plays as 通知广播, refusals in Chinese', async () => {
    const page = await newPage();
    await loginUi(page, OPERATOR);
    await page.evaluate(() => (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear());
    await page.goto(`${gate.url}/broadcast`);
    const card = page.getByTestId('speak-card');
    await card.waitFor();

    // Built-in presets, picked into the text box, where they can be edited before sending.
    const select = card.getByTestId('preset-select');
    const options = await select.locator('option').allInnerTexts();
    for (const name of ['防汛值班通知', '转移演练通知', '解除通知']) expect(options).toContain(name);
    await select.selectOption({ label: '防汛值班通知' });
    const input = card.getByTestId('speak-input');
    const presetText = await input.inputValue();
    expect(presetText.length).toBeGreaterThan(10);
    await capture(page, 'broadcast-preset', 'speak-card');

    // Edit the preset list: rename one, add one; it stays after a reload (kept in this browser).
    await card.getByTestId('preset-manage').click();
    const dialog = page.getByTestId('preset-dialog');
    await dialog.waitFor();
    await capture(page, 'preset-dialog', 'preset-dialog');
    await dialog.getByTestId('preset-add').click();
    const rows = dialog.getByTestId('preset-row');
    const last = rows.nth((await rows.count()) - 1);
    await last.getByTestId('preset-title').fill('停电通知');
    await last.getByTestId('preset-text').fill('各位村民请注意：今晚八点到十点停电检修。');
    await dialog.getByTestId('preset-save').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    await card.getByTestId('preset-select').waitFor();
    await card.getByTestId('preset-select').selectOption({ label: '停电通知' });
    expect(await input.inputValue()).toBe('各位村民请注意：今晚八点到十点停电检修。');

    // Send: the box empties and 立即播报 is disabled, so it is not sent twice by accident.
    await input.fill('各位村民请注意：这是一条测试通知，请勿惊慌。');
    await card.getByTestId('speak-send').click();
    await card.getByTestId('speak-done').waitFor();
    expect(await card.getByTestId('speak-done').innerText()).toContain('这是一条测试通知');
    expect(await input.inputValue()).toBe('');
    expect(await card.getByTestId('speak-send').isDisabled()).toBe(true);
    await screenshot(page, `${SHOTS}/1024x768`, 'broadcast-sent');

    // While it plays, the speaker says 通知广播, never 警报.
    const speakers = page.getByTestId('speakers-state');
    await expect.poll(() => speakers.getByTestId('speaker-alarm').first().innerText().catch(() => ''), { timeout: 40_000, interval: 100 }).toContain('通知广播');
    expect(await speakers.getByTestId('speaker-alarm').first().innerText()).not.toContain('警报');
    await capture(page, 'broadcast-playing', 'speakers-state');

    // The daemon's refusals, taken from the daemon itself, replayed into the page: known ones in Chinese only.
    const tooLong = await operator.request('POST', '/api/v1/broadcast/speak', { text: '长'.repeat(501) });
    const noSpeaker = await operator.request('POST', '/api/v1/broadcast/speak', { text: '测试', speakers: ['no-such-speaker'] });
    expect(tooLong.status).toBe(400);
    expect(noSpeaker.status).toBe(400);
    const unknown = { status: 500, body: { error: { code: 'internal', message: 'espeak-ng exploded in an unforeseen way' } } };
    const cases: { answer: { status: number; body: unknown }; zh: RegExp; raw: boolean }[] = [
      { answer: tooLong, zh: /太长|500/, raw: false },
      { answer: noSpeaker, zh: /喇叭.*(不存在|没有)/, raw: false },
      { answer: unknown, zh: /播报失败|失败/, raw: true },
    ];
    for (const c of cases) {
      await page.route('**/api/v1/broadcast/speak', (route) => route.fulfill({ status: c.answer.status, contentType: 'application/json', body: JSON.stringify(c.answer.body) }), { times: 1 });
      await input.fill('测试');
      await card.getByTestId('speak-send').click();
      const box = card.getByTestId('error-box');
      await box.waitFor();
      const main = await box.getByTestId('error-text').innerText();
      expect(main).toMatch(c.zh);
      // (The speaker's id is a name from the box's config, not English prose.)
      expect(main.replace('no-such-speaker', ''), 'the main line is Chinese, not the daemon\'s English').not.toMatch(/[a-z]{4,}/i);
      expect(await box.getByTestId('error-raw').count()).toBe(c.raw ? 1 : 0);
      if (c.raw) expect(await box.getByTestId('error-raw').innerText()).toContain('espeak-ng exploded');
      if (c === cases[0]) await capture(page, 'broadcast-error', 'speak-card');
      if (c === cases[2]) await capture(page, 'broadcast-error-unknown', 'speak-card');
    }
  });

  it('while the box cannot be reached, values turn grey with 已断开 and their age keeps counting; fresh again when it can', async () => {
    const page = await newPage();
    await loginUi(page, OPERATOR);
    const line = page.getByTestId('site-card').first().locator('.reading-line').first();
    await line.waitFor();
    const age = line.locator('.reading-age');
    const seconds = async (): Promise<number> => {
      const m = /(\d+)\s*(秒|分钟)/.exec(await age.innerText());
      return m === null ? NaN : Number(m[1]) * (m[2] === '分钟' ? 60 : 1);
    };
    const stale = async (): Promise<boolean> => (await line.getAttribute('data-stale')) === 'true' && (await line.innerText()).includes('已断开');
    expect(await stale()).toBe(false);

    // A Wi-Fi that silently drops: connections stay up, nothing comes. The page notices on its own.
    gate.freeze();
    await expect.poll(stale, { timeout: 45_000, interval: 500 }).toBe(true);
    const a1 = await seconds();
    await page.waitForTimeout(4_000);
    const a2 = await seconds();
    expect(a2, `age ${a1} s, 4 s later ${a2} s`).toBeGreaterThanOrEqual(a1 + 2);
    // Greyed: the value's colour is a grey, not the normal near-black.
    const colour = await line.locator('.reading-value').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
    const [r = 0, g = 0, b = 0] = (colour.match(/\d+/g) ?? []).map(Number);
    expect(Math.max(r, g, b) - Math.min(r, g, b), `greyed value colour ${colour}`).toBeLessThan(20);
    expect(r, `greyed value colour ${colour}`).toBeGreaterThan(90);
    await page.getByTestId('offline-banner').waitFor();
    gate.open();
    await expect.poll(stale, { timeout: 30_000, interval: 500 }).toBe(false);

    // The box off: every connection refused.
    gate.block();
    await expect.poll(stale, { timeout: 20_000, interval: 250 }).toBe(true);
    const b1 = await seconds();
    await page.waitForTimeout(4_000);
    const b2 = await seconds();
    expect(b2, `age ${b1} s, 4 s later ${b2} s`).toBeGreaterThanOrEqual(b1 + 2);
    await capture(page, 'overview-disconnected', 'overview', { axe: false });
    // The site page too: its value greyed with 已断开.
    await page.getByTestId('site-link').first().click();
    await page.getByTestId('site-page').waitFor();
    await expect.poll(async () => (await page.getByTestId('site-page').innerText()).includes('已断开')).toBe(true);
    await screenshot(page, `${SHOTS}/1024x768`, 'site-disconnected');

    gate.open();
    await page.goto(gate.url);
    const fresh = page.getByTestId('site-card').first().locator('.reading-line').first();
    await fresh.waitFor();
    await expect.poll(async () => (await fresh.getAttribute('data-stale')) !== 'true' && !(await fresh.innerText()).includes('已断开'), { timeout: 30_000 }).toBe(true);
  });
});
