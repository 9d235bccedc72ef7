import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { precompress } from './precompress.mjs';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const hash = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 10);

/**
 * What the operators' page needs on a slow link and while the box restarts (issue 16 item 3), added to the UI's Vite
 * build. On the tablets' link every request in a row costs ~2 s before its first byte, so the first screen is one
 * response: index.html carries
 * - web-ui/boot.js as the first thing in `<head>` (an inline classic script): it sends GET /api/v1/bootstrap as soon
 *   as the head arrives, while the rest of the page is still coming;
 * - the stylesheet as a `<style>` in the head, where the `<link>` was;
 * - the main bundle as an inline `<script type="module">` at the end of `<body>` (deferred like any module script:
 *   it runs once the page is parsed, and the loading line paints before it).
 * The daemon allows exactly these inline blocks by their sha256 hashes in the page's CSP (node-daemon/http/static-ui.ts,
 * `pageCsp`); nothing else inline runs. An asset the page still names by URL (none today) stays a hashed file.
 * Then, after the files are written:
 * - `sw.js` (web-ui/sw.js, with the build's shell list and version written before it): the service worker;
 * - `.gz` and `.br` copies of every text file (web-ui/precompress.mjs), served as they are by the daemon.
 */
export function tabletShell(): Plugin {
  const boot = inlineBoot(readFileSync(here('./boot.js'), 'utf8'));
  let outDir = '';
  return {
    name: 'fenghuo-tablet-shell',
    apply: 'build',
    // After Vite's HTML plugin: index.html is in the bundle with its <script>/<link> tags, the chunk minified.
    enforce: 'post',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    generateBundle(_options, bundle) {
      const page = bundle['index.html'];
      if (page === undefined || page.type !== 'asset') this.error('fenghuo-tablet-shell: index.html is not in the bundle');
      const { html, inlined } = inlinePage(String(page.source), boot, (file) => bundle[file]);
      page.source = html;
      for (const file of inlined) delete bundle[file];
    },
    writeBundle(_options, bundle) {
      const assets = Object.keys(bundle).filter((f) => f.startsWith('assets/')).sort();
      const shell = ['/', ...assets.map((f) => `/${f}`)];
      const index = readFileSync(join(outDir, 'index.html'), 'utf8');
      const version = hash(JSON.stringify(shell) + index);
      const head = `// Written by web-ui/vite.tablet.ts at build time.\nvar SHELL = ${JSON.stringify(shell)};\nvar VERSION = ${JSON.stringify(version)};\n`;
      writeFileSync(join(outDir, 'sw.js'), head + readFileSync(here('./sw.js'), 'utf8'));
      precompress(outDir);
    },
  };
}

/** boot.js as it goes into the page: without its whole-line `//` comments and the lint's `/* global … *\/` line. */
export function inlineBoot(source: string): string {
  return source
    .split('\n')
    .filter((line) => !/^\s*\/\/|^\s*\/\* global .*\*\/\s*$/.test(line) && line.trim() !== '')
    .join('\n');
}

/** Text that would end or derail an inline block early in the HTML parser (`</script`, `<!--` in script data; `</style`). */
export function unsafeInline(tag: 'script' | 'style', text: string): string | undefined {
  const lower = text.toLowerCase();
  if (tag === 'script') return lower.includes('</script') ? '</script' : lower.includes('<!--') ? '<!--' : undefined;
  return lower.includes('</style') ? '</style' : undefined;
}

function inlineBlock(tag: 'script' | 'style', attrs: string, text: string, file: string): string {
  const bad = unsafeInline(tag, text);
  if (bad !== undefined) throw new Error(`fenghuo-tablet-shell: ${file} contains "${bad}" and cannot be inlined into index.html`);
  return `<${tag}${attrs}>${text}</${tag}>`;
}

/** What inlinePage reads of a bundle file (Rolldown's OutputChunk / OutputAsset). */
export type BundleFile = { readonly type: 'chunk'; readonly code: string } | { readonly type: 'asset'; readonly source: string | Uint8Array };

/**
 * index.html with the boot script first in `<head>`, each stylesheet `<link>` of the build as a `<style>`, and each
 * module `<script src>` of the build as an inline module script at the end of `<body>`; `inlined` lists the bundle
 * files now inside the page (the build drops them). `file(name)` looks a bundle file up (`assets/index-….js`).
 */
export function inlinePage(html: string, boot: string, file: (name: string) => BundleFile | undefined): { html: string; inlined: string[] } {
  const inlined: string[] = [];
  const modules: string[] = [];
  const text = (name: string): string | undefined => {
    const f = file(name);
    if (f === undefined) return undefined;
    return f.type === 'chunk' ? f.code : typeof f.source === 'string' ? f.source : new TextDecoder().decode(f.source);
  };
  let out = html.replace(/<script\b[^>]*\btype="module"[^>]*\bsrc="\/(assets\/[^"]+\.js)"[^>]*><\/script>\s*/g, (tag, name: string) => {
    const code = text(name);
    if (code === undefined) return tag;
    modules.push(inlineBlock('script', ' type="module"', code.trimEnd(), name));
    inlined.push(name);
    return '';
  });
  out = out.replace(/<link\b[^>]*\brel="stylesheet"[^>]*\bhref="\/(assets\/[^"]+\.css)"[^>]*>/g, (tag, name: string) => {
    const css = text(name);
    if (css === undefined) return tag;
    inlined.push(name);
    return inlineBlock('style', '', css.trimEnd(), name);
  });
  if (!/<head>/.test(out) || !/<\/body>/.test(out)) throw new Error('fenghuo-tablet-shell: index.html has no <head> or </body>');
  out = out.replace('<head>', () => `<head>\n    ${inlineBlock('script', '', boot, 'web-ui/boot.js')}`);
  out = out.replace('</body>', () => `${modules.map((m) => `  ${m}\n`).join('')}  </body>`);
  return { html: out, inlined };
}
