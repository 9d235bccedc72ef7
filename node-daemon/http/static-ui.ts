import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../core/log.js';

/**
 * Serves the operators' web UI (built by Vite into dist/web-ui) at `/`: hashed files under /assets/ are cached for a
 * year (immutable), index.html is revalidated on every load (no-cache + ETag) so a firmware update shows at once,
 * and any other path outside /api/ answers index.html so the UI's own routes (/alarms, /site/x) survive a reload.
 * Text goes out compressed when the client accepts it: brotli or gzip from the files the build wrote beside each one
 * (`x.js.br`, `x.js.gz`, web-ui/precompress.mjs; used only when not older than the file), else gzipped here once;
 * either way with `Content-Encoding` and `Vary: Accept-Encoding`, and kept in memory (the whole UI is ~300 KB).
 * `/sw.js` (the UI's service worker) is revalidated like index.html, so a firmware update reaches it at once.
 * Never answers under /api/: those requests go on to the API's own 404.
 */

export interface StaticUiOptions {
  /** The built UI; default: dist/web-ui of the package this file belongs to (or FENGHUO_WEB_UI_DIR). */
  readonly dir?: string;
  readonly log?: Logger;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.woff2': 'font/woff2',
};

const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.map', '.svg', '.txt']);
/** Below this a gzip header costs more than it saves. */
const GZIP_MIN_BYTES = 512;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page's Content-Security-Policy: everything from the box itself, and inline only what the page's own HTML
 * carries, each block allowed by its sha256 hash (CSP level 2 hash sources, Chrome 40+; never `'unsafe-inline'`):
 * index.html holds the boot script, the main bundle and the stylesheet inline so the first screen is one response
 * (web-ui/vite.tablet.ts), and a script or style injected later, or any event-handler attribute, matches no hash
 * and is refused. data: images only (the favicon), no plugins, no <base>, no framing (clickjacking an acknowledge
 * button), forms only to the box. The UI sets its dynamic styles (level bars, uPlot) through the CSSOM, which CSP
 * does not restrict; a `style="…"` attribute in index.html itself is allowed by its hash (CSP level 3
 * 'unsafe-hashes': an older WebView blocks it, which costs only padding).
 */
