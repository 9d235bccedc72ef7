import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { isLoopbackAddress } from '../../node-daemon/auth/rate-limit.js';
import { csrfTokenMatches } from '../../node-daemon/auth/sessions.js';
import { roleAtLeast, type HubRole } from '../accounts/roles.js';
import type { HubSessionStore } from '../accounts/session-store.js';
import type { HubActor, HubEnv } from './env.js';
import { clientAddress, errorBody } from './refusals.js';

/**
 * Who may use the hub's county-facing API (not the boxes' /api/v1/sync/*, which box signatures guard). Roles rank
 * (hub/accounts/roles.ts): a `viewer` reads, `duty` (值班员) also issues orders (county alarms, notices, content), an
 * `admin` also manages accounts, enrolment codes, revocations and signed settings.
 */
export { HUB_ROLES, roleAtLeast, type HubRole } from '../accounts/roles.js';

export type { HubActor } from './env.js';

/** Guards a route: the middleware answers 401/403 itself, or sets `c.var.actor` and goes on. */
export interface HubAccess {
  require(role: HubRole): MiddlewareHandler<HubEnv>;
}

export interface BearerToken {
  readonly name: string;
  /** Hex SHA-256 of the token. */
  readonly sha256: string;
  readonly role: HubRole;
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1];
}

/** The actor a request's bearer token names, if it names one (compared in constant time). */
export function tokenActor(header: string | undefined, tokens: readonly BearerToken[]): HubActor | undefined {
  const token = bearer(header);
  if (token === undefined) return undefined;
  const got = createHash('sha256').update(token, 'utf8').digest();
  for (const t of tokens) {
    const want = Buffer.from(t.sha256.toLowerCase(), 'hex');
    if (want.length === got.length && timingSafeEqual(got, want)) return { name: `token:${t.name}`, role: t.role };
  }
  return undefined;
}

/**
 * Access by bearer tokens only (hub config `readTokenSha256` is the `read` token, role viewer). With no token
 * configured at all, clients on loopback may read (viewer), as before accounts existed. Sessions and accounts extend
 * this (the hub page).
 */
export function tokenAccess(tokens: readonly BearerToken[]): HubAccess {
  return {
    require(role) {
      return async (c, next) => {
        const actor = tokenActor(c.req.header('authorization'), tokens);
        if (actor === undefined && tokens.length === 0 && role === 'viewer') {
          const address = clientAddress(c);
          if (address !== undefined && isLoopbackAddress(address)) {
            c.set('actor', { name: 'loopback', role: 'viewer' });
            return next();
          }
          return c.json(errorBody('forbidden', `${c.req.method} ${c.req.path} answers on loopback only (or set readTokenSha256 in the hub config)`), 403);
        }
        if (actor === undefined) {
          c.header('WWW-Authenticate', 'Bearer');
          return c.json(errorBody('unauthenticated', `${c.req.method} ${c.req.path} needs Authorization: Bearer <a hub token>`), 401);
        }
        if (!roleAtLeast(actor.role, role)) return c.json(errorBody('forbidden', `${c.req.method} ${c.req.path} needs the ${role} role`), 403);
        c.set('actor', actor);
        return next();
      };
    },
  };
}

/** The hub page's session cookie (its own name: a box and a hub on one host must not overwrite each other's). */
export const HUB_SESSION_COOKIE = 'fenghuo_hub_session';
/** The header every change made on a cookie session carries (the box's name, so the box UI's request code serves). */
export const HUB_CSRF_HEADER = 'X-CSRF-Token';

/** The signed-in account of a request's session cookie, if it has a live one. */
export async function sessionActor(c: Context, sessions: HubSessionStore): Promise<HubActor | undefined> {
  const id = getCookie(c, HUB_SESSION_COOKIE);
  const session = id === undefined ? undefined : await sessions.lookup(id);
  return session === undefined ? undefined : { name: session.accountName, role: session.role, session };
}

function isMutating(method: string): boolean {
  const m = method.toUpperCase();
  return m !== 'GET' && m !== 'HEAD';
}

/**
 * Access by bearer token OR by an account's session (the hub page). A request with `Authorization` is judged by its
 * token alone, exactly as tokenAccess judges it (loopback reads included), never passed over for the cookie. Without
 * one, a live session cookie names the account; a change (any method but GET/HEAD) made on a session must carry the
 * session's X-CSRF-Token (a cross-site form cannot set a header; the cookie is SameSite=Strict besides). With neither,
 * tokenAccess's rules apply (loopback may read while no token is configured).
 */
export function sessionOrTokenAccess(tokens: readonly BearerToken[], sessions: HubSessionStore): HubAccess {
  const byToken = tokenAccess(tokens);
  return {
    require(role) {
      const tokenGuard = byToken.require(role);
      return async (c, next) => {
        if (c.req.header('authorization') !== undefined) return tokenGuard(c, next);
        const actor = await sessionActor(c, sessions);
        if (actor === undefined) return tokenGuard(c, next);
        if (isMutating(c.req.method) && !csrfTokenMatches(actor.session!, c.req.header(HUB_CSRF_HEADER))) {
          return c.json(errorBody('csrf', `a change needs the ${HUB_CSRF_HEADER} header with the session's token (GET /api/v1/auth/session)`), 403);
        }
        if (!roleAtLeast(actor.role, role)) {
          return c.json(errorBody('forbidden', `${c.req.method} ${c.req.path} needs the ${role} role; ${actor.name} is ${actor.role}`), 403);
        }
        c.set('actor', actor);
        return next();
      };
    },
  };
}
