// The browser harness on its own: Debian's chromium starts under playwright-core, axe-core finds a known violation
// and passes a clean page, screenshots are real PNGs of the viewport's size, Chinese text has glyphs (not tofu), and
// the daemon starts from the compiled CLI and stops cleanly.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { critical, horizontalOverflow, launchBrowser, runAxe, screenshot, SCREENSHOTS, startDaemon, ensureBuilt } from './harness.js';

const page = (body: string): string =>
  `data:text/html;charset=utf-8,${encodeURIComponent(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>测试</title></head><body><main>${body}</main></body></html>`)}`;

describe('browser harness', () => {
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 800, height: 1280 } });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('runs Debian chromium', () => {
    expect(browser.version()).toMatch(/^\d+\./);
  });

  it('axe-core reports a critical violation on a bad page and none on a clean one', async () => {
    const p = await context.newPage();
    await p.goto(page('<h1>烽火</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">'));
    const bad = await runAxe(p);
    expect(critical(bad).map((v) => v.id)).toContain('image-alt');
    await p.goto(page('<h1>烽火</h1><p>梅森站 准备转移</p><img alt="水位图" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">'));
    expect(critical(await runAxe(p))).toEqual([]);
    await p.close();
  });

  it('saves a full-page PNG of the viewport width', async () => {
    const p = await context.newPage();
    await p.goto(page('<h1>烽火 fenghuo</h1>'));
    const path = await screenshot(p, 'harness', 'data-url');
    expect(path).toBe(join(SCREENSHOTS, 'harness', 'data-url.png'));
    const png = readFileSync(path);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.readUInt32BE(16)).toBe(800); // IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(1280); // full page: at least the viewport's height
    await p.close();
    rmSync(join(SCREENSHOTS, 'harness'), { recursive: true, force: true });
  });

  it('renders Chinese with real glyphs (fonts-noto-cjk), not the same missing-glyph box for every character', async () => {
    const p = await context.newPage();
    await p.goto(page('<canvas width="64" height="64"></canvas>'));
    const { differ, inked } = await p.evaluate(() => {
      interface Canvas2D {
        fillStyle: string;
        font: string;
        fillRect(x: number, y: number, w: number, h: number): void;
        fillText(text: string, x: number, y: number): void;
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      }
      const { document } = globalThis as unknown as {
        document: { createElement(tag: 'canvas'): { width: number; height: number; getContext(kind: '2d'): Canvas2D | null } };
      };
      const draw = (ch: string): Uint8ClampedArray => {
        const c = document.createElement('canvas');
        c.width = 64;
        c.height = 64;
        const g = c.getContext('2d')!;
        g.fillStyle = '#fff';
        g.fillRect(0, 0, 64, 64);
        g.fillStyle = '#000';
        g.font = '48px sans-serif';
        g.fillText(ch, 4, 52);
        return g.getImageData(0, 0, 64, 64).data;
      };
      const a = draw('烽');
      const b = draw('火');
      let diff = 0;
      let ink = 0;
      for (let i = 0; i < a.length; i += 4) {
        if (a[i] !== b[i]) diff++;
        if (a[i]! < 128) ink++;
      }
      return { differ: diff, inked: ink };
    });
    expect(inked).toBeGreaterThan(50);
    expect(differ).toBeGreaterThan(50);
    await p.close();
  });

  it('measures sideways overflow', async () => {
    const p = await context.newPage();
    await p.goto(page('<p>短</p>'));
    expect((await horizontalOverflow(p)).px).toBe(0);
    await p.goto(page('<table data-testid="wide" style="width:1200px"><tr><td>宽</td></tr></table>'));
    const o = await horizontalOverflow(p);
    expect(o.px).toBeGreaterThan(300);
    expect(o.culprits.join(' ')).toContain('data-testid=wide');
    await p.close();
  });

  it('starts the demo daemon from the compiled CLI and stops it with exit code 0', async () => {
    await ensureBuilt();
    const d = await startDaemon({ speedUp: 120 });
    try {
      expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${d.url}/api/v1/health`);
      expect(res.status).toBe(200);
      const line = await d.waitForLog((l) => l.event === 'daemon.started', 1_000);
      expect(line.url).toBe(d.url);
      await expect(d.waitForLog((l) => l.event === 'never.logged', 300, 'never.logged')).rejects.toThrow(/no never.logged/);
    } finally {
      expect(await d.stop()).toBe(0);
    }
  }, 120_000);
});
