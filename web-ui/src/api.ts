/**
 * The daemon's HTTP API as the UI uses it. Same-origin cookies, `X-CSRF-Token` on every mutating request, JSON both
 * ways. Every request and answer is typed by the daemon's own contract (node-daemon/http/contract.ts, inferred from
 * the schemas the routes validate with and the OpenAPI document shows), imported type-only: no daemon code enters the
 * bundle, and a field the daemon renames fails the UI's type check instead of going blank on the tablets.
 */
import type {
  ApiErrorBody,
  AuthState,
  Bootstrap,
  CsrfHeader,
  LoginBody,
  NoContent,
  SettingsProblem,
  SettingsProblems,
  SetupBody,
  SignedIn,
} from '../../node-daemon/http/contract.js';

// What the pages and the pure modules use, under the contract's names.
export type * from '../../node-daemon/http/contract.js';

export const API = '/api/v1';

/** The daemon's CSRF header (the contract's CsrfHeader: a rename there fails here). */
const CSRF_HEADER: CsrfHeader = 'X-CSRF-Token';

/** A problem of a refused request as the UI lists it: a settings problem (`problems` of a 400), or `error.param`. */
export type Problem = Pick<SettingsProblem, 'path' | 'message' | 'messageZh'>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: readonly Problem[],
    readonly retryAfterS: number | undefined,
    /** The parsed answer, for fields beside the error (a login's `triesLeft`, `retryAfterMs`). */
    readonly body: unknown = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a request comes back 401: the session expired or the box restarted with a new database. */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The problems of a refused request: a refused settings section lists every one (`problems` beside `error`, each with
 * its key path and maybe a Chinese message); any other 400 names at most one parameter (`error.param`).
 */
export function problemsOf(body: unknown): Problem[] {
  if (!isRecord(body)) return [];
  const answer = body as Partial<SettingsProblems>;
  if (Array.isArray(answer.problems) && answer.problems.length > 0) {
    return answer.problems.map((p) => ({ path: p.path, message: p.message, ...(p.messageZh !== undefined ? { messageZh: p.messageZh } : {}) }));
  }
  const err = isRecord(answer.error) ? answer.error : undefined;
  if (err !== undefined && typeof err.param === 'string') return [{ path: err.param, message: typeof err.message === 'string' ? err.message : '' }];
  return [];
}

/** A request's body: JSON, or raw bytes with their media type (a file upload). */
export type RequestBody = { readonly json: unknown } | { readonly raw: Blob | string; readonly type: string };

/**
 * One request to the API (`T` is the route's answer in its contract): same-origin cookies, the CSRF token on every
 * change, the API's error shape read into ApiError, a 401 (but a login's) reported to the unauthenticated handler.
 */
export async function request<T>(method: string, path: string, body?: RequestBody, sent?: Promise<Response>): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'json' in body ? 'application/json' : body.type;
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== undefined) headers[CSRF_HEADER] = csrfToken;
  let res: Response;
  try {
    res =
      sent !== undefined
        ? await sent
        : await fetch(API + path, {
            method,
            headers,
            credentials: 'same-origin',
            cache: 'no-store',
            ...(body === undefined ? {} : { body: 'json' in body ? JSON.stringify(body.json) : body.raw }),
          });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err), [], undefined);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    // The daemon's error shape; anything else (a proxy's page) still gives a status.
    const err: Partial<ApiErrorBody['error']> = isRecord(json) && isRecord(json.error) ? (json.error as Partial<ApiErrorBody['error']>) : {};
    const code = typeof err.code === 'string' ? err.code : `http_${res.status}`;
    const message = typeof err.message === 'string' ? err.message : res.statusText;
    const retry = Number(res.headers.get('Retry-After'));
    if (res.status === 401 && path !== '/auth/login' && onUnauthenticated !== undefined) onUnauthenticated();
    throw new ApiError(res.status, code, message, problemsOf(json), isFinite(retry) && retry > 0 ? retry : undefined, json);
  }
  return json as T;
}

/** `T` is the route's answer in the contract. */
export const get = <T>(path: string, sent?: Promise<Response>): Promise<T> => request<T>('GET', path, undefined, sent);
/** `T` the answer, `B` the body (both from the contract); without a body `{}` is sent. */
export const post = <T, B extends object = never>(path: string, body?: B): Promise<T> => request<T>('POST', path, { json: body === undefined ? {} : body });
export const put = <T, B>(path: string, body: B): Promise<T> => request<T>('PUT', path, body === undefined ? undefined : { json: body });
export const patch = <T, B>(path: string, body: B): Promise<T> => request<T>('PATCH', path, body === undefined ? undefined : { json: body });
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path);

/** Keeps the CSRF token of an answer that carries one (the session's state, a sign-in) for the requests after it. */
export async function keepingCsrf<S extends { readonly csrfToken?: string | undefined }>(answer: Promise<S>): Promise<S> {
  const s = await answer;
  setCsrfToken(s.csrfToken);
  return s;
}

/** The GET /bootstrap that web-ui/boot.js sent while the page loaded, once: the first call of bootstrap() takes it. */
function takeBootRequest(): Promise<Response> | undefined {
  const w = window as unknown as { __fenghuoBoot?: Promise<Response> };
  const sent = w.__fenghuoBoot;
  w.__fenghuoBoot = undefined;
  return sent;
}

/**
 * `GET /bootstrap`: the first screen in one answer (session, system, health, sites, open alarms, outputs); 401 when
 * not signed in. The first call takes the request web-ui/boot.js sent during the page load, if there is one.
 */
export function bootstrap(): Promise<Bootstrap> {
  const sent = takeBootRequest();
  return get<Bootstrap>('/bootstrap', sent).then((b) => {
    setCsrfToken(b.auth.csrfToken);
    return b;
  });
}

/** `GET /auth/state` (public): whether the box needs its first account, who is signed in, the CSRF token. */
export function authState(): Promise<AuthState> {
  return keepingCsrf(get<AuthState>('/auth/state'));
}

export function setup(name: string, password: string, setupCode?: string): Promise<SignedIn> {
  return keepingCsrf(post<SignedIn, SetupBody>('/auth/setup', setupCode === undefined ? { name, password } : { name, password, setupCode }));
}

/** `POST /auth/login`; `S` is the API's signed-in answer (the box's by default; the county hub's has its own). */
export function login<S extends { readonly csrfToken?: string | undefined } = SignedIn>(name: string, password: string): Promise<S> {
  return keepingCsrf(post<S, LoginBody>('/auth/login', { name, password }));
}

export async function logout(): Promise<void> {
  await post<NoContent>('/auth/logout');
  setCsrfToken(undefined);
}

export function canOperate(auth: AuthState): boolean {
  const role = auth.user === undefined ? undefined : auth.user.role;
  return role === 'operator' || role === 'admin';
}

export function isAdmin(auth: AuthState): boolean {
  return auth.user !== undefined && auth.user.role === 'admin';
}
