import type { Context } from 'hono';

/**
 * The URL the box addressed, as signatures cover it (`@authority`, `@path`, `@query`): the request target and the
 * Host, or the configured public origin when a proxy in front rewrites Host (docs/sync-signatures.md).
 */
export function requestUrl(c: Context, publicOrigin?: string): string {
  const raw = c.req.raw.url;
  if (publicOrigin === undefined) return raw;
  const u = new URL(raw);
  // Concatenated, never resolved: a path starting with `//` must not become another host.
  return `${publicOrigin.replace(/\/+$/, '')}${u.pathname}${u.search}`;
}

/** `https://hub.example` or `http://hub.example:8470`: an http(s) origin, nothing after it. */
export function isOrigin(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '' && u.pathname === '/';
  } catch {
    return false;
  }
}
