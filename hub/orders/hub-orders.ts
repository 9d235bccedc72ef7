/**
 * The hub's orders module as one object: the store over the hub's SQL port, the watch that wakes long-polls, and
 * `issue` (sign, store, wake). createHubApp makes one when none is given; run.ts may make it first to hand `issue`
 * to the content module as well.
 */
import type { Logger } from '../../node-daemon/core/log.js';
import type { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import type { SqlPort } from '../store/sql-port.js';
import type { IssueRequest } from './build-order.js';
import { issueOrder, type IssueDeps, type IssuedOrder } from './issue-order.js';
import { HubOrderStore } from './order-store.js';
import { OrderWatch } from './order-watch.js';

export interface HubOrders {
  readonly store: HubOrderStore;
  readonly watch: OrderWatch;
  readonly issueDeps: IssueDeps;
  issue(req: IssueRequest): Promise<IssuedOrder>;
  /** Wakes every waiting long-poll (the hub is stopping). */
  close(): void;
}

export function createHubOrders(opts: { readonly sql: SqlPort; readonly countyKey: SigningKey; readonly clock: () => number; readonly log?: Logger; readonly pollMs?: number }): HubOrders {
  const store = new HubOrderStore(opts.sql);
  const watch = new OrderWatch({
    top: () => store.top(),
    ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
    onError: (err) => opts.log?.warn({ event: 'hub.orders.watch_failed', err: err instanceof Error ? err.message : String(err) }, 'looking for new orders failed'),
  });
  const issueDeps: IssueDeps = { orders: store, countyKey: opts.countyKey, clock: opts.clock, issued: () => watch.notify(), ...(opts.log === undefined ? {} : { log: opts.log }) };
  return { store, watch, issueDeps, issue: (req) => issueOrder(issueDeps, req), close: () => watch.close() };
}
