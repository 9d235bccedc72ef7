import { describe, expect, it } from 'vitest';
import { inlineBoot, inlinePage, unsafeInline, type BundleFile } from './vite.tablet.ts';

const PAGE = `<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <title>烽火</title>
    <script type="module" crossorigin src="/assets/index-AbCd1234.js"></script>
    <link rel="stylesheet" crossorigin href="/assets/index-EfGh5678.css">
  </head>
  <body>
    <div id="app"><p style="padding:16px">加载中…</p></div>
  </body>
</html>
`;

const files: Record<string, BundleFile> = {
  'assets/index-AbCd1234.js': { type: 'chunk', code: 'render(app);\n' },
  'assets/index-EfGh5678.css': { type: 'asset', source: new TextEncoder().encode('body{margin:0}\n') },
};

describe('inlinePage: the first screen in one response', () => {
  it('puts the boot script first in <head>, the stylesheet where its link was and the bundle last in <body>', () => {
    const { html, inlined } = inlinePage(PAGE, 'boot();', (f) => files[f]);
    expect(inlined.sort()).toEqual(['assets/index-AbCd1234.js', 'assets/index-EfGh5678.css']);
    expect(html).not.toContain('/assets/');
    expect(html).toMatch(/<head>\s*<script>boot\(\);<\/script>\s*<meta charset/);
    expect(html).toMatch(/<title>烽火<\/title>\s*<style>body\{margin:0\}<\/style>\s*<\/head>/);
    expect(html).toMatch(/<\/div>\s*<script type="module">render\(app\);<\/script>\s*<\/body>/);
  });

  it('leaves a file it does not have as a link', () => {
    const { html, inlined } = inlinePage(PAGE, 'boot();', (f) => (f.endsWith('.css') ? undefined : files[f]));
    expect(inlined).toEqual(['assets/index-AbCd1234.js']);
    expect(html).toContain('href="/assets/index-EfGh5678.css"');
  });

  it('refuses a block the HTML parser would cut short', () => {
    expect(unsafeInline('script', 'a("</SCRIPT>")')).toBe('</script');
    expect(unsafeInline('script', 'x = "<!--"')).toBe('<!--');
    expect(unsafeInline('style', 'p::after{content:"</style>"}')).toBe('</style');
    expect(unsafeInline('script', 'a < b && c > d')).toBeUndefined();
    const bad = { ...files, 'assets/index-AbCd1234.js': { type: 'chunk', code: 'h("</script>")' } as const };
    expect(() => inlinePage(PAGE, 'boot();', (f) => bad[f])).toThrow(/cannot be inlined/);
  });

  it('inlines boot.js without its comment lines', () => {
    expect(inlineBoot('/* global window, fetch */\n// what it does\n(function () {\n  // why\n  go();\n})();\n')).toBe('(function () {\n  go();\n})();');
  });
});
