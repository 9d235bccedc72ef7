// The county's hub page (hub/web, built into dist/hub-web) in Debian's chromium against a real hub (the hub app on a
// real HTTP server, SQLite) that has ingested a box's records (test/hub/box-sim.ts, signed as the box signs them):
// sign in as the duty officer, see the box with its last contact, link state, backlog, active alarm and latest
// level, open it and see its level chart drawn from the readings API and its camera picture, issue a drill county alarm from the form and
// see it in the orders list with its delivery; a viewer gets no order forms. Screenshots under test-artifacts/.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubAccounts } from '../../hub/accounts/accounts.js';
import { CHROMIUM, critical, describeViolations, launchBrowser, root, runAxe, screenshot } from '../browser/harness.js';
import { IMAGES_SYNC_PATH } from '../../node-daemon/sync/protocol/image-wire.js';
import { makePicture } from '../camera/camera-peers.js';
import { withBuildLock } from '../helpers/dist-build.js';
import { BoxSim, ZERO } from './box-sim.js';
import { boxRequest, enrolBoxOverHttp, send, startHub, type TestHub } from './http/hub-fixture.js';

const run = promisify(execFile);
const BOX = 'meixi-01';
const DUTY = { name: '值班员', password: 'zhi-ban-yuan-1' };
const VIEWER = { name: 'look', password: 'zhi-kan-kan-22' };

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

/** dist/hub-web built when missing or older than hub/web or the box UI's sources it reuses (one builder at a time). */
async function ensureHubWebBuilt(): Promise<void> {
  const index = join(root, 'dist', 'hub-web', 'index.html');
  const stale = (): boolean => !existsSync(index) || statSync(index).mtimeMs < Math.max(newest(join(root, 'hub', 'web')), newest(join(root, 'web-ui', 'src')));
  if (!stale()) return;
  await withBuildLock('hub-web', async () => {
    if (!stale()) return;
    await run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(root, 'hub', 'web', 'vite.config.mts'), '--logLevel', 'warn'], { cwd: root });
  });
}

/** What the box reports in a health snapshot: its own GET /api/v1/health body (the parts the page shows). */
function healthBody(now: number, level: number): Record<string, unknown> {
  const lane = (records: number) => ({ records, bytes: records * 200, oldestAgeMs: records === 0 ? null : 60_000 });
  return {
    ts: now,
    uptimeS: 3600,
    version: '0.1.0',
    sensors: [{ id: 'river', name: '梅溪水位', bus: 'rtu', slave: 1, profile: 'inline', critical: true, status: 'good', lastReading: { ts: now - 60_000, value: level, quality: 'good' } }],
    sync: { state: 'up', backlog: { alarm: lane(0), health: lane(0), readings: lane(12), bulk: lane(30) }, budget: { dayBytes: 1000, monthBytes: 20000 }, offsetMs: 0 },
  };
}

