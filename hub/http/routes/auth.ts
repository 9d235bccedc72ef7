import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH } from '../../../node-daemon/auth/password.js';
import type { LoginAttempt, ThrottleState } from '../../../node-daemon/auth/rate-limit.js';
import type { Logger } from '../../../node-daemon/core/log.js';
import { validateJsonBody } from '../../../node-daemon/http/validate-body.js';
import type { HubAccounts } from '../../accounts/accounts.js';
import type { Account } from '../../accounts/account-store.js';
import { accountKey } from '../../accounts/names.js';
import { sessionStateSchema, signedInSchema, type LoginBody, type SessionState, type SignedIn } from '../../accounts/schemas.js';
import { HUB_SESSION_COOKIE, sessionActor, tokenActor, type BearerToken } from '../access.js';
import { API_PREFIX, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubJsonRequestBody, hubJsonResponse, type HubPathsDoc } from '../openapi/registry.js';
import { clientAddress, errorBody } from '../refusals.js';

export const AUTH_LOGIN_PATH = `${API_PREFIX}/auth/login`;
export const AUTH_LOGOUT_PATH = `${API_PREFIX}/auth/logout`;
export const AUTH_SESSION_PATH = `${API_PREFIX}/auth/session`;

// Login does not repeat the password rules: an old password must still be checkable, and the rules are no hint.
const loginBodySchema = z.strictObject({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) });
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const loginBodyMatches: Identical<z.input<typeof loginBodySchema>, LoginBody> = true;
void loginBodyMatches;

export interface AuthRoutesDeps {
  readonly accounts: HubAccounts;
  readonly tokens: readonly BearerToken[];
  readonly log: Logger;
}

