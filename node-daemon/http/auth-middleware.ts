import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Auth } from '../auth/auth.js';
import { accessFor, isMutating } from '../auth/policy.js';
import { roleAtLeast, type Role } from '../auth/roles.js';
import { normalizeAddress, type ThrottleState } from '../auth/rate-limit.js';
import { csrfTokenMatches, type Session } from '../auth/sessions.js';
import { API_PREFIX } from './api-prefix.js';
import { AUTH_ERROR_CODES, authErrorBodySchema, type AuthErrorBody, type AuthErrorCode } from './errors.js';
import { CSRF_HEADER, SESSION_COOKIE } from './auth-names.js';

export { CSRF_HEADER, SESSION_COOKIE };
// The auth layer's error shape lives with the API's other error shape (errors.ts, free of Node: the web UI's contract
// reads it); re-exported for the code that has always found it here.
export { AUTH_ERROR_CODES, authErrorBodySchema, type AuthErrorBody, type AuthErrorCode };

/** Who a request acts as: a signed-in user (cookie session) or a configured API token (`token:<id>`). */
export type Principal =
  | { readonly kind: 'session'; readonly name: string; readonly role: Role; readonly session: Session }
  | { readonly kind: 'token'; readonly name: string; readonly role: Role; readonly tokenId: string };

export type AuthEnv = { Variables: { principal: Principal | undefined } };

export function authError(code: AuthErrorCode, message: string, throttle?: ThrottleState): AuthErrorBody {
  if (throttle === undefined) return { error: { code, message } };
  return { error: { code, message, triesLeft: throttle.triesLeft, ...(throttle.waitMs > 0 ? { retryAfterMs: Math.ceil(throttle.waitMs) } : {}) } };
}

/** Seconds for a Retry-After header: at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** The 429 answer of a throttled client: Retry-After (s) and the error body with retryAfterMs and triesLeft. */
export function rateLimited(c: Context, what: string, throttle: ThrottleState): Response {
  const seconds = retryAfterSeconds(throttle.waitMs);
  c.header('Retry-After', String(seconds));
  return c.json(authError('rate_limited', `too many failed ${what} from this address; try again in ${seconds} s`, { ...throttle, triesLeft: 0 }), 429);
}

/** The signed-in user or token of this request, when there is one (set by the middleware). */
export function principalOf(c: Context): Principal | undefined {
  return (c as Context<AuthEnv>).get('principal');
}

/**
 * The peer's address as the socket saw it (the Node adaptor's bindings), `::ffff:` of an IPv4 client removed;
 * 'unknown' under `app.request` in tests. Never a header: X-Forwarded-For and the like are set by the client.
 */
export function socketAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress;
  return address === undefined ? 'unknown' : normalizeAddress(address);
}

export interface AuthHttpOptions {
  /**
   * The client address failed logins, bearer tokens and setup codes are counted against, and that decides whether
   * a first-run setup comes from the box itself. Default: the socket's peer (proxies are not trusted).
   */
  readonly clientAddress?: (c: Context) => string;
}

function cameOverHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

export function setSessionCookie(c: Context, id: string, maxAgeMs: number): void {
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: cameOverHttps(c),
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: cameOverHttps(c) });
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1] ?? '';
}

/**
 * Authentication and authorization for everything under /api/v1 (mount on `/api/v1/*` before the routes):
 * - a bearer token (`Authorization: Bearer …`, config `http.apiTokens`) or else the session cookie names who asks;
 *   a malformed or unknown token is refused outright, never passed over for the cookie; unknown tokens are
 *   throttled per client address (`auth.tokenLimiter`: free tries, then growing waits answered 429);
 * - public routes (see auth/policy.ts) go through either way, with the principal set when there is one;
 * - otherwise no principal → 401 `unauthenticated`; a cookie-session change without the session's
 *   `X-CSRF-Token` → 403 `csrf`; a role below the route's → 403 `forbidden`.
 */
export function authMiddleware(auth: Auth, opts: AuthHttpOptions = {}): MiddlewareHandler<AuthEnv> {
  const clientAddress = opts.clientAddress ?? socketAddress;
  return async (c, next) => {
    const path = c.req.path.startsWith(API_PREFIX) ? c.req.path.slice(API_PREFIX.length) || '/' : c.req.path;
    const method = c.req.method;
    const access = accessFor(method, path);

    let principal: Principal | undefined;
    let badToken: ThrottleState | undefined;
    const token = bearerToken(c.req.header('authorization'));
    if (token !== undefined) {
      // Unknown tokens are throttled per client address like failed logins: while the address waits, no token it
      // sends is even checked (a public route is then served as to anyone; any other answers 429).
      const from = clientAddress(c);
      const throttle = auth.tokenLimiter.check(from);
      if (throttle.waitMs > 0) {
        if (access.kind !== 'public') {
          auth.log.warn({ event: 'auth.token_failed', address: from, reason: 'rate_limited', retryAfterS: retryAfterSeconds(throttle.waitMs) }, 'bearer token refused: too many failures');
          return rateLimited(c, 'bearer tokens', throttle);
        }
      } else {
        const found = auth.tokens.verify(token);
        if (found === undefined) {
          badToken = auth.tokenLimiter.fail(from);
          auth.log.warn({ event: 'auth.token_failed', address: from, reason: 'bad_token', triesLeft: badToken.triesLeft }, 'unknown bearer token');
        } else {
          principal = { kind: 'token', name: `token:${found.id}`, role: found.role, tokenId: found.id };
        }
      }
    } else {
      const id = getCookie(c, SESSION_COOKIE);
      const session = id === undefined ? undefined : auth.sessions.lookup(id);
      if (session !== undefined) principal = { kind: 'session', name: session.userName, role: session.role, session };
    }
    c.set('principal', principal);

    if (access.kind === 'public') {
      await next();
      return;
    }
    if (principal === undefined) {
      if (badToken !== undefined) return c.json(authError('unauthenticated', 'the bearer token is not valid', badToken), 401);
      return c.json(authError('unauthenticated', 'sign in first (POST /api/v1/auth/login) or send a bearer token'), 401);
    }
    if (principal.kind === 'session' && isMutating(method) && !csrfTokenMatches(principal.session, c.req.header(CSRF_HEADER))) {
      return c.json(authError('csrf', `a change needs the ${CSRF_HEADER} header with the session's token (GET /api/v1/auth/state)`), 403);
    }
    if (!roleAtLeast(principal.role, access.role)) {
      return c.json(authError('forbidden', `${method} ${c.req.path} needs the ${access.role} role; ${principal.name} is ${principal.role}`), 403);
    }
    await next();
  };
}
