import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { isLoopbackAddress } from '../../node-daemon/auth/rate-limit.js';
import type { HubEnv } from './deps.js';
import { clientAddress, errorBody } from './refusals.js';

/**
 * Who may use the hub's county-facing API (not the boxes' /api/v1/sync/*, which box signatures guard). Roles rank:
 * a `viewer` reads, `duty` (值班员) also issues orders (county alarms, notices, content), an `admin` also manages
 * accounts, enrolment codes, revocations and signed settings.
 */
export const HUB_ROLES = ['viewer', 'duty', 'admin'] as const;
export type HubRole = (typeof HUB_ROLES)[number];

export interface HubActor {
  /** An account name, or `token:<name>` for a bearer token, or `loopback`. */
  readonly name: string;
  readonly role: HubRole;
}

export function roleAtLeast(have: HubRole, need: HubRole): boolean {
  return HUB_ROLES.indexOf(have) >= HUB_ROLES.indexOf(need);
}

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