/** A cross-site HTML form cannot send application/json without a CORS preflight, which the hub never grants. */
export function isJsonRequest(c: Context): boolean {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function cameOverHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function throttled(c: Context, throttle: ThrottleState): Response {
  const seconds = Math.max(1, Math.ceil(throttle.waitMs / 1000));
  c.header('Retry-After', String(seconds));
  return c.json({ error: { code: 'rate_limited', message: `too many failed logins from this address; try again in ${seconds} s`, triesLeft: 0, retryAfterMs: Math.ceil(throttle.waitMs) } }, 429);
}

/** How the throttle tells accounts apart: case folded, and a new password starts the pair afresh (the box's rule). */
function throttleAccount(name: string, account: Account | undefined): string {
  return JSON.stringify([accountKey(account?.name ?? name), account?.updatedAt ?? 0]);
}

/**
 * `POST /api/v1/auth/login` (name and password → an HttpOnly, SameSite=Strict session cookie and the session's CSRF
 * token), `POST /api/v1/auth/logout`, `GET /api/v1/auth/session` (who is signed in, the CSRF token; public). Failed
 * logins are throttled per address and per (address, name) in the hub's database, the box's rules (429 with
 * Retry-After past the free tries).
 */
export function authRoutes(deps: AuthRoutesDeps): Hono<HubEnv> {
  const { accounts, sessions, throttle } = deps.accounts;
  const app = new Hono<HubEnv>();

  app.get(AUTH_SESSION_PATH, async (c) => {
    const token = c.req.header('authorization') === undefined ? undefined : tokenActor(c.req.header('authorization'), deps.tokens);
    const actor = token ?? (await sessionActor(c, sessions));
    const none = (await accounts.count()) === 0;
    const body: SessionState = {
      ...(actor === undefined ? {} : { account: { name: actor.name, role: actor.role } }),
      ...(actor?.session === undefined ? {} : { csrfToken: actor.session.csrfToken }),
      ...(none ? { noAccounts: true as const } : {}),
    };
    return c.json(body, 200);
  });

  app.post(AUTH_LOGIN_PATH, async (c) => {
    if (!isJsonRequest(c)) return c.json(errorBody('bad_request', 'send the body as JSON (Content-Type: application/json)'), 400);
    const parsed = validateJsonBody(await c.req.text(), loginBodySchema);
    if (!parsed.ok) return c.json(parsed.error, 400);
    const { name, password } = parsed.data;
    const from = clientAddress(c) ?? 'unknown';
    const previous = await sessionActor(c, sessions);
    const attempt: LoginAttempt = { address: from, account: throttleAccount(name, await accounts.get(name)), knownDevice: previous !== undefined };
    const before = await throttle.check(attempt);
    if (before.waitMs > 0) {
      deps.log.warn({ event: 'hub.auth.login_failed', account: name, address: from, reason: 'rate_limited', retryAfterMs: before.waitMs }, 'hub login refused: too many failures');
      return throttled(c, before);
    }
    const account = await accounts.verify(name, password);
    if (account === undefined) {
      const after = await throttle.recordFailure(attempt);
      deps.log.warn({ event: 'hub.auth.login_failed', account: name, address: from, reason: 'bad_credentials', triesLeft: after.triesLeft }, 'hub login failed');
      return c.json(
        { error: { code: 'unauthenticated', message: 'wrong name or password', triesLeft: after.triesLeft, ...(after.waitMs > 0 ? { retryAfterMs: Math.ceil(after.waitMs) } : {}) } },
        401,
      );
    }
    await throttle.recordSuccess(attempt);
    await sessions.prune();
    if (previous?.session !== undefined) await sessions.delete(previous.session.idHash);
    const session = await sessions.create(account.name);
    setCookie(c, HUB_SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: cameOverHttps(c),
      maxAge: Math.floor(sessions.opts.absoluteMs / 1000),
    });
    deps.log.info({ event: 'hub.auth.login', account: account.name, role: account.role, address: from }, 'signed in to the hub');
    const body: SignedIn = { account: { name: account.name, role: account.role }, csrfToken: session.csrfToken };
    return c.json(body, 200);
  });

  app.post(AUTH_LOGOUT_PATH, async (c) => {
    const actor = await sessionActor(c, sessions);
    if (actor?.session !== undefined) {
      await sessions.delete(actor.session.idHash);
      deps.log.info({ event: 'hub.auth.logout', account: actor.name }, 'signed out of the hub');
    }
    deleteCookie(c, HUB_SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: cameOverHttps(c) });
    return c.body(null, 204);
  });

  return app;
}

export const authPaths: HubPathsDoc = {
  [AUTH_SESSION_PATH]: {
    get: {
      access: 'public',
      operationId: 'getHubSession',
      summary: 'Who this request is signed in as, the CSRF token, and whether the hub has any account yet',
      responses: { '200': hubJsonResponse('the sign-in state', sessionStateSchema) },
    },
  },
  [AUTH_LOGIN_PATH]: {
    post: {
      access: 'public',
      operationId: 'hubLogin',
      summary: 'Sign in with name and password',
      description:
        `Sets the \`${HUB_SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict; Secure over https) and answers the session's CSRF token: ` +
        'send it as X-CSRF-Token with every change. Failures count per client address (10 free) and per address and name (5 free), ' +
        'shared by every hub process on the database; past the free ones each failure doubles the wait (1 s … 5 min), answered 429 with Retry-After.',
      requestBody: hubJsonRequestBody(loginBodySchema),
      responses: {
        '200': hubJsonResponse('signed in', signedInSchema),
        '400': hubErrorResponse('not a JSON body with name and password'),
        '401': hubErrorResponse('wrong name or password (`error.triesLeft`, and `error.retryAfterMs` once a wait started)'),
        '429': hubErrorResponse('too many failures from this address; see Retry-After'),
      },
    },
  },
  [AUTH_LOGOUT_PATH]: {
    post: { access: 'public', operationId: 'hubLogout', summary: 'End this session and clear its cookie', responses: { '204': { description: 'signed out' } } },
  },
};
