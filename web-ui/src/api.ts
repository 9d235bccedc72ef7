/**
 * The daemon's HTTP API as the UI uses it. Same-origin cookies, `X-CSRF-Token` on every mutating request, JSON both
 * ways. Shapes follow README.md (HTTP API) and notes/ui-contract.md; fields the UI cannot rely on yet are optional.
 */

// Types the daemon defines are imported type-only (erased by the build: no daemon code enters the bundle).
import type { Role } from '../../node-daemon/auth/roles.js';
import type { Quality } from '../../node-daemon/core/types.js';
import type { Alarm, AlarmLevel } from '../../node-daemon/alarms/types.js';
import type { HealthSnapshot } from '../../node-daemon/health/health-types.js';
import type { OutputsSnapshot } from '../../node-daemon/dispatch/outputs-snapshot.js';

export const API = '/api/v1';

export type { Role } from '../../node-daemon/auth/roles.js';
export type { Quality } from '../../node-daemon/core/types.js';
export type { AlarmLevel } from '../../node-daemon/alarms/types.js';
export type { BusHealth, SensorHealth } from '../../node-daemon/health/health-types.js';

export interface User {
  readonly name: string;
  readonly role: Role;
}

/** An account as `GET /users` lists it (admin). */
export interface UserAccount extends User {
  readonly createdAt?: number;
  readonly updatedAt?: number;
}

export interface AuthState {
  readonly setupRequired: boolean;
  readonly user?: User;
  readonly csrfToken?: string;
  /** The first admin can only be made with the box's setup code (`setupCode`; printed in its log, `fenghuo setup-code`). */
  readonly setupCodeRequired?: boolean;
  /** Set by the UI when the daemon has no auth routes (development before auth landed): everything is allowed. */
  readonly noAuth?: boolean;
}

/** `GET /health` (the daemon's HealthSnapshot). */
export interface Health extends HealthSnapshot {
  /** Not in the health schema today; read when present. */
  readonly timezone?: string;
}

export interface SiteSensor {
  readonly id: string;
  readonly name?: string;
  readonly value?: number | null;
  readonly ts?: number;
  readonly quality?: Quality | 'unknown';
  /** The sensor's status (quality of its newest reading, or stale/unknown), as /health reports it. */
  readonly status?: Quality | 'unknown';
  readonly ageMs?: number;
  /** Some shapes nest the reading. */
  readonly lastReading?: { readonly ts: number; readonly value: number | null; readonly quality: Quality; readonly ageMs?: number } | null;
}

export interface Site {
  readonly id: string;
  readonly name: string;
  readonly sensors: readonly SiteSensor[];
  readonly thresholds: { readonly prepareM: number; readonly evacuateM: number };
  readonly level: AlarmLevel | null;
  /** metres per hour over the last 30 min; null when too few readings. */
  readonly trend?: number | null;
  readonly rainfall?: { readonly h1: number | null; readonly h3: number | null; readonly h6: number | null } | null;
}

export type { Alarm, AlarmCause, AlarmKind, AlarmState, AlarmTransition, AlarmWithHistory, TransitionType } from '../../node-daemon/alarms/types.js';

export interface AlarmList {
  readonly state: 'active' | 'all';
  readonly truncated: boolean;
  readonly alarms: readonly Alarm[];
}

/** `GET /outputs`. */
export type Outputs = OutputsSnapshot;

/** `GET /system`: the contract names the parts, not the field names; the UI reads what it finds. */
export interface SystemInfo {
  readonly memory?: { readonly rss?: number; readonly rssBytes?: number; readonly systemFree?: number; readonly systemFreeBytes?: number; readonly systemTotal?: number; readonly systemTotalBytes?: number; readonly free?: number; readonly total?: number };
  readonly uptime?: { readonly process?: number; readonly processS?: number; readonly system?: number; readonly systemS?: number };
  readonly disk?: { readonly path?: string; readonly freeBytes?: number; readonly totalBytes?: number };
  readonly clock?: { readonly synchronized?: boolean | null; readonly synchronised?: boolean | null; readonly ntpSynchronized?: boolean | null; readonly source?: string };
  readonly version?: string;
  readonly timezone?: string;
  readonly timeZone?: string;
}

