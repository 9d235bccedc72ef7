import type { Role } from './roles.js';

/**
 * The default access policy of the API, pure. Paths are relative to the API prefix (`/users/x`, not
 * `/api/v1/users/x`) and must be the path the router matches (percent-decoded), or a request could reach a route
 * under a different rule.
 */
export type Access = { readonly kind: 'public' } | { readonly kind: 'role'; readonly role: Role };

const PUBLIC: ReadonlySet<string> = new Set(['GET /health', 'GET /auth/state', 'POST /auth/setup', 'POST /auth/login', 'GET /openapi.json']);

/** Any signed-in user may end their own session. */
const ANY_USER: ReadonlySet<string> = new Set(['POST /auth/logout']);

const ADMIN_PREFIXES = ['/settings', '/users', '/audit'] as const;

/** GET and HEAD read; every other method (PUT, PATCH, DELETE, unknown ones) is treated as a change. */
export function isMutating(method: string): boolean {
  const m = method.toUpperCase();
  return m !== 'GET' && m !== 'HEAD';
}

export function accessFor(method: string, path: string): Access {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const key = `${m} ${path}`;
  if (PUBLIC.has(key)) return { kind: 'public' };
  if (ANY_USER.has(key)) return { kind: 'role', role: 'viewer' };
  if (ADMIN_PREFIXES.some((p) => path === p || path.startsWith(p))) return { kind: 'role', role: 'admin' };
  return { kind: 'role', role: isMutating(m) ? 'operator' : 'viewer' };
}