const skip = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)`;
if (skip !== undefined) console.warn(`[hub web page test] SKIPPED: ${skip}`);

describe.skipIf(skip !== undefined)('the hub page in chromium', () => {
  let hub: TestHub;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const newPage = async (): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(10_000);
    return ctx.newPage();
  };

  const signIn = async (page: Page, who: { name: string; password: string }): Promise<void> => {
    await page.goto(hub.url);
    await page.getByTestId('login-form').waitFor();
    await page.getByTestId('login-name').fill(who.name);
    await page.getByTestId('login-password').fill(who.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('current-user').waitFor();
  };

  beforeAll(async () => {
    await ensureHubWebBuilt();
    hub = await startHub();
    const { accounts } = createHubAccounts(hub.store.sql, { scryptCost: { log2N: 12, r: 8, p: 1 } });
    await accounts.create(DUTY.name, DUTY.password, 'duty');
    await accounts.create(VIEWER.name, VIEWER.password, 'viewer');

    // A box enrols and pushes six hours of readings, a health snapshot and a raised alarm, as its outbox would.
    const key = await enrolBoxOverHttp(hub, BOX);
    const sim = new BoxSim();
    const now = Date.now();
    const start = now - 6 * 3_600_000;
    for (let h = 0; h < 6; h++) sim.readings(12, { sensorId: 'river', start: start + h * 3_600_000, stepMs: 5 * 60_000, value: (i) => 1.2 + (h * 12 + i) * 0.01 });
    sim.health(healthBody(now, 1.91));
    const alarm = sim.newAlarm({ siteId: 'meixi', sensorId: 'river', title: '梅溪 准备转移', raisedAt: now - 10 * 60_000 });
    sim.transition(alarm, 'raised', 'prepare', now - 10 * 60_000);
    // A training programme the box recorded and finished, as its recordings store reports one.
    sim.recording(
      {
        id: 'xmltv-cctv17-1', channelId: 'cctv17', channelName: 'CCTV-17 农业农村', title: '致富经', origin: 'xmltv', state: 'finished',
        plannedStart: now - 3 * 3_600_000, plannedEnd: now - 2.5 * 3_600_000, actualStart: now - 3 * 3_600_000 + 1_000, actualEnd: now - 2.5 * 3_600_000,
        durationS: 1_799, bytes: 900 * 1024 * 1024, segments: 30, gaps: [{ from: now - 2.8 * 3_600_000, to: now - 2.8 * 3_600_000 + 15_000, reason: 'stall' }], pinned: true, lastError: null,
      },
      now - 2.5 * 3_600_000,
    );
    const answer = await send(hub, await boxRequest(hub.url, key, { box: BOX, batch: 1, lanes: sim.request(ZERO, 1000) }));
    expect(answer.status).toBe(200);
    // A camera picture of that alarm, announced with its thumbnail as the box's image upload sends it (full image not yet).
    const thumb = await makePicture('jpeg', '320x180');
    const full = await makePicture('jpeg');
    const picture = {
      dbId: 'web-page-db',
      images: [
        {
          id: 7, cameraId: 'bridge', siteId: 'meixi', ts: now - 10 * 60_000 + 2_000, cause: 'alarm', alarms: [{ alarmId: alarm.id, transitionId: 1, role: 'at' }],
          thumb: thumb.toString('base64'), full: { size: full.byteLength, sha256: createHash('sha256').update(full).digest('hex') },
        },
      ],
    };
    expect((await send(hub, await boxRequest(hub.url, key, picture, { path: IMAGES_SYNC_PATH }))).status).toBe(200);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await hub?.close();
  });

  it('the duty officer sees the box, its chart, and issues a drill county alarm that shows in the orders', async () => {
    const page = await newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await signIn(page, DUTY);
    await expect.poll(() => page.getByTestId('current-user').textContent()).toContain('值班员（值班员）');

    // The boxes list: last contact (local time, relative), link state, backlog, the active alarm, the latest level.
    const row = page.getByTestId(`box-row-${BOX}`);
    await row.waitFor();
    expect(await row.getByTestId('box-link-state').textContent()).toBe('正常');
    expect(await row.getByTestId('box-levels').textContent()).toContain('梅溪水位');
    expect(await row.getByTestId('box-levels').textContent()).toContain('1.91');
    expect(await row.getByTestId('box-alarms').textContent()).toContain('梅溪 准备转移');
    expect(await row.getByTestId('box-last-contact').textContent()).toMatch(/秒前/);
    expect(await row.textContent()).toContain('42 条');
    await screenshot(page, 'hub', 'boxes');
    const violations = await runAxe(page);
    expect(critical(violations), describeViolations(violations)).toEqual([]);

    // The box: its chart from GET /api/v1/boxes/:id/readings (24 h at raw resolution), drawn by uPlot.
    const readingsAsked = page.waitForResponse((r) => r.url().includes(`/api/v1/boxes/${BOX}/readings`) && r.status() === 200);
    await page.getByTestId(`box-link-${BOX}`).click();
    await page.getByTestId('box-page').waitFor();
    const readingsAnswer = (await (await readingsAsked).json()) as { resolution: string; readings: unknown[] };
    expect(readingsAnswer.resolution).toBe('raw');
    expect(readingsAnswer.readings).toHaveLength(72);
    await page.getByTestId('level-chart').locator('canvas').waitFor();
    expect(await page.getByTestId('chart-resolution').textContent()).toContain('raw');
    expect(await page.getByText('此时间范围内没有读数').count()).toBe(0);
    // A week asks for 15-minute buckets.
    const weekAsked = page.waitForResponse((r) => r.url().includes('resolution=15m') && r.status() === 200);
    await page.getByTestId('range-7d').click();
    expect(((await (await weekAsked).json()) as { buckets: unknown[] }).buckets.length).toBeGreaterThan(0);
    // Its recordings, from GET /api/v1/boxes/:id/recordings.
    const recording = page.getByTestId('box-recording');
    await recording.first().waitFor();
    expect(await recording.count()).toBe(1);
    const recText = (await recording.textContent()) ?? '';
    for (const part of ['致富经', 'CCTV-17 农业农村', '已完成', '已保留', '中断 1 处', '900 MB']) expect(recText).toContain(part);
    // Its camera pictures, from GET /api/v1/boxes/:id/images: the thumbnail really loaded, its alarm role, the full image still owed.
    const shown = page.getByTestId('box-picture');
    await shown.first().waitFor();
    expect(await shown.count()).toBe(1);
    await expect.poll(() => shown.first().locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(320);
    const picText = (await shown.first().textContent()) ?? '';
    for (const part of ['meixi', '警报时', '原图上传中 0%']) expect(picText).toContain(part);
    await screenshot(page, 'hub', 'box');

    // A drill county alarm from the form (no confirmation for a drill), then seen in the orders list.
    await page.getByTestId('nav-orders').click();
    await page.getByTestId('county-alarm-form').waitFor();
    await page.getByTestId('ca-title').fill('县防指 汛期演练');
    await page.getByTestId('ca-level').selectOption('evacuate');
    expect(await page.getByTestId('ca-drill').isChecked()).toBe(true);
    await page.getByTestId('ca-submit').click();
    await page.getByTestId('ca-issued').waitFor();
    const order = page.locator('[data-testid=order-row][data-kind=county_alarm]');
    await order.first().waitFor();
    expect(await order.count()).toBe(1);
    const text = await order.first().textContent();
    expect(text).toContain('县防指 汛期演练');
    expect(text).toContain('演练');
    expect(text).toContain('立即转移');
    expect(text).toContain('值班员');
    expect(await order.first().getByTestId('order-delivery').textContent()).toContain('送达 0/1');
    await screenshot(page, 'hub', 'orders');

    // What the hub stored: a drill, for every box, issued by this account.
    const listed = (await (await fetch(`${hub.url}/api/v1/orders`)).json()) as { orders: { kind: string; by: string; to: unknown; body: Record<string, unknown> }[] };
    expect(listed.orders).toHaveLength(1);
    expect(listed.orders[0]).toMatchObject({ kind: 'county_alarm', by: '值班员', to: '*', body: { level: 'evacuate', title: '县防指 汛期演练', drill: true } });
    expect(pageErrors).toEqual([]);
  });

  it('a viewer sees the orders but no form to issue them, and the active alarms across boxes', async () => {
    const page = await newPage();
    await signIn(page, VIEWER);
    await page.getByTestId('nav-alarms').click();
    await page.getByTestId('alarm-row').first().waitFor();
    expect(await page.getByTestId('alarm-row').first().textContent()).toContain('梅溪 准备转移');
    await page.getByTestId('nav-orders').click();
    await page.getByTestId('orders').waitFor();
    expect(await page.getByTestId('county-alarm-form').count()).toBe(0);
    expect(await page.getByText('查看员不能发布指令').count()).toBe(1);
    // A deep link survives a reload (the hub answers index.html outside /api/), and the session cookie with it.
    await page.goto(`${hub.url}/box/${BOX}`);
    await page.getByTestId('box-page').waitFor();
    await page.getByTestId('level-chart').locator('canvas').waitFor();
    // English on the switch.
    await page.getByTestId('lang-switch').click();
    await expect.poll(() => page.getByTestId('nav-orders').textContent()).toBe('Orders');
  });
});