export interface RawReadings {
  readonly resolution: 'raw';
  readonly truncated: boolean;
  readonly nextFrom?: number;
  readonly readings: readonly { readonly ts: number; readonly value: number | null; readonly quality: Quality }[];
}

export interface Aggregates {
  readonly resolution: '15m';
  readonly truncated: boolean;
  readonly nextFrom?: number;
  readonly aggregates: readonly { readonly bucket: number; readonly min: number; readonly mean: number; readonly max: number; readonly count: number }[];
}

export interface Problem {
  readonly path: string;
  readonly message: string;
  /** The same in Chinese, when the server gives one (settings validation does). */
  readonly messageZh?: string;
}

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

function pathText(p: unknown): string {
  if (Array.isArray(p)) return p.map(String).join('.');
  return typeof p === 'string' ? p : '';
}

/** Reads the problems of a 400 wherever the server put them: `error.problems`, `error.issues` or `problems`. */
export function problemsOf(body: unknown): Problem[] {
  const out: Problem[] = [];
  const lists: unknown[] = [];
  if (isRecord(body)) {
    const err = body.error;
    if (isRecord(err)) lists.push(err.problems, err.issues, err.details);
    lists.push(body.problems, body.issues);
  }
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isRecord(item)) continue;
      const path = pathText(item.path !== undefined ? item.path : item.param !== undefined ? item.param : item.key);
      out.push({
        path,
        message: typeof item.message === 'string' ? item.message : JSON.stringify(item),
        ...(typeof item.messageZh === 'string' ? { messageZh: item.messageZh } : {}),
      });
    }
    if (out.length > 0) break;
  }
  if (out.length === 0 && isRecord(body) && isRecord(body.error) && typeof body.error.param === 'string') {
    out.push({ path: body.error.param, message: typeof body.error.message === 'string' ? body.error.message : '' });
  }
  return out;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== undefined) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
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
    const err = isRecord(json) && isRecord(json.error) ? json.error : {};
    const code = typeof err.code === 'string' ? err.code : `http_${res.status}`;
    const message = typeof err.message === 'string' ? err.message : res.statusText;
    const retry = Number(res.headers.get('Retry-After'));
    if (res.status === 401 && path !== '/auth/login' && onUnauthenticated !== undefined) onUnauthenticated();
    throw new ApiError(res.status, code, message, problemsOf(json), isFinite(retry) && retry > 0 ? retry : undefined, json);
  }
  return json as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body === undefined ? {} : body);
export const put = <T>(path: string, body: unknown): Promise<T> => request<T>('PUT', path, body);
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path);

/**
 * `GET /auth/state`. A daemon without the auth routes answers 404: then the UI runs without login (development only;
 * the contract has the route on every real box).
 */
export async function authState(): Promise<AuthState> {
  try {
    const s = await get<AuthState>('/auth/state');
    setCsrfToken(s.csrfToken);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      setCsrfToken(undefined);
      return { setupRequired: false, noAuth: true, user: { name: '', role: 'admin' } };
    }
    throw err;
  }
}

export interface Session {
  readonly user: User;
  readonly csrfToken: string;
}

export async function setup(name: string, password: string, setupCode?: string): Promise<Session> {
  const s = await post<Session>('/auth/setup', setupCode === undefined ? { name, password } : { name, password, setupCode });
  setCsrfToken(s.csrfToken);
  return s;
}

export async function login(name: string, password: string): Promise<Session> {
  const s = await post<Session>('/auth/login', { name, password });
  setCsrfToken(s.csrfToken);
  return s;
}

export async function logout(): Promise<void> {
  await post<void>('/auth/logout');
  setCsrfToken(undefined);
}

export function canOperate(auth: AuthState): boolean {
  const role = auth.user === undefined ? undefined : auth.user.role;
  return role === 'operator' || role === 'admin';
}

export function isAdmin(auth: AuthState): boolean {
  return auth.user !== undefined && auth.user.role === 'admin';
}
