// The 设备 page's county-sync card in Debian's chromium (playwright-core), against the real daemon from the compiled
// CLI (its embedded demo) enrolled with the real hub (hub/http on SQLite, in this process, on loopback): the link
// up with the hub's address, the backlog per lane and the data used, zh-CN first and in English; then the box's old
// database put back after it ran on a new one, so the hub answers 409 stale_database and the page raises it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../node-daemon/core/free-port.js';
import { waitUntil } from '../daemon/daemon-harness.js';
import { ADMIN, CHROMIUM, critical, describeViolations, ensureBuilt, launchBrowser, loginUi, root, runAxe, screenshot } from '../browser/harness.js';
import { enrolWith, startHub, type HubRig } from './push-rig.js';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`SKIP test/sync/devices-sync-ui.test.ts: ${CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)`);

interface Box {
  readonly url: string;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** `fenghuo run` on the demo with this data dir, until daemon.started. */
async function runBox(dataDir: string, port: number): Promise<Box> {
  const child: ChildProcess = spawn(process.execPath, [join(root, 'bin', 'fenghuo.js'), 'run', '--data', dataDir, '--listen', `127.0.0.1:${port}`], {
    env: { ...process.env, FENGHUO_DEMO_SPEED_UP: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      logs.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitUntil(() => logs.some((l) => l['event'] === 'daemon.started') || (child.exitCode !== null ? Promise.reject(new Error(stderr.join('\n'))) : false), 30_000, 'daemon.started');
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function syncState(url: string): Promise<string | undefined> {
  const body = (await (await fetch(`${url}/api/v1/health`)).json()) as { sync?: { state: string } };
  return body.sync?.state;
}

describe.skipIf(!haveChromium)('the 设备 page shows the county link', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-sync-ui-'));
  const data = join(dir, 'data');
  let hub: HubRig;
  let browser: Browser;
  let port: number;
  let box: Box | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    hub = await startHub();
    await enrolWith(hub, data);
    port = await freePort();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await box?.stop();
    await browser?.close();
    await hub?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('link up: state, hub, last contact, backlog per lane and data used, in Chinese then English; no critical axe finding', async () => {
    box = await runBox(data, port);
    await waitUntil(async () => (await syncState(box!.url)) === 'up', 30_000, 'the link up');
    const setup = await fetch(`${box.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(setup.status, await setup.text()).toBe(201);

    const page = await browser.newPage({ viewport: { width: 800, height: 1280 } });
    try {
      await loginUi(page, box.url, ADMIN);
      await page.goto(`${box.url}/devices`);
      const card = page.getByTestId('sync-card');
      await card.waitFor();
      await expect.poll(() => page.getByTestId('sync-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('up');
      expect(await card.locator('h2').textContent()).toBe('县级同步');
      expect(await page.getByTestId('sync-state').textContent()).toBe('正常');
      expect(await page.getByTestId('sync-hub').textContent()).toBe(hub.url);
      expect(await page.getByTestId('sync-box').textContent()).toBe('qingshui-01');
      expect(await page.getByTestId('sync-last-contact').textContent()).not.toBe('尚未联系成功');
      expect(await page.getByTestId('sync-lane').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-lane')))).toEqual(['alarm', 'health', 'readings', 'bulk']);
      expect(await page.getByTestId('sync-lane').first().locator('th').textContent()).toBe('警报');
      expect(await page.getByTestId('sync-budget-day').textContent()).toMatch(/^\d+(\.\d)? (B|KB|MB)（不限）$/);
      const violations = await runAxe(page);
      expect(critical(violations), describeViolations(violations)).toEqual([]);
      await screenshot(page, '800x1280', 'devices-sync-up');

      await page.evaluate(() => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('fenghuo.lang', 'en'));
      await page.reload();
      await page.getByTestId('sync-card').waitFor();
      expect(await page.getByTestId('sync-card').locator('h2').textContent()).toBe('County sync');
      expect(await page.getByTestId('sync-state').textContent()).toBe('up');
      expect(await page.getByTestId('sync-budget-month').textContent()).toMatch(/\(no limit\)$/);
    } finally {
      await page.close();
    }
    await box.stop();
    box = undefined;
  }, 120_000);

  it('an old database put back: the hub answers stale_database and the page says what to do, in Chinese', async () => {
    // The box runs on a new database (the old one moved away): the hub starts a new series for it.
    const aside = join(dir, 'old-db');
    rmSync(aside, { recursive: true, force: true });
    const dbFiles = readdirSync(data).filter((f) => f.startsWith('fenghuo.db'));
    expect(dbFiles.length).toBeGreaterThan(0);
    renameSync(data, aside);
    renameSync(join(aside, 'sync'), join(dir, 'sync-keep'));
    mkdirSync(data);
    renameSync(join(dir, 'sync-keep'), join(data, 'sync'));
    box = await runBox(data, port);
    await waitUntil(async () => (await syncState(box!.url)) === 'up', 30_000, 'the new database pushing');
    await box.stop();

    // The old database comes back.
    for (const f of readdirSync(data).filter((n) => n.startsWith('fenghuo.db'))) rmSync(join(data, f));
    for (const f of dbFiles) renameSync(join(aside, f), join(data, f));
    box = await runBox(data, port);
    await waitUntil(async () => (await syncState(box!.url)) === 'stale_database', 30_000, 'stale_database');
    expect(box.logs.filter((l) => l['event'] === 'sync.stale_database')).toHaveLength(1);

    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    try {
      await loginUi(page, box.url, ADMIN);
      await page.goto(`${box.url}/devices`);
      await page.getByTestId('sync-stale').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('sync-state').textContent()).toBe('数据库被拒收');
      expect(await page.getByTestId('sync-stale').textContent()).toContain('fenghuo enroll --force --box');
      expect(await page.getByTestId('sync-last-error').textContent()).toContain('stale_database');
      const violations = await runAxe(page);
      expect(critical(violations), describeViolations(violations)).toEqual([]);
      await screenshot(page, '1024x768', 'devices-sync-stale');
    } finally {
      await page.close();
    }
  }, 150_000);
});
