// 录像 and 资料 (issue 13 item 7) in Debian's chromium against the real daemon on its embedded demo, which now has a
// simulated satellite receiver (real ffmpeg: lavfi test pattern + tone, MPEG-TS over UDP on loopback) with an XMLTV
// guide whose first programme, 「今日农产品价格」, starts FENGHUO_DEMO_RECORD_AFTER_S after the demo and lasts
// FENGHUO_DEMO_RECORD_S, and sample library items imported at start through the library's USB import.
// - 录像: the recording in progress shows its bytes growing from the SSE stream without a reload; once finished its
//   browser copy (MP4) plays in a <video> to `ended`; the schedule shows the guide's conflict (one receiver, two
//   channels) and, after the guide file is broken, the XMLTV error with its line; pin and delete through the UI.
// - 资料: a two-character word (玉米) and a four-character phrase (虫害防治) find the demo items; the notice, the price
//   list, the PDF and the video show inline (the video plays to `ended`); a USB folder import reports the new file,
//   the duplicate, the cut PDF, a GBK text and a program, each reason in Chinese; a viewer sees but cannot act.
// Screenshots: test-artifacts/screenshots/media-pages/<viewport>/; axe report: test-artifacts/axe-media-pages.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFfmpeg } from '../../node-daemon/sim/demo-satellite.js';
import {
  ADMIN,
  ApiSession,
  ARTIFACTS,
  CHROMIUM,
  critical,
  describeViolations,
  ensureBuilt,
  horizontalOverflow,
  launchBrowser,
  loginUi,
  OPERATOR,
  runAxe,
  screenshot,
  smallTargets,
  startDaemon,
  VIEWER,
  VIEWPORTS,
  type AxeViolation,
  type Daemon,
} from './harness.js';

const SHOTS = 'media-pages';
const ZONE = 'Asia/Shanghai';
const FIRST_TITLE = '今日农产品价格';
const ffmpeg = haveFfmpeg();
const chromium = existsSync(CHROMIUM);
if (!chromium) console.warn(`media-pages: skipped, ${CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)`);
if (chromium && !ffmpeg) console.warn('media-pages: the recording and video checks are skipped: ffmpeg is missing (apt-get install -y ffmpeg); the demo runs without its satellite channel');

const axeReport: Record<string, AxeViolation[]> = {};

interface MediaElement {
  duration: number;
  currentTime: number;
  muted: boolean;
  ended: boolean;
  videoWidth: number;
  readyState: number;
  error: { code: number } | null;
  play(): Promise<void>;
  addEventListener(type: string, fn: () => void, opts?: { once: boolean }): void;
}

/** Plays the page's `<video>` (by test id) from `fromEnd` seconds before its end, muted, and resolves at `ended`. */
async function playToEnd(page: Page, testid: string, fromEnd: number): Promise<{ duration: number; videoWidth: number; ended: boolean; currentTime: number }> {
  const video = page.getByTestId(testid).first();
  await video.waitFor();
  return video.evaluate(
    (el: unknown, back: number) =>
      new Promise<{ duration: number; videoWidth: number; ended: boolean; currentTime: number }>((resolve, reject) => {
        const v = el as MediaElement;
        const timer = setTimeout(() => reject(new Error(`no ended within 30 s: currentTime ${v.currentTime}, readyState ${v.readyState}, error ${v.error?.code}`)), 30_000);
        const go = (): void => {
          v.muted = true;
          v.addEventListener('ended', () => {
            clearTimeout(timer);
            resolve({ duration: v.duration, videoWidth: v.videoWidth, ended: v.ended, currentTime: v.currentTime });
          }, { once: true });
          v.currentTime = Math.max(0, v.duration - back);
          v.play().catch((err: unknown) => reject(new Error(`play() refused: ${String(err)}`)));
        };
        if (v.readyState >= 1) go();
        else v.addEventListener('loadedmetadata', go, { once: true });
      }),
    fromEnd,
  );
}

