/**
 * The hub's API as the page uses it, through the box UI's request code (web-ui/src/api.ts: same-origin cookie,
 * X-CSRF-Token on every change, the `{error: {code, message}}` shape read into ApiError), typed by the hub's own
 * types (types.tsx).
 */
import { API, get, keepingCsrf, login as signIn, patch, post, request } from '../../../web-ui/src/api.js';
import type { AccountBody, AccountChangeBody, AccountList, AlarmsAnswer, BoxesAnswer, ContentAnswer, HubImage, ImagesAnswer, ReadingsAnswer, RecordingsAnswer, Resolution, IssueBody, IssuedOrder, NewAccountBody, OrdersAnswer, SessionState, SignedIn } from './types.js';

export { ApiError, logout, setUnauthenticatedHandler } from '../../../web-ui/src/api.js';

export const session = (): Promise<SessionState> => keepingCsrf(get<SessionState>('/auth/session'));
export const login = (name: string, password: string): Promise<SignedIn> => signIn<SignedIn>(name, password);

export const boxes = (): Promise<BoxesAnswer> => get<BoxesAnswer>('/boxes');
export const activeAlarms = (): Promise<AlarmsAnswer> => get<AlarmsAnswer>('/alarms?state=active');
export const readings = (box: string, sensor: string, from: number, to: number, resolution: Resolution): Promise<ReadingsAnswer> =>
  get<ReadingsAnswer>(`/boxes/${encodeURIComponent(box)}/readings?sensor=${encodeURIComponent(sensor)}&from=${from}&to=${to}&resolution=${resolution}&limit=5000`);
export const boxRecordings = (box: string, limit = 20): Promise<RecordingsAnswer> => get<RecordingsAnswer>(`/boxes/${encodeURIComponent(box)}/recordings?limit=${limit}`);
export const boxImages = (box: string, limit = 12): Promise<ImagesAnswer> => get<ImagesAnswer>(`/boxes/${encodeURIComponent(box)}/images?limit=${limit}`);
/** A held picture's thumbnail or full JPEG (an <img> source: the session cookie goes with it). */
export const boxImageUrl = (box: string, i: Pick<HubImage, 'dbId' | 'id'>, which: 'thumb' | 'full'): string =>
  `${API}/boxes/${encodeURIComponent(box)}/images/${encodeURIComponent(i.dbId)}/${i.id}/${which}`;
export const orders = (): Promise<OrdersAnswer> => get<OrdersAnswer>('/orders?limit=50');
export const issue = (body: IssueBody): Promise<IssuedOrder> => post<IssuedOrder, IssueBody>('/orders', body);
export const content = (): Promise<ContentAnswer> => get<ContentAnswer>('/content');
export const accounts = (): Promise<AccountList> => get<AccountList>('/accounts');
export const createAccount = (body: NewAccountBody): Promise<AccountBody> => post<AccountBody, NewAccountBody>('/accounts', body);
export const changeAccount = (name: string, body: AccountChangeBody): Promise<AccountBody> => patch<AccountBody, AccountChangeBody>(`/accounts/${encodeURIComponent(name)}`, body);

/** `POST /api/v1/content?path=…&title=…`: the file raw, its type as Content-Type. */
export async function publishFile(file: File, path: string, title: string): Promise<unknown> {
  const q = `path=${encodeURIComponent(path)}${title === '' ? '' : `&title=${encodeURIComponent(title)}`}`;
  return request<unknown>('POST', `/content?${q}`, { raw: file, type: file.type !== '' ? file.type : 'application/octet-stream' });
}
