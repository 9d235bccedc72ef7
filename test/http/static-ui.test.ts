import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { acceptsGzip, inlineHashes, pageCsp, staticUi, styleAttributeHashes } from '../../node-daemon/http/static-ui.js';

const INDEX = '<!doctype html><html lang="zh-CN"><head><script type="module" src="/assets/index-AbCd1234.js"></script></head><body>' + '界面'.repeat(400) + '</body></html>';
const SCRIPT = 'console.log("fenghuo");\n'.repeat(100);

let dir: string;

function app(uiDir: string): Hono {
  const a = new Hono();
  a.get('/api/v1/health', (c) => c.json({ status: 'ok' }));
  a.get('*', staticUi({ dir: uiDir }));
  a.notFound((c) => c.json({ error: { code: 'not_found' } }, 404));
  return a;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fenghuo-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-AbCd1234.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', 'index-EfGh5678.css'), 'body{color:red}');
  writeFileSync(join(dir, 'favicon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('staticUi', () => {
  it('serves index.html at / with no-cache, an ETag and a CSP', async () => {
    const res = await app(dir).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(await res.text()).toBe(INDEX);
  });

  it('answers index.html for client routes, so a reload on /alarms or /site/x works', async () => {
    for (const path of ['/alarms', '/site/bridge', '/settings/']) {
      const res = await app(dir).request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('serves hashed assets as immutable with their content type', async () => {
    const js = await app(dir).request('/assets/index-AbCd1234.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe(SCRIPT);
    const css = await app(dir).request('/assets/index-EfGh5678.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const png = await app(dir).request('/favicon.png');
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('no-cache');
  });

  it('gzips text when the client accepts it, and not otherwise', async () => {
    const gz = await app(dir).request('/assets/index-AbCd1234.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    const body = Buffer.from(await gz.arrayBuffer());
    expect(body.length).toBeLessThan(Buffer.byteLength(SCRIPT));
    expect(gunzipSync(body).toString('utf8')).toBe(SCRIPT);
    const plain = await app(dir).request('/assets/index-AbCd1234.js', { headers: { 'Accept-Encoding': 'gzip;q=0, identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(SCRIPT);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await app(dir).request('/');
    const etag = first.headers.get('etag');
    expect(etag).not.toBeNull();
    const again = await app(dir).request('/', { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves a rebuilt index.html without a restart', async () => {
    const a = app(dir);
    await a.request('/');
    writeFileSync(join(dir, 'index.html'), '<!doctype html><p>new build</p>');
    expect(await (await a.request('/')).text()).toBe('<!doctype html><p>new build</p>');
  });

  it('never answers under /api/ and 404s missing assets instead of returning the page', async () => {
    const a = app(dir);
    expect(await (await a.request('/api/v1/health')).json()).toEqual({ status: 'ok' });
    const api = await a.request('/api/v1/nope');
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: { code: 'not_found' } });
    expect((await a.request('/api')).status).toBe(404);
    expect((await a.request('/assets/index-Old00000.js')).status).toBe(404);
    expect((await a.request('/robots.txt')).status).toBe(404);
  });

  it('does not leave its folder', async () => {
    writeFileSync(join(dir, '..', 'fenghuo-secret.txt'), 'secret');
    try {
      for (const path of ['/../fenghuo-secret.txt', '/%2e%2e/fenghuo-secret.txt', '/assets/%2e%2e/%2e%2e/fenghuo-secret.txt', '/a%00b']) {
        const res = await app(dir).request(path);
        expect(await res.text(), path).not.toBe('secret');
      }
    } finally {
      rmSync(join(dir, '..', 'fenghuo-secret.txt'), { force: true });
    }
  });

  it('answers a clear 503 page when the UI was not built', async () => {
    const res = await app(join(dir, 'missing')).request('/alarms');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('text/html');
    const text = await res.text();
    expect(text).toContain('npm run build');
    expect(text).toContain('网页界面尚未构建');
  });

  it('gives the page a strict CSP: nothing inline but the blocks and style attributes index.html itself carries, each by its hash', async () => {
    const boot = "(function(){window.__boot=fetch('/api/v1/bootstrap')})();";
    const bundle = 'document.getElementById("app").textContent="界面";';
    const css = 'body{margin:0}';
    writeFileSync(
      join(dir, 'index.html'),
      `<!doctype html><head><script>${boot}</script><style>${css}</style></head><body><div id="app"><p style="padding:16px">加载中</p></div><script type="module">${bundle}</script></body>`,
    );
    const res = await app(dir).request('/');
    const header = res.headers.get('content-security-policy')!;
    const csp = header.split('; ');
    const sha = (v: string): string => `'sha256-${createHash('sha256').update(v).digest('base64')}'`;
    expect(csp).toEqual([
      "default-src 'self'",
      `script-src 'self' ${sha(boot)} ${sha(bundle)}`,
      `style-src 'self' 'unsafe-hashes' ${sha(css)} ${sha('padding:16px')}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ]);
    expect(header).not.toContain("'unsafe-inline'");
    expect(header).not.toContain("'unsafe-eval'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // A revalidated page (304) carries the same policy.
    const again = await app(dir).request('/', { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('content-security-policy')).toBe(header);
    // Scripts and styles are files: no CSP of their own, but never sniffed.
    const js = await app(dir).request('/assets/index-AbCd1234.js');
    expect(js.headers.get('content-security-policy')).toBeNull();
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('a script the page does not carry is not allowed: its hash is in no policy but that of a page holding it', () => {
    const page = '<!doctype html><head><script>boot()</script></head><body><script type="module">main()</script></body>';
    const injected = 'fetch("/api/v1/users",{method:"DELETE"})';
    const sha = `'sha256-${createHash('sha256').update(injected).digest('base64')}'`;
    expect(pageCsp(page)).not.toContain(sha);
    // Only an index.html on the box's disk holding it would allow it.
    expect(pageCsp(page.replace('</body>', `<script>${injected}</script></body>`))).toContain(sha);
    // A near copy (one byte more) is another hash.
    expect(pageCsp(page)).not.toContain(`'sha256-${createHash('sha256').update('boot() ').digest('base64')}'`);
    // No inline script at all: 'self' alone, as before.
    expect(pageCsp('<p>text</p>')).toContain("script-src 'self'; ");
  });

  it('hashes what the browser runs: no src, module or JavaScript types, comments and text inside blocks left alone, CR LF read as LF', () => {
    const sha = (v: string): string => `'sha256-${createHash('sha256').update(v).digest('base64')}'`;
    const html = [
      '<script src="/assets/a.js"></script>',
      '<script type="application/json">{"data":1}</script>',
      '<!-- <script>commented()</script> <p style="color:red">x</p> -->',
      '<script type="text/javascript">a()</script>',
      "<SCRIPT type='module'>\r\nb('<p style=\"margin:0\">')\r\n</SCRIPT >",
      '<script>a()</script>',
      '<style media="screen">p{color:blue}</style>',
      '<p style="padding:1px">y</p>',
    ].join('');
    expect(inlineHashes(html)).toEqual({
      scripts: [sha('a()'), sha("\nb('<p style=\"margin:0\">')\n")],
      styles: [sha('p{color:blue}')],
      styleAttributes: [sha('padding:1px')],
    });
  });

  it('hashes each distinct style attribute once, in either quotes, and leaves out one with a character reference', () => {
    const html = `<p style="color:red">a</p><p STYLE = 'margin:0'>b</p><p style="color:red">c</p><p style="font-family:&quot;x&quot;">d</p><p data-style="x">e</p>`;
    const sha = (v: string): string => `'sha256-${createHash('sha256').update(v).digest('base64')}'`;
    expect(styleAttributeHashes(html)).toEqual([sha('color:red'), sha('margin:0')]);
    expect(pageCsp('<p>no styles</p>')).toContain("style-src 'self'; ");
  });

  it('the 503 page has a CSP too, allowing its own style', async () => {
    const res = await app(join(dir, 'missing')).request('/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self' 'unsafe-hashes' 'sha256-[A-Za-z0-9+/]+=*'/);
  });

  it('leaves other methods to the API', async () => {
    const res = await app(dir).request('/', { method: 'POST' });
    expect(res.status).toBe(404);
  });
});

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate', true],
    ['deflate, gzip;q=0.5', true],
    ['*', true],
    ['gzip;q=0', false],
    ['br', false],
    ['', false],
  ])('%s -> %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
  it('undefined -> false', () => expect(acceptsGzip(undefined)).toBe(false));
});
