// The 录像 page's two forms in Debian's chromium against the real daemon on its embedded demo (real ffmpeg: the
// simulated satellite receiver sends a test pattern as MPEG-TS over UDP to two channels behind one receiver).
// - 立即录制: a length out of range is refused in the page (nothing sent); the demo's channel for one minute starts a
//   recording that shows in progress with a live bitrate and growing bytes, in the DOM and in GET /recordings; it is
//   stopped through the page.
// - 添加录制: a one-off and a weekly entry appear in the entry list and the jobs (GET /recordings/schedule: the times
//   as the operator meant them in the box's zone); a second one-off overlapping on the same channel is merged into
//   one job; one on the other channel of the same receiver is a conflict, said under the form and in the schedule,
//   and goes when that entry is deleted.
// The guide's first programme is moved an hour away so that nothing but what the test adds records meanwhile.
// Screenshots: test-artifacts/screenshots/recording-forms/.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFfmpeg } from '../../node-daemon/sim/demo-satellite.js';
import { ADMIN, ApiSession, CHROMIUM, ensureBuilt, launchBrowser, loginUi, OPERATOR, screenshot, startDaemon, type Daemon } from './harness.js';

const SHOTS = 'recording-forms/1024x768';
const FARM = 'cctv17';
const PROVINCE = 'prov';
const chromium = existsSync(CHROMIUM);
const ffmpeg = haveFfmpeg();
if (!chromium) console.warn(`recording-forms: skipped, ${CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)`);
if (chromium && !ffmpeg) console.warn('recording-forms: skipped, ffmpeg is missing (apt-get install -y ffmpeg): the demo has no recording channels without it');

interface Rec {
  id: string;
  title: string;
  channelId: string;
  state: string;
  origin: string;
  bytes: number;
  live: { bitrateKbit: number | null } | null;
}
interface Job {
  id: string;
  title: string;
  channelId: string;
  startAt: number;
  endAt: number;
  origin: string;
  parts: string[];
  state: string;
}
interface Entry {
  id: string;
  kind: string;
  channelId: string;
  title: string;
  startAt?: number;
  endAt?: number;
  days?: string[];
  start?: string;
  end?: string;
  account?: string;
}
interface Schedule {
  timeZone: string;
  jobs: Job[];
  conflicts: { id: string; sourceKey: string; kept: Job; dropped: Job }[];
  entries: Entry[];
}

