/**
 * The hub's answers as the page reads them: every type is the hub's own (its stores' types and its zod schemas),
 * imported type-only, so no hub code enters the bundle and a renamed field fails the page's type check.
 */
import type { PublishedFile } from '../../content/content-store.js';
import type { IssueBody } from '../../orders/build-order.js';
import type { DeliverySummary } from '../../orders/deliveries.js';
import type { IssuedOrder } from '../../orders/issue-order.js';
import type { StoredOrder } from '../../orders/order-store.js';
import type { Health } from '../../../node-daemon/http/contract.js';
import type { HubRecording } from '../../recordings/recordings-query.js';
import type { Bucket15m, BoxOverview, HubAlarm, HubAlarmTransition, RawReading } from '../../store/types.js';

export type { AccountBody, AccountChangeBody, AccountList, AccountSummary, HubRoleName, LoginBody, NewAccountBody, SessionState, SignedIn } from '../../accounts/schemas.js';
export type { BoxOverview, HubAlarm, HubRecording, IssueBody, IssuedOrder, DeliverySummary };

/** `GET /api/v1/boxes/{id}/recordings` (hub/http/routes/box-recordings.ts). */
export interface RecordingsAnswer {
  readonly box: string;
  readonly dbId: string;
  readonly truncated: boolean;
  readonly recordings: readonly HubRecording[];
}

/** One camera picture the hub holds (`GET /api/v1/boxes/{id}/images`, hub/http/routes/images.ts). */
export interface HubImage {
  readonly dbId: string;
  readonly id: number;
  readonly cameraId: string;
  readonly siteId: string;
  readonly ts: number;
  readonly cause: 'schedule' | 'alarm';
  readonly alarms: readonly { readonly alarmId: number; readonly transitionId: number; readonly role: 'before' | 'at' | 'after' }[];
  readonly thumbBytes: number;
  readonly full: { readonly size: number; readonly received: number; readonly complete: boolean };
}

export interface ImagesAnswer {
  readonly box: string;
  readonly images: readonly HubImage[];
}

/** `GET /api/v1/boxes` (hub/http/routes/boxes.ts). */
export interface BoxesAnswer {
  readonly boxes: readonly BoxOverview[];
}

/** One entry of `GET /api/v1/orders` (hub/http/routes/orders.ts). */
export type OrderListItem = Pick<StoredOrder, 'seq' | 'id' | 'kind' | 'to' | 'issuedAt' | 'expiresAt' | 'by' | 'createdAt'> & {
  readonly body: unknown;
  readonly delivery: DeliverySummary;
};
export interface OrdersAnswer {
  readonly orders: readonly OrderListItem[];
}

/** `GET /api/v1/alarms?state=active` (hub/http/routes/alarms.ts): each alarm with its box and transitions. */
export interface AlarmsAnswer {
  readonly state: 'active' | 'all';
  readonly truncated: boolean;
  readonly alarms: readonly (HubAlarm & { readonly box: { readonly id: string; readonly name: string | null }; readonly transitions: readonly HubAlarmTransition[] })[];
}

export type Resolution = 'raw' | '15m' | '1h' | '1d';

/** `GET /api/v1/boxes/:id/readings` (hub/http/routes/readings.ts): raw readings, or buckets. */
interface ReadingsPage {
  readonly box: string;
  readonly sensor: string;
  readonly unit: 'm';
  readonly from: number;
  readonly to: number;
  readonly truncated: boolean;
  readonly nextFrom?: number;
}
export type ReadingsAnswer =
  | (ReadingsPage & { readonly resolution: 'raw'; readonly readings: readonly Pick<RawReading, 'ts' | 'value' | 'quality'>[] })
  | (ReadingsPage & { readonly resolution: '15m' | '1h' | '1d'; readonly buckets: readonly Bucket15m[] });

/** What a box reported in its latest health snapshot: the box's own `GET /api/v1/health` body (its contract). */
export type BoxHealth = Partial<Health>;

/** `GET /api/v1/content` (hub/http/routes/content.ts). */
export interface ContentAnswer {
  readonly files: readonly PublishedFile[];
}
