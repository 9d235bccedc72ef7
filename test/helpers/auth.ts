// Signing tests in to the real daemon's API: a bearer token configured through `http.apiTokens` (tests that write
// a config), or the first-run setup through the API with the session cookie and CSRF token (the demo, which has no
// config file). Nothing here bypasses the auth layer; it is the same path a script or the web UI takes.
import type { ApiTokenConfig } from '../../node-daemon/auth/tokens.js';
import { sha256Hex } from '../../node-daemon/auth/tokens.js';
import type { Role } from '../../node-daemon/auth/roles.js';

/** The bearer token every test config accepts (as role admin unless asked otherwise). */
export const TEST_API_TOKEN = 'fenghuo-test-token-9f6c1d2e8a7b4c3d';

/** `http.apiTokens` entries for the test token (and one per extra role, token = `${TEST_API_TOKEN}-${role}`). */
export function testApiTokens(...extraRoles: Role[]): ApiTokenConfig[] {
  return [
    { id: 'test', role: 'admin', sha256: sha256Hex(TEST_API_TOKEN) },
    ...extraRoles.map((role) => ({ id: `test-${role}`, role, sha256: sha256Hex(`${TEST_API_TOKEN}-${role}`) })),
  ];
}

/** A YAML `http:` section granting the test token; `listen` when given. */
export function testHttpYaml(listen?: string): string {
  const [t] = testApiTokens();
  return ['http:', ...(listen === undefined ? [] : [`  listen: "${listen}"`]), '  apiTokens:', `    - { id: ${t!.id}, role: ${t!.role}, sha256: "${t!.sha256}" }`, ''].join('\n');
}

/** Appends the test token's `http:` section to a config that has none. */
export function withTestToken(yaml: string): string {
  if (/^http:/m.test(yaml)) throw new Error('withTestToken: the config has an http section already; put testHttpYaml() in it');
  return `${yaml.endsWith('\n') ? yaml : `${yaml}\n`}${testHttpYaml()}`;
}

export function bearerHeaders(token = TEST_API_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A fetch-like function: global fetch against a URL, or `(path, init) => app.request(path, init)` in-process. */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response> | Response;

/** A signed-in cookie session: sends the cookie, and the CSRF token on every change. */
export interface ApiSession {
  readonly cookie: string;
  readonly csrfToken: string;
  readonly user: { readonly name: string; readonly role: string };
  /** Headers for a request; `X-CSRF-Token` is included for anything but GET/HEAD. */
  headers(method?: string): Record<string, string>;
  /** fetch with the session's headers (JSON body when `json` is given). */
  fetch(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
}

/** The `name=value` of the session cookie in a response's Set-Cookie headers. */
export function sessionCookieOf(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('fenghuo_session='));
  if (set === undefined) throw new Error(`no fenghuo_session cookie in the response (HTTP ${res.status})`);
  return set.split(';')[0]!;
}

async function signIn(baseUrl: string, path: string, name: string, password: string, fetchImpl: FetchLike): Promise<ApiSession> {
  const res = await fetchImpl(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { name: string; role: string }; csrfToken: string };
  return session(baseUrl, sessionCookieOf(res), body.csrfToken, body.user, fetchImpl);
}

export function session(baseUrl: string, cookie: string, csrfToken: string, user: { name: string; role: string }, fetchImpl: FetchLike = fetch): ApiSession {
  const headers = (method = 'GET'): Record<string, string> => ({
    cookie,
    ...(method === 'GET' || method === 'HEAD' ? {} : { 'x-csrf-token': csrfToken }),
  });
  return {
    cookie,
    csrfToken,
    user,
    headers,
    fetch: async (path, init = {}) => {
      const { json, ...rest } = init;
      const method = rest.method ?? 'GET';
      return fetchImpl(`${baseUrl}${path}`, {
        ...rest,
        headers: { ...headers(method), ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...(rest.headers as Record<string, string> | undefined) },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
  };
}

export const TEST_ADMIN = { name: 'admin', password: 'correct horse battery' } as const;

/** First run through the API: creates the admin account (POST /auth/setup) and returns its session. */
export function setupFirstAdmin(baseUrl: string, admin: { name: string; password: string } = TEST_ADMIN, fetchImpl: FetchLike = fetch): Promise<ApiSession> {
  return signIn(baseUrl, '/api/v1/auth/setup', admin.name, admin.password, fetchImpl);
}

export function login(baseUrl: string, name: string, password: string, fetchImpl: FetchLike = fetch): Promise<ApiSession> {
  return signIn(baseUrl, '/api/v1/auth/login', name, password, fetchImpl);
}