/** `date` (YYYY-MM-DD) `days` after `now`, in `zone`. */
function zonedDate(zone: string, now: number, days: number): string {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(now + days * 86_400_000))) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}`;
}

describe.skipIf(!chromium || !ffmpeg)('录像 page forms on the demo: 立即录制 and 添加录制', () => {
  let daemon: Daemon;
  let browser: Browser;
  let admin: ApiSession;
  let page: Page;
  const contexts: BrowserContext[] = [];

  const schedule = async (): Promise<Schedule> => (await admin.request<Schedule>('GET', '/api/v1/recordings/schedule')).body;
  const recordings = async (): Promise<Rec[]> => (await admin.request<{ recordings: Rec[] }>('GET', '/api/v1/recordings')).body.recordings;

  beforeAll(async () => {
    await ensureBuilt();
    // The guide's first programme an hour away, its training ten minutes away: within the test only what it adds records.
    [daemon, browser] = await Promise.all([startDaemon({ speedUp: 10, env: { FENGHUO_DEMO_RECORD_AFTER_S: '3600', FENGHUO_DEMO_RECORD_S: '60' } }), launchBrowser()]);
    const setup = await fetch(`${daemon.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(setup.status, await setup.text()).toBe(201);
    admin = await ApiSession.login(daemon.url, ADMIN.name, ADMIN.password);
    const made = await admin.request('POST', '/api/v1/users', { ...OPERATOR, role: 'operator' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    ctx.setDefaultTimeout(20_000);
    page = await ctx.newPage();
    await loginUi(page, daemon.url, OPERATOR);
    await page.getByTestId('nav-recordings').click();
    await page.getByTestId('record-now-card').waitFor();
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    const code = await daemon?.stop();
    expect(code).toBe(0);
  });

  it('立即录制: refuses a length out of range, then records the satellite channel with a live bitrate, and stops it', async () => {
    const card = page.getByTestId('record-now-card');
    // Both channels of the demo receiver are offered.
    expect(await card.getByTestId('now-channel').locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual([FARM, PROVINCE]);

    // Out of range: the page says so in Chinese and sends nothing.
    await card.getByTestId('now-minutes').fill('0');
    await card.getByTestId('now-submit').click();
    await expect.poll(async () => card.getByRole('alert').allInnerTexts(), { timeout: 10_000 }).toContainEqual(expect.stringContaining('1 到 1440'));
    expect((await schedule()).entries.filter((e) => e.kind === 'now')).toEqual([]);

    const title = '浏览器测试立即录制';
    await card.getByTestId('now-channel').selectOption(FARM);
    await card.getByTestId('now-minutes').fill('1');
    await card.getByTestId('now-title').fill(title);
    await card.getByTestId('now-submit').click();
    expect(await card.getByTestId('now-done').innerText()).toContain(title);
    expect(await card.getByTestId('now-conflict').count()).toBe(0);

    // The API has the entry (kind now, one minute, who asked) and the recording on the farm channel.
    const s = await schedule();
    const entry = s.entries.find((e) => e.title === title);
    expect(entry).toMatchObject({ kind: 'now', channelId: FARM, account: OPERATOR.name });
    expect(entry!.endAt! - entry!.startAt!).toBe(60_000);

    // In progress on the open page (the recording's live events): a bitrate above zero, bytes growing.
    const live = page.getByTestId('live-row').filter({ hasText: title });
    await live.waitFor({ timeout: 30_000 });
    expect(await live.getAttribute('data-state')).toBe('recording');
    expect(await live.innerText()).toContain('CCTV-17');
    await expect.poll(async () => live.getByTestId('live-bitrate').innerText(), { timeout: 30_000, interval: 250 }).toMatch(/^[1-9]\d* kbit\/s$/);
    const bytesNow = async (): Promise<number> => Number(await live.getByTestId('live-bytes').getAttribute('data-bytes'));
    const before = await bytesNow();
    await expect.poll(bytesNow, { timeout: 30_000, interval: 250 }).toBeGreaterThan(before);
    await expect
      .poll(async () => (await recordings()).find((r) => r.title === title), { timeout: 30_000, interval: 500 })
      .toMatchObject({ channelId: FARM, state: 'recording', origin: 'now', live: { bitrateKbit: expect.any(Number) } });
    const rec = (await recordings()).find((r) => r.title === title)!;
    expect(rec.live!.bitrateKbit).toBeGreaterThan(0);
    expect(rec.bytes).toBeGreaterThan(0);
    // The schedule shows its job recording.
    await expect.poll(async () => page.getByTestId('job-row').filter({ hasText: title }).getAttribute('data-state'), { timeout: 30_000 }).toBe('recording');
    await screenshot(page, SHOTS, 'record-now-in-progress');

    // Stopped through the page (confirmed): it leaves the in-progress list and the recorder lets go of the receiver.
    await live.getByTestId('stop-button').click();
    await page.getByTestId('confirm-ok').click();
    await live.waitFor({ state: 'detached', timeout: 60_000 });
    await expect.poll(async () => (await recordings()).find((r) => r.id === rec.id)?.state, { timeout: 90_000, interval: 500 }).toMatch(/^(finished|failed)$/);
    expect((await recordings()).find((r) => r.id === rec.id)?.state).toBe('finished');
  }, 240_000);

  it('添加录制: a one-off and a weekly entry are listed; an overlap on the same channel merges, on the same receiver it is a conflict', async () => {
    const card = page.getByTestId('add-entry-card');
    const zone = (await schedule()).timeZone;
    const date = zonedDate(zone, Date.now(), 2);
    const at = (hhmm: string): number => {
      // The zone's offset on that day, as the daemon reads an ISO time with an offset (the demo is in Beijing, +08:00).
      const probe = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(new Date(`${date}T12:00:00Z`));
      const off = (probe.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT').replace('GMT', '') || '+00:00';
      return Date.parse(`${date}T${hhmm}:00${off}`);
    };
    const add = async (f: { kind: 'once' | 'weekly'; channel: string; title: string; date?: string; days?: string[]; start: string; end: string }): Promise<void> => {
      await card.getByTestId(`entry-kind-${f.kind}`).check();
      await card.getByTestId('entry-channel').selectOption(f.channel);
      await card.getByTestId('entry-title').fill(f.title);
      if (f.date !== undefined) await card.getByTestId('entry-date').fill(f.date);
      for (const d of f.days ?? []) await card.getByTestId(`entry-day-${d}`).check();
      await card.getByTestId('entry-start').fill(f.start);
      await card.getByTestId('entry-end').fill(f.end);
      await card.getByTestId('entry-submit').click();
      await expect.poll(async () => card.getByTestId('entry-done').innerText().catch(() => ''), { timeout: 20_000 }).toContain(f.title);
    };
    const entryRow = (title: string) => page.getByTestId('entry-row').filter({ hasText: title });

    // A one-off: in the entries and the jobs, at the times meant in the box's zone (padding 5 s each side).
    await add({ kind: 'once', channel: FARM, title: '农技讲座', date, start: '20:00', end: '21:00' });
    await entryRow('农技讲座').waitFor();
    expect(await entryRow('农技讲座').getAttribute('data-kind')).toBe('once');
    expect(await entryRow('农技讲座').innerText()).toContain('20:00');
    let s = await schedule();
    const once = s.entries.find((e) => e.title === '农技讲座');
    expect(once).toMatchObject({ kind: 'once', channelId: FARM, startAt: at('20:00'), endAt: at('21:00'), account: OPERATOR.name });
    const onceJob = s.jobs.find((j) => j.parts.includes(`manual:${once!.id}`));
    expect(onceJob).toMatchObject({ title: '农技讲座', channelId: FARM, origin: 'manual', startAt: at('20:00') - 5_000, endAt: at('21:00') + 5_000, state: 'scheduled' });
    await page.locator(`[data-testid="job-row"][data-job-id="${onceJob!.id}"]`).waitFor();

    // A weekly entry: no day chosen is refused in the page; then Tuesdays and Thursdays 06:00–06:30.
    await card.getByTestId('entry-kind-weekly').check();
    await card.getByTestId('entry-title').fill('每周天气');
    await card.getByTestId('entry-submit').click();
    await expect.poll(async () => card.getByRole('alert').allInnerTexts(), { timeout: 10_000 }).toContainEqual('请至少选择一天');
    await add({ kind: 'weekly', channel: FARM, title: '每周天气', days: ['thu', 'tue'], start: '06:00', end: '06:30' });
    await entryRow('每周天气').waitFor();
    expect(await entryRow('每周天气').getAttribute('data-kind')).toBe('weekly');
    expect(await entryRow('每周天气').innerText()).toContain('每周二、周四 06:00–06:30');
    s = await schedule();
    const weekly = s.entries.find((e) => e.title === '每周天气');
    expect(weekly).toMatchObject({ kind: 'weekly', channelId: FARM, days: ['tue', 'thu'], start: '06:00', end: '06:30' });
    // Within the 8-day horizon there are two or three of them (Tuesdays and Thursdays).
    const weeklyJobs = s.jobs.filter((j) => j.title === '每周天气');
    expect(weeklyJobs.length).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => page.getByTestId('job-row').filter({ hasText: '每周天气' }).count(), { timeout: 15_000 }).toBe(weeklyJobs.length);

    // The same channel, overlapping: one job from the first start to the last end, both titles; no conflict.
    await card.getByTestId('entry-kind-once').check();
    await add({ kind: 'once', channel: FARM, title: '讲座答疑', date, start: '20:30', end: '21:30' });
    expect(await card.getByTestId('entry-conflict').count()).toBe(0);
    s = await schedule();
    const merged = s.jobs.find((j) => j.id === onceJob!.id);
    expect(merged).toMatchObject({ title: '农技讲座 / 讲座答疑', startAt: at('20:00') - 5_000, endAt: at('21:30') + 5_000 });
    expect(merged!.parts).toHaveLength(2);
    expect(s.conflicts.filter((c) => c.dropped.title.includes('讲座') || c.kept.title.includes('讲座'))).toEqual([]);
    await expect.poll(async () => page.locator(`[data-testid="job-row"][data-job-id="${onceJob!.id}"]`).getByTestId('job-title').innerText(), { timeout: 15_000 }).toBe('农技讲座 / 讲座答疑');

    // The other channel of the same receiver, overlapping: the later one is dropped, said under the form and in the schedule.
    await add({ kind: 'once', channel: PROVINCE, title: '县里视频会', date, start: '20:15', end: '20:45' });
    const said = card.getByTestId('entry-conflict-row');
    await said.waitFor();
    expect(await said.getAttribute('data-dropped')).toBe('县里视频会');
    expect(await said.getAttribute('data-kept')).toBe('农技讲座 / 讲座答疑');
    expect(await said.innerText()).toContain('「县里视频会」不会录制');
    s = await schedule();
    const conflict = s.conflicts.find((c) => c.dropped.title === '县里视频会');
    expect(conflict).toMatchObject({ sourceKey: 'receiver:demo-receiver', kept: { id: onceJob!.id, channelId: FARM }, dropped: { channelId: PROVINCE } });
    expect(s.jobs.some((j) => j.title === '县里视频会')).toBe(false);
    const listed = page.locator(`[data-testid="conflict-row"][data-dropped="县里视频会"]`);
    await listed.waitFor();
    expect(await listed.innerText()).toContain('省台公共频道');
    await screenshot(page, SHOTS, 'add-entry-conflict');

    // Deleting the dropped entry (confirmed) ends the conflict, in the page and in the API.
    await entryRow('县里视频会').getByTestId('entry-delete').click();
    await page.getByTestId('confirm-ok').click();
    await entryRow('县里视频会').waitFor({ state: 'detached' });
    await listed.waitFor({ state: 'detached' });
    s = await schedule();
    expect(s.entries.some((e) => e.title === '县里视频会')).toBe(false);
    expect(s.conflicts.some((c) => c.dropped.title === '县里视频会')).toBe(false);
  }, 180_000);
});