export function pageCsp(html: string): string {
  const inline = inlineHashes(html);
  const hashes = (list: readonly string[]): string => (list.length === 0 ? '' : ` ${list.join(' ')}`);
  const styles = [...inline.styles, ...inline.styleAttributes];
  return [
    "default-src 'self'",
    `script-src 'self'${hashes(inline.scripts)}`,
    `style-src 'self'${inline.styleAttributes.length === 0 ? '' : " 'unsafe-hashes'"}${hashes(styles)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** CSP hash sources of a page's inline blocks, each distinct text once, in page order. */
export interface InlineHashes {
  /** Inline `<script>` elements that run (no `src`; no type, `module` or a JavaScript type). */
  readonly scripts: string[];
  /** `<style>` elements. */
  readonly styles: string[];
  /** `style="…"` attributes of the markup (not text inside scripts, styles or comments). */
  readonly styleAttributes: string[];
}

const hashSource = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
/** The HTML parser turns CR LF and a lone CR into LF before anything sees the text (and hashes it). */
const parsedText = (text: string): string => text.replace(/\r\n?/g, '\n');
const RUNS = /^(?:module|(?:text|application)\/(?:x-)?(?:javascript|ecmascript))$/i;

/**
 * Walks the page the way the HTML parser splits it (comments; `<script>` and `<style>` up to their end tag, whatever
 * looks like markup inside) and hashes what the browser would check against the CSP. Made for the build's own
 * index.html (the build refuses a block holding `</script`, `<!--` or `</style`); a block it misreads gets a hash
 * that matches nothing, which only refuses it.
 */
export function inlineHashes(html: string): InlineHashes {
  const scripts = new Set<string>();
  const styles = new Set<string>();
  const attributes = new Set<string>();
  const markup = (text: string): void => {
    for (const m of text.matchAll(/\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
      const value = m[1] ?? m[2] ?? '';
      // A value with a character reference is left out: the browser hashes the decoded text.
      if (!value.includes('&')) attributes.add(hashSource(parsedText(value)));
    }
  };
  let at = 0;
  for (const m of html.matchAll(/<!--[\s\S]*?(?:-->|$)|<(script|style)\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)(?:<\/\1[\s/>]|$)/gi)) {
    const [whole, tag, attrs = '', body = ''] = m;
    const start = m.index;
    markup(html.slice(at, start) + (tag === undefined ? '' : `<${tag}${attrs}>`));
    at = start + whole.length;
    if (tag === undefined) continue;
    if (tag.toLowerCase() === 'style') styles.add(hashSource(parsedText(body)));
    else {
      const type = /\stype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attrs);
      const kind = (type?.[1] ?? type?.[2] ?? type?.[3] ?? '').trim();
      if (!/\ssrc\s*=/i.test(attrs) && (kind === '' || RUNS.test(kind))) scripts.add(hashSource(parsedText(body)));
    }
  }
  markup(html.slice(at));
  return { scripts: [...scripts], styles: [...styles], styleAttributes: [...attributes] };
}

/**
 * CSP hash sources (`'sha256-…'`) of the `style` attributes written in a page's markup, e.g. the "loading" line of
 * index.html. A value with a character reference (`&…;`) is left out: the browser hashes the decoded text.
 */
export function styleAttributeHashes(html: string): string[] {
  return inlineHashes(html).styleAttributes;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>界面未安装 · Web UI not built</title></head>
<body style="font-family:'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.6">
<h1>网页界面尚未构建</h1>
<p>预警终端正在运行，接口 <a href="/api/v1/health">/api/v1/health</a> 可用，但网页界面文件缺失。请技术人员在程序目录执行 <code>npm run build</code>。</p>
<h2 lang="en">The web UI is not built</h2>
<p lang="en">The daemon is running and its API answers (<a href="/api/v1/health">/api/v1/health</a>), but dist/web-ui is missing. Run <code>npm run build</code> in the install folder.</p>
</body></html>
`;

const NOT_BUILT_CSP = pageCsp(NOT_BUILT_PAGE);

interface CachedFile {
  readonly body: Buffer;
  readonly gz: Buffer | undefined;
  /** Brotli, only when the build wrote it. */
  readonly br: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  readonly mtimeMs: number;
  /** For an HTML page: its Content-Security-Policy. */
  readonly csp: string | undefined;
}

/** dist/web-ui of the package: walks up from this file to the folder holding package.json. */
export function defaultUiDir(): string {
  const fromEnv = process.env.FENGHUO_WEB_UI_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web-ui');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve('dist', 'web-ui');
}

/** Whether an Accept-Encoding header takes `coding` (q > 0); `*` counts unless `wildcard` is false. */
export function acceptsCoding(header: string | undefined, coding: string, wildcard = true): boolean {
  if (header === undefined) return false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const n = name?.trim().toLowerCase();
    if (n === undefined || (n !== coding && !(wildcard && n === '*'))) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

export function acceptsGzip(header: string | undefined): boolean {
  return acceptsCoding(header, 'gzip');
}

/** A compressed copy the build wrote beside `full` (`.gz`, `.br`), if it is there and not older than the file. */
function precompressed(full: string, suffix: '.gz' | '.br', st: Stats): Buffer | undefined {
  try {
    const c = statSync(full + suffix);
    return c.isFile() && c.mtimeMs >= st.mtimeMs ? readFileSync(full + suffix) : undefined;
  } catch {
    return undefined;
  }
}

function isApi(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export function staticUi(opts: StaticUiOptions = {}): MiddlewareHandler {
  const root = resolve(opts.dir ?? defaultUiDir());
  const cache = new Map<string, CachedFile>();
  let warnedMissing = false;

  /** The file at `rel` inside the UI folder, from the cache while its mtime is unchanged; undefined if absent. */
  const load = (rel: string): CachedFile | undefined => {
    const full = resolve(root, rel);
    if (full !== root && !full.startsWith(root + sep)) return undefined;
    let st;
    try {
      st = statSync(full);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = cache.get(full);
    if (hit !== undefined && hit.mtimeMs === st.mtimeMs && hit.body.length === st.size) return hit;
    const body = readFileSync(full);
    const ext = extname(full).toLowerCase();
    const compress = COMPRESSIBLE.has(ext) && body.length >= GZIP_MIN_BYTES;
    const file: CachedFile = {
      body,
      gz: compress ? (precompressed(full, '.gz', st) ?? gzipSync(body, { level: 9 })) : undefined,
      br: compress ? precompressed(full, '.br', st) : undefined,
      type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      mtimeMs: st.mtimeMs,
      csp: ext === '.html' ? pageCsp(body.toString('utf8')) : undefined,
    };
    cache.set(full, file);
    return file;
  };

  const send = (c: Context, file: CachedFile, cacheControl: string, isPage: boolean): Response => {
    const headers = new Headers({
      'Content-Type': file.type,
      'Cache-Control': cacheControl,
      ETag: file.etag,
      'X-Content-Type-Options': 'nosniff',
    });
    if (file.gz !== undefined || file.br !== undefined) headers.set('Vary', 'Accept-Encoding');
    if (isPage) {
      headers.set('Content-Security-Policy', file.csp ?? pageCsp(''));
      headers.set('X-Frame-Options', 'DENY');
      headers.set('Referrer-Policy', 'same-origin');
    }
    const inm = c.req.header('If-None-Match');
    if (inm !== undefined && inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
      return new Response(null, { status: 304, headers });
    }
    const accept = c.req.header('Accept-Encoding');
    const coding = file.br !== undefined && acceptsCoding(accept, 'br', false) ? 'br' : file.gz !== undefined && acceptsGzip(accept) ? 'gzip' : undefined;
    const body = coding === 'br' ? file.br! : coding === 'gzip' ? file.gz! : file.body;
    if (coding !== undefined) headers.set('Content-Encoding', coding);
    headers.set('Content-Length', String(body.length));
    return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };

  return async (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    if ((method !== 'GET' && method !== 'HEAD') || isApi(path)) return next();
    let rel: string;
    try {
      rel = decodeURIComponent(path).replace(/^\/+/, '');
    } catch {
      return c.text('Bad Request', 400);
    }
    if (rel.includes('\0') || rel.split('/').includes('..')) return c.text('Not Found', 404);

    if (rel !== '' && rel !== 'index.html') {
      const file = load(rel);
      if (file !== undefined) return send(c, file, rel.startsWith('assets/') ? IMMUTABLE : 'no-cache', file.type.startsWith('text/html'));
      // A missing script or image is a 404, not the page (a stale hashed name must not parse HTML as JS).
      const last = rel.split('/').pop() ?? '';
      if (rel.startsWith('assets/') || last.includes('.')) return c.text('Not Found', 404);
    }

    const index = load('index.html');
    if (index === undefined) {
      if (!warnedMissing && opts.log !== undefined) {
        warnedMissing = true;
        opts.log.warn({ event: 'http.ui_missing', dir: root }, 'web UI not built; serving the 503 page');
      }
      return c.html(NOT_BUILT_PAGE, 503, { 'Cache-Control': 'no-store', 'Retry-After': '60', 'Content-Security-Policy': NOT_BUILT_CSP });
    }
    warnedMissing = false;
    return send(c, index, 'no-cache', true);
  };
}
