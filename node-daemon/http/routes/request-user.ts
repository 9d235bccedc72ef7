import type { Context } from 'hono';

/**
 * The name of the signed-in user (or `token:<id>` of an API token) that the auth middleware (auth-middleware.ts)
 * put on the request context as `principal`, if any. Routes that record who did something use it in preference
 * to a name the client sends. Read structurally, so routes work the same with and without the middleware.
 */
export function requestUser(c: Context): string | undefined {
  const get = c.get as (key: string) => unknown;
  const p = get('principal');
  if (typeof p === 'object' && p !== null && 'name' in p && typeof p.name === 'string' && p.name !== '') return p.name;
  return undefined;
}
