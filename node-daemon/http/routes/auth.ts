import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Auth } from '../../auth/auth.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/password.js';
import { loginKeys } from '../../auth/rate-limit.js';
import { ROLES } from '../../auth/roles.js';
import { apiSchemas } from '../api-registry.js';
import {
  authError,
  authErrorBodySchema,
  clearSessionCookie,
  CSRF_HEADER,
  principalOf,
  SESSION_COOKIE,
  setSessionCookie,
  socketAddress,
  type AuthEnv,
  type AuthHttpOptions,
} from '../auth-middleware.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { validateJsonBody } from '../validate-body.js';

/** 1-64 characters: letters (any script), digits, spaces inside, `_ . @ -`. Compared regardless of case. */
export const userNameSchema = z
  .string()
  .trim()
  .regex(/^[\p{L}\p{N}_.@-](?:[\p{L}\p{N} _.@-]{0,62}[\p{L}\p{N}_.@-])?$/u, 'a name is 1-64 letters, digits, spaces inside, _ . @ or -')
  .describe('user name, e.g. 值班员 or zhang.san');

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`);

export const userSummarySchema = z.strictObject({ name: z.string(), role: z.enum(ROLES) }).register(apiSchemas, { id: 'UserSummary' });

export const authStateSchema = z
  .strictObject({
    setupRequired: z.boolean().describe('true until the first account (an admin) is made with POST /auth/setup'),
    user: userSummarySchema.optional().describe('who this request is signed in as (a token shows as token:<id>)'),
    csrfToken: z.string().optional().describe(`send it as ${CSRF_HEADER} with every change made on a cookie session`),
  })
  .register(apiSchemas, { id: 'AuthState' });

export const signedInSchema = z.strictObject({ user: userSummarySchema, csrfToken: z.string() }).register(apiSchemas, { id: 'SignedIn' });

const setupBodySchema = z.strictObject({ name: userNameSchema, password: newPasswordSchema });
// Login does not repeat the password rules: an old password must still be checkable, and the rules are no hint.
const loginBodySchema = z.strictObject({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) });

/** A cross-site HTML form cannot send application/json without a CORS preflight, which this API never grants. */
function isJson(c: Context): boolean {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

const NOT_JSON = errorBody('bad_request', 'send the body as JSON (Content-Type: application/json)');

export function authRoutes(auth: Auth, opts: AuthHttpOptions = {}): Hono<AuthEnv> {
  const address = opts.clientAddress ?? socketAddress;
  const { users, sessions, limiter, log } = auth;

  const signIn = (c: Context, name: string, status: 200 | 201): Response => {
    const previous = principalOf(c);
    if (previous?.kind === 'session') sessions.deleteByHash(previous.session.idHash);
    const { id, session } = sessions.create(name);
    setSessionCookie(c, id, sessions.opts.absoluteMs);
    return c.json({ user: { name: session.userName, role: session.role }, csrfToken: session.csrfToken }, status);
  };

  return new Hono<AuthEnv>()
    .get('/auth/state', (c) => {
      const p = principalOf(c);
      const body: z.infer<typeof authStateSchema> = {
        setupRequired: users.count() === 0,
        ...(p === undefined ? {} : { user: { name: p.name, role: p.role } }),
        ...(p?.kind === 'session' ? { csrfToken: p.session.csrfToken } : {}),
      };
      return c.json(body, 200);
    })
    .post('/auth/setup', async (c) => {
      if (users.count() > 0) return c.json(errorBody('conflict', 'the box is already set up; sign in instead'), 409);
      if (!isJson(c)) return c.json(NOT_JSON, 400);
      const body = validateJsonBody(await c.req.text(), setupBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      const user = await users.createFirstAdmin(body.data.name, body.data.password);
      if (user === undefined) return c.json(errorBody('conflict', 'the box is already set up; sign in instead'), 409);
      log.info({ event: 'auth.setup', user: user.name, address: address(c) }, 'first admin account created');
      return signIn(c, user.name, 201);
    })
    .post('/auth/login', async (c) => {
      if (!isJson(c)) return c.json(NOT_JSON, 400);
      const body = validateJsonBody(await c.req.text(), loginBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      const { name, password } = body.data;
      const from = address(c);
      const keys = loginKeys(from, name);
      const waitMs = limiter.blockedForMs(keys);
      if (waitMs !== undefined) {
        const seconds = Math.ceil(waitMs / 1000);
        log.warn({ event: 'auth.login_failed', user: name, address: from, reason: 'rate_limited', retryAfterS: seconds }, 'login refused: too many failures');
        c.header('Retry-After', String(seconds));
        return c.json(authError('rate_limited', `too many failed logins; try again in ${seconds} s`), 429);
      }
      const user = await users.verify(name, password);
      if (user === undefined) {
        limiter.recordFailure(keys);
        log.warn({ event: 'auth.login_failed', user: name, address: from, reason: 'bad_credentials' }, 'login failed');
        return c.json(authError('unauthenticated', 'wrong name or password'), 401);
      }
      limiter.recordSuccess(keys);
      log.info({ event: 'auth.login', user: user.name, role: user.role, address: from }, 'signed in');
      return signIn(c, user.name, 200);
    })
    .post('/auth/logout', (c) => {
      const p = principalOf(c);
      if (p?.kind === 'session') {
        sessions.deleteByHash(p.session.idHash);
        log.info({ event: 'auth.logout', user: p.name }, 'signed out');
      }
      clearSessionCookie(c);
      return c.body(null, 204);
    });
}

const unauthenticated = { '401': jsonResponse('not signed in', authErrorBodySchema) };

export const authPaths: PathsDoc = {
  '/auth/state': {
    get: {
      operationId: 'getAuthState',
      summary: 'Whether the box needs its first account, who is signed in, and the CSRF token',
      responses: { '200': jsonResponse('the sign-in state', authStateSchema) },
    },
  },
  '/auth/setup': {
    post: {
      operationId: 'setup',
      summary: 'First run: create the admin account and sign in',
      description: `Only while no account exists (there is no default password). Sets the \`${SESSION_COOKIE}\` cookie.`,
      requestBody: jsonRequestBody(setupBodySchema),
      responses: {
        '201': jsonResponse('the admin account, signed in', signedInSchema),
        '400': errorResponse('a bad name or a password under 8 characters'),
        '409': errorResponse('an account exists already'),
      },
    },
  },
  '/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Sign in with name and password',
      description:
        `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict) and answers the session's CSRF token. ` +
        'Five failures in five minutes from one address or for one name refuse further attempts (429, Retry-After).',
      requestBody: jsonRequestBody(loginBodySchema),
      responses: {
        '200': jsonResponse('signed in', signedInSchema),
        '400': errorResponse('not a JSON body with name and password'),
        ...unauthenticated,
        '429': jsonResponse('too many failed logins; see the Retry-After header', authErrorBodySchema),
      },
    },
  },
  '/auth/logout': {
    post: {
      operationId: 'logout',
      summary: 'End this session and clear its cookie',
      responses: { '204': { description: 'signed out' } },
    },
  },
};