describe.skipIf(!chromium)('录像 and 资料 pages on the demo: a recording watched, Chinese search, a USB import', () => {
  let daemon: Daemon;
  let browser: Browser;
  let admin: ApiSession;
  const contexts: BrowserContext[] = [];

  const newPage = async (): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN', timezoneId: ZONE });
    contexts.push(ctx);
    ctx.setDefaultTimeout(15_000);
    return ctx.newPage();
  };

  /** Screenshot at both sizes, sideways overflow, touch targets, axe-core (soft checks, as the other page tests). */
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

  beforeAll(async () => {
    await ensureBuilt();
    // Slow flood replay (no alarm during the test); the first programme 3 s after start for 12 s (padding 5 s each side).
    [daemon, browser] = await Promise.all([startDaemon({ speedUp: 10, env: { FENGHUO_DEMO_RECORD_AFTER_S: '6', FENGHUO_DEMO_RECORD_S: '12' } }), launchBrowser()]);
    const setup = await fetch(`${daemon.url}/api/v1/auth/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(setup.status, await setup.text()).toBe(201);
    admin = await ApiSession.login(daemon.url, ADMIN.name, ADMIN.password);
    for (const [user, role] of [[OPERATOR, 'operator'], [VIEWER, 'viewer']] as const) {
      const made = await admin.request('POST', '/api/v1/users', { ...user, role });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
    }
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'axe-media-pages.json'), `${JSON.stringify(axeReport, null, 2)}\n`);
    const code = await daemon?.stop();
    expect(code).toBe(0);
  });

  it.skipIf(!ffmpeg)('录像: the scheduled programme records with live progress, then plays to the end; conflict, guide error with its line, pin, delete', async () => {
    const page = await newPage();
    await loginUi(page, daemon.url, OPERATOR);
    await page.getByTestId('nav-recordings').click();
    await page.getByTestId('recordings-page').waitFor();

    // In progress: the bytes grow on the open page, from the SSE `recording` events (no reload).
    const live = page.getByTestId('live-row').filter({ hasText: FIRST_TITLE });
    await live.waitFor({ timeout: 30_000 });
    const bytesNow = async (): Promise<number> => Number(await live.getByTestId('live-bytes').getAttribute('data-bytes'));
    const before = await bytesNow();
    await expect.poll(bytesNow, { timeout: 15_000, interval: 250 }).toBeGreaterThan(before);
    await expect.poll(async () => live.getByTestId('live-bitrate').innerText(), { timeout: 15_000, interval: 200 }).toMatch(/^[1-9]\d* kbit\/s$/);
    await capture(page, 'recordings-in-progress', 'live-row');

    // The guide's programmes on one receiver: the provincial meeting loses to the training.
    const conflict = page.getByTestId('conflict-row').first();
    await conflict.waitFor();
    expect(await conflict.innerText()).toContain('全省防汛视频会议');
    expect(await page.getByTestId('guide-state').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('job-row').filter({ hasText: '玉米病虫害防治' }).count()).toBe(1);

    // Finished: the browser copy plays in the <video> to its end.
    const row = page.locator('[data-testid="recording-row"][data-state="finished"]').filter({ hasText: FIRST_TITLE });
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getByTestId('recording-gaps').getAttribute('data-gaps')).toBe('0');
    await row.getByTestId('recording-play').click();
    const played = await playToEnd(page, 'recording-video', 2);
    expect(played.ended).toBe(true);
    // About the programme plus padding (12 s + 5 s + 5 s, the first seconds of which may precede the first keyframe).
    expect(played.duration).toBeGreaterThan(12);
    expect(played.duration).toBeLessThan(30);
    expect(played.videoWidth).toBe(320);
    await capture(page, 'recordings-played', 'recording-video');

    // Pin, then delete (confirmed) through the UI.
    await row.getByTestId('recording-pin').click();
    await row.getByTestId('recording-pinned').waitFor();
    const id = await row.getAttribute('data-recording-id');
    const listed = await admin.request<{ recordings: { id: string; pinned: boolean }[] }>('GET', '/api/v1/recordings');
    expect(listed.body.recordings.find((r) => r.id === id)?.pinned).toBe(true);

    // A guide file broken on a known line: the page names the line, and the old schedule stays.
    const guideFile = join(daemon.dir, 'data', 'demo', 'guide.xml');
    const lines = readFileSync(guideFile, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('玉米病虫害防治'));
    lines[at] = lines[at]!.replace('</title>', '</titel>');
    writeFileSync(guideFile, lines.join('\n'));
    await expect
      .poll(async () => (await admin.request<{ guide: { state: string } }>('GET', '/api/v1/recordings/schedule')).body.guide.state, { timeout: 15_000 })
      .toBe('error');
    await page.reload();
    const errorLine = page.getByTestId('guide-error-line');
    await errorLine.waitFor();
    expect(await errorLine.getAttribute('data-line')).toBe(String(at + 1));
    expect(await errorLine.innerText()).toContain(`第 ${at + 1} 行`);
    expect(await page.getByTestId('job-row').filter({ hasText: '玉米病虫害防治' }).count()).toBe(1);
    await capture(page, 'recordings-guide-error', 'guide-error');

    const again = page.locator(`[data-testid="recording-row"][data-recording-id="${id}"]`);
    await again.getByTestId('recording-delete').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await again.waitFor({ state: 'detached' });
    const after = await admin.request<{ recordings: { id: string }[] }>('GET', '/api/v1/recordings');
    expect(after.body.recordings.some((r) => r.id === id)).toBe(false);
  }, 180_000);

  it('资料: finds the demo items by 玉米 and 虫害防治, shows the notice, the price list, the PDF and the video, imports a USB folder', async () => {
    const page = await newPage();
    await loginUi(page, daemon.url, OPERATOR);
    await page.getByTestId('nav-library').click();
    await page.getByTestId('library-page').waitFor();
    const total = page.getByTestId('library-total');
    await total.waitFor();
    expect(Number(await total.getAttribute('data-total'))).toBe(ffmpeg ? 5 : 3);

    const titles = async (): Promise<string[]> => page.getByTestId('item-title').allInnerTexts();
    const search = async (q: string): Promise<string[]> => {
      await page.getByTestId('library-search').fill(q);
      await page.getByTestId('library-search-submit').click();
      await expect.poll(async () => (await total.innerText()).includes(`「${q}」`)).toBe(true);
      return titles();
    };
    // Two characters (the scan fallback) and four (the trigram index).
    const corn = await search('玉米');
    expect(corn).toContain('玉米病虫害防治');
    if (ffmpeg) expect(corn).toContain('玉米田间管理');
    expect(corn.every((x) => x.includes('玉米'))).toBe(true);
    expect(await search('虫害防治')).toEqual(['玉米病虫害防治']);
    await capture(page, 'library-search', 'item-row');

    // The PDF inline (and served as a PDF, inline).
    const pdfRow = page.getByTestId('item-row').filter({ hasText: '玉米病虫害防治' });
    await pdfRow.getByTestId('item-open').click();
    const iframe = pdfRow.getByTestId('library-pdf');
    await iframe.waitFor();
    const src = (await iframe.getAttribute('src'))!;
    const served = await page.evaluate(async (url: string) => {
      const res = await fetch(url, { credentials: 'same-origin' });
      return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition') };
    }, src);
    expect(served.status).toBe(200);
    expect(served.type).toContain('application/pdf');
    expect(served.disposition).toMatch(/^inline/);

    // Browse by category: 市场行情 has the price list, read into a table.
    await page.getByTestId('library-search-clear').click();
    await page.locator('[data-testid="category-button"][data-category="市场行情"]').click();
    await expect.poll(titles).toEqual(['今日农产品价格']);
    await page.getByTestId('item-open').click();
    expect(await page.getByTestId('library-prices').innerText()).toContain('玉米');
    await page.getByTestId('category-all').click();
    const notice = page.getByTestId('item-row').filter({ hasText: '关于做好汛期值班值守工作的通知' });
    await notice.getByTestId('item-open').click();
    expect(await notice.getByTestId('library-notice').innerText()).toContain('24小时值班');
    await capture(page, 'library-notice', 'library-notice');

    if (ffmpeg) {
      const video = page.getByTestId('item-row').filter({ hasText: '玉米田间管理' });
      await video.getByTestId('item-open').click();
      const played = await playToEnd(page, 'library-video', 1.5);
      expect(played.ended).toBe(true);
      expect(played.duration).toBeGreaterThan(5);
    } else {
      console.warn('media-pages: library video check skipped (no ffmpeg: the demo has no sample video)');
    }

    // A USB folder: one new notice, one duplicate of the price list, one PDF cut short; and, put there by the test, a
    // notice saved as GBK on a Windows PC and a program. Every reason is said in Chinese (the report's codes).
    const usbMore = join(daemon.dir, 'data', 'demo', 'usb-more');
    writeFileSync(join(usbMore, '停水通知.txt'), iconv.encode('各村注意：明天上午停水，请提前储水。', 'gbk'));
    writeFileSync(join(usbMore, 'setup.exe'), Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'));
    await page.getByTestId('import-path').fill(usbMore);
    await page.getByTestId('import-submit').click();
    const report = page.getByTestId('import-report');
    await report.waitFor({ timeout: 30_000 });
    expect(await report.getAttribute('data-imported')).toBe('1');
    expect(await report.getAttribute('data-duplicates')).toBe('1');
    expect(await report.getAttribute('data-corrupt')).toBe('2');
    expect(await report.getAttribute('data-skipped')).toBe('1');
    expect(await page.getByTestId('import-duplicates').innerText()).toContain('与资料库中的「今日农产品价格」相同');
    expect(await page.getByTestId('import-corrupt').innerText()).toContain('小麦赤霉病防治');
    const reason = async (file: string): Promise<{ code: string | null; text: string }> => {
      const row = page.locator('[data-testid="import-row"]').filter({ hasText: file });
      return { code: await row.getAttribute('data-code'), text: (await row.getByTestId('import-reason').innerText()).trim() };
    };
    const pdfRowReason = await page.getByTestId('import-corrupt').getByTestId('import-row').filter({ hasText: '.pdf' }).getByTestId('import-reason').innerText();
    expect(pdfRowReason).toContain('PDF 不完整或已损坏');
    expect(await reason('停水通知.txt')).toEqual({ code: 'text_not_utf8', text: '文本不是 UTF-8 编码（可能是 GBK），请另存为 UTF-8 后再导入' });
    expect(await reason('setup.exe')).toEqual({ code: 'unsupported_type', text: '不支持的文件类型（只能导入视频、PDF、图片和文本）' });
    // The API keeps its English fields beside the codes.
    const answer = await admin.request<{ corrupt: { file: string; code: string; problem: string }[] }>('POST', '/api/v1/library/import', { path: usbMore });
    expect(answer.body.corrupt.find((c) => c.file === '停水通知.txt')).toEqual({ file: '停水通知.txt', code: 'text_not_utf8', problem: 'text is not UTF-8 (save it as UTF-8)' });
    await capture(page, 'library-import', 'import-report');
    expect(await search('生猪')).toEqual(['生猪防疫要点']);

    // Deleted through the UI, confirmed.
    await page.getByTestId('item-delete').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(async () => total.getAttribute('data-total')).toBe('0');
    // A path outside the USB mounts is the daemon's refusal, shown.
    await page.getByTestId('import-path').fill('/etc');
    await page.getByTestId('import-submit').click();
    await page.getByTestId('import-card').getByTestId('error-box').waitFor();
  }, 120_000);

  it('a viewer sees both pages but no form and no button that changes anything', async () => {
    const page = await newPage();
    await loginUi(page, daemon.url, VIEWER);
    await page.getByTestId('nav-library').click();
    await page.getByTestId('item-row').first().waitFor();
    expect(await page.getByTestId('import-card').count()).toBe(0);
    expect(await page.getByTestId('item-delete').count()).toBe(0);
    await page.getByTestId('nav-recordings').click();
    await page.getByTestId('schedule-card').waitFor();
    await page.getByTestId('guide-state').waitFor();
    expect(await page.getByTestId('record-now-card').count()).toBe(0);
    expect(await page.getByTestId('add-entry-card').count()).toBe(0);
    expect(await page.getByTestId('job-cancel').count()).toBe(0);
    expect(await page.getByTestId('recording-delete').count()).toBe(0);
  });
});
