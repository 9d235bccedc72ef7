import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Auth } from '../../auth/auth.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from '../../auth/password.js';
import { isLoopbackAddress, type LoginAttempt } from '../../auth/rate-limit.js';
import type { User } from '../../auth/users.js';
import {
  authError,
  authErrorBodySchema,
  clearSessionCookie,
  principalOf,
  rateLimited,
  retryAfterSeconds,
  SESSION_COOKIE,
  setSessionCookie,
  socketAddress,
  type AuthEnv,
  type AuthHttpOptions,
} from '../auth-middleware.js';
import { errorBody } from '../errors.js';
import type { LoginBody, SetupBody } from '../contract.js';
import { errorResponse, jsonRequestBody, jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { authStateSchema, signedInSchema } from '../schemas/auth.js';
import { validateJsonBody } from '../validate-body.js';

// The answers' schemas live in a module free of Node (the web UI's contract reads them); re-exported from here as before.
export { authStateSchema, signedInSchema, userSummarySchema } from '../schemas/auth.js';

/** 1-64 characters: letters (any script), digits, spaces inside, `_ . @ -`. Compared regardless of case. */
export const userNameSchema = z
  .string()
  .trim()
  .regex(/^[\p{L}\p{N}_.@-](?:[\p{L}\p{N} _.@-]{0,62}[\p{L}\p{N}_.@-])?$/u, 'a name is 1-64 letters, digits, spaces inside, _ . @ or -')
  .describe('user name, e.g. 值班员 or zhang.san');

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`)
  // Not all whitespace, not one of the commonest passwords (auth/password.ts).
  .superRefine((password, ctx) => {
    const problem = passwordProblem(password);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

const setupBodySchema = z.strictObject({
  name: userNameSchema,
  password: newPasswordSchema,
  setupCode: z
    .string()
    .max(64)
    .optional()
    .describe('the one-time setup code the box logs at start (fenghuo setup-code prints it); needed unless the request comes from the box itself'),
});
// Login does not repeat the password rules: an old password must still be checkable, and the rules are no hint.
const loginBodySchema = z.strictObject({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) });

// The bodies need the password rules (Node's crypto comes with them), so the contract spells them out; these keep it honest.
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const setupBodyMatches: Identical<z.input<typeof setupBodySchema>, SetupBody> = true;
const loginBodyMatches: Identical<z.input<typeof loginBodySchema>, LoginBody> = true;
void setupBodyMatches;
void loginBodyMatches;

/** A cross-site HTML form cannot send application/json without a CORS preflight, which this API never grants. */
function isJson(c: Context): boolean {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

const NOT_JSON = errorBody('bad_request', 'send the body as JSON (Content-Type: application/json)');

/** Headers a proxy adds: a request that passed one is not taken for a local one, whatever its socket says. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** How the login limiter tells accounts apart: case folded, and a new password starts the pair afresh. */
function accountKey(name: string, user: User | undefined): string {
  return JSON.stringify([(user?.name ?? name).toLowerCase(), user?.updatedAt ?? 0]);
}

function triesLeftText(triesLeft: number): string {
  if (triesLeft === 0) return 'each further failure makes this address wait longer';
  return `${triesLeft} more ${triesLeft === 1 ? 'try' : 'tries'} before this address must wait`;
}

export function authRoutes(auth: Auth, opts: AuthHttpOptions = {}): Hono<AuthEnv> {
  const address = opts.clientAddress ?? socketAddress;
  const { users, sessions, limiter, setupLimiter, setupCode, log } = auth;
  /** The first admin may be made without the setup code only from the box itself, and not through a proxy. */
  const setupCodeNeeded = (c: Context): boolean =>
    !isLoopbackAddress(address(c)) || FORWARDING_HEADERS.some((h) => c.req.header(h) !== undefined);

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
      const setupRequired = users.count() === 0;
      const body: z.infer<typeof authStateSchema> = {
        setupRequired,
        ...(setupRequired && setupCodeNeeded(c) ? { setupCodeRequired: true as const } : {}),
        ...(p === undefined ? {} : { user: { name: p.name, role: p.role } }),
        ...(p?.kind === 'session' ? { csrfToken: p.session.csrfToken } : {}),
      };
      return c.json(body, 200);
    })
    .post('/auth/setup', async (c) => {
      if (users.count() > 0) return c.json(errorBody('conflict', 'the box is already set up; sign in instead'), 409);
      if (!isJson(c)) return c.json(NOT_JSON, 400);
      const from = address(c);
      const needsCode = setupCodeNeeded(c);
      if (needsCode) {
        const throttle = setupLimiter.check(from);
        if (throttle.waitMs > 0) {
          log.warn({ event: 'auth.setup_refused', address: from, reason: 'rate_limited', retryAfterS: retryAfterSeconds(throttle.waitMs) }, 'setup refused: too many wrong codes');
          return rateLimited(c, 'setup codes', throttle);
        }
      }
      const body = validateJsonBody(await c.req.text(), setupBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      if (needsCode && !setupCode.matches(body.data.setupCode)) {
        const after = setupLimiter.fail(from);
        const reason = body.data.setupCode === undefined ? 'no_code' : 'wrong_code';
        log.warn({ event: 'auth.setup_refused', address: from, reason, triesLeft: after.triesLeft }, 'setup refused: no or a wrong setup code');
        const message =
          (reason === 'no_code'
            ? 'creating the first admin from another computer needs the one-time setup code (setupCode)'
            : 'the setup code is wrong') +
          ': it is in the log at start (event auth.setup_code) and `fenghuo setup-code` prints it on the box; from the box itself (127.0.0.1) no code is needed';
        return c.json(authError('setup_code', message, after), 403);
      }
      const user = await users.createFirstAdmin(body.data.name, body.data.password);
      if (user === undefined) return c.json(errorBody('conflict', 'the box is already set up; sign in instead'), 409);
      setupCode.consumed();
      setupLimiter.succeed(from);
      log.info({ event: 'auth.setup', user: user.name, address: from, setupCode: needsCode }, 'first admin account created');
      return signIn(c, user.name, 201);
    })
    .post('/auth/login', async (c) => {
      if (!isJson(c)) return c.json(NOT_JSON, 400);
      const body = validateJsonBody(await c.req.text(), loginBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      const { name, password } = body.data;
      const from = address(c);
      // A browser with a live session is a known device: failures of others at its address do not hold it back.
      const attempt: LoginAttempt = { address: from, account: accountKey(name, users.get(name)), knownDevice: principalOf(c)?.kind === 'session' };
      const throttle = limiter.check(attempt);
      if (throttle.waitMs > 0) {
        log.warn(
          { event: 'auth.login_failed', user: name, address: from, reason: 'rate_limited', retryAfterS: retryAfterSeconds(throttle.waitMs) },
          'login refused: too many failures',
        );
        return rateLimited(c, 'logins', throttle);
      }
      const user = await users.verify(name, password);
      if (user === undefined) {
        const after = limiter.recordFailure(attempt);
        log.warn({ event: 'auth.login_failed', user: name, address: from, reason: 'bad_credentials', triesLeft: after.triesLeft }, 'login failed');
        return c.json(authError('unauthenticated', `wrong name or password; ${triesLeftText(after.triesLeft)}`, after), 401);
      }
      limiter.recordSuccess(attempt);
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
      description:
        `Only while no account exists (there is no default password). Sets the \`${SESSION_COOKIE}\` cookie. ` +
        'From anywhere but the box itself (127.0.0.0/8, ::1, not through a proxy) the body must carry `setupCode`, the ' +
        'one-time code the box logs at start (event `auth.setup_code`) and `fenghuo setup-code` prints; wrong codes are ' +
        'throttled per address like failed logins.',
      requestBody: jsonRequestBody(setupBodySchema),
      responses: {
        '201': jsonResponse('the admin account, signed in', signedInSchema),
        '400': errorResponse('a bad name or a password under 8 characters'),
        '403': jsonResponse('no setup code, or a wrong one (code setup_code, with triesLeft)', authErrorBodySchema),
        '409': errorResponse('an account exists already'),
        '429': jsonResponse('too many wrong setup codes from this address; see Retry-After and retryAfterMs', authErrorBodySchema),
      },
    },
  },
  '/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Sign in with name and password',
      description:
        `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict) and answers the session's CSRF token. ` +
        'Failures are counted per client address (10 free) and per address and name (5 free); a 401 says `triesLeft`. ' +
        'Past the free ones each failure makes that key wait longer (1 s, 2 s, 4 s … at most 5 min) before its next attempt ' +
        'is checked (429 with Retry-After and `retryAfterMs`). A success clears the address and name pair; failures from ' +
        'one address never slow down another, and a browser with a live session is not held back by its address.',
      requestBody: jsonRequestBody(loginBodySchema),
      responses: {
        '200': jsonResponse('signed in', signedInSchema),
        '400': errorResponse('not a JSON body with name and password'),
        '401': jsonResponse('wrong name or password (with triesLeft, and retryAfterMs when this failure started a wait)', authErrorBodySchema),
        '429': jsonResponse('too many failed logins from this address; see Retry-After and retryAfterMs', authErrorBodySchema),
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
