/**
 * The hub's API as the page uses it, through the box UI's request code (web-ui/src/api.ts: same-origin cookie,
 * X-CSRF-Token on every change, the `{error: {code, message}}` shape read into ApiError), typed by the hub's own
 * types (types.tsx).
 */
import { API, ApiError, get, post, problemsOf, setCsrfToken } from '../../../web-ui/src/api.js';
import type { AccountBody, AccountChangeBody, AccountList, AlarmsAnswer, BoxesAnswer, ContentAnswer, ReadingsAnswer, Resolution, IssueBody, IssuedOrder, LoginBody, NewAccountBody, OrdersAnswer, SessionState, SignedIn } from './types.js';

export { ApiError, setUnauthenticatedHandler } from '../../../web-ui/src/api.js';

let csrf: string | undefined;

function keepCsrf(token: string | undefined): void {
  csrf = token;
  setCsrfToken(token);
}

export async function session(): Promise<SessionState> {
  const s = await get<SessionState>('/auth/session');
  keepCsrf(s.csrfToken);
  return s;
}

export async function login(name: string, password: string): Promise<SignedIn> {
  const s = await post<SignedIn, LoginBody>('/auth/login', { name, password });
  keepCsrf(s.csrfToken);
  return s;
}

export async function logout(): Promise<void> {
  await post<undefined>('/auth/logout');
  keepCsrf(undefined);
}

export const boxes = (): Promise<BoxesAnswer> => get<BoxesAnswer>('/boxes');
export const activeAlarms = (): Promise<AlarmsAnswer> => get<AlarmsAnswer>('/alarms?state=active');
export const readings = (box: string, sensor: string, from: number, to: number, resolution: Resolution): Promise<ReadingsAnswer> =>
  get<ReadingsAnswer>(`/boxes/${encodeURIComponent(box)}/readings?sensor=${encodeURIComponent(sensor)}&from=${from}&to=${to}&resolution=${resolution}&limit=5000`);
export const orders = (): Promise<OrdersAnswer> => get<OrdersAnswer>('/orders?limit=50');
export const issue = (body: IssueBody): Promise<IssuedOrder> => post<IssuedOrder, IssueBody>('/orders', body);
export const content = (): Promise<ContentAnswer> => get<ContentAnswer>('/content');
export const accounts = (): Promise<AccountList> => get<AccountList>('/accounts');
export const createAccount = (body: NewAccountBody): Promise<AccountBody> => post<AccountBody, NewAccountBody>('/accounts', body);

export async function changeAccount(name: string, body: AccountChangeBody): Promise<AccountBody> {
  return send<AccountBody>('PATCH', `/accounts/${encodeURIComponent(name)}`, JSON.stringify(body), 'application/json');
}

/** `POST /api/v1/content?path=…&title=…`: the file raw, its type as Content-Type. */
export async function publishFile(file: File, path: string, title: string): Promise<unknown> {
  const q = `path=${encodeURIComponent(path)}${title === '' ? '' : `&title=${encodeURIComponent(title)}`}`;
  return send<unknown>('POST', `/content?${q}`, file, file.type !== '' ? file.type : 'application/octet-stream');
}

/** A request the JSON helpers do not make (PATCH, a raw body), refused the same way (ApiError). */
async function send<T>(method: string, path: string, body: BodyInit, type: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': type };
  if (csrf !== undefined) headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetch(API + path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err), [], undefined);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = typeof json === 'object' && json !== null ? (json as { error?: { code?: unknown; message?: unknown } }).error : undefined;
    throw new ApiError(res.status, typeof err?.code === 'string' ? err.code : `http_${res.status}`, typeof err?.message === 'string' ? err.message : res.statusText, problemsOf(json), undefined, json);
  }
  return json as T;
}
