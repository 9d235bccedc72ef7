/**
 * The orders module for content published from the command line (`fenghuo hub publish`, `withdraw`): a
 * content_manifest order is built, signed with the county key and stored by hub/orders like any order; a running hub
 * finds it on its next look at the store (OrderWatch) and hands it to the boxes' long-polls. The running hub's own
 * content route uses the app's orders module instead (hub/http/app.ts).
 */
import type { Logger } from '../../node-daemon/core/log.js';
import type { HubConfig } from '../config.js';
import { loadOrCreateCountyKey } from '../county-key.js';
import { createHubOrders } from '../orders/hub-orders.js';
import type { HubStore } from '../store/types.js';
import type { IssueManifestOrder } from './publish.js';

export function manifestIssuerFor(deps: { readonly config: HubConfig; readonly store: HubStore; readonly log: Logger }): IssueManifestOrder {
  const { key } = loadOrCreateCountyKey(deps.config.countyKeyFile, deps.config.countyKeyId);
  const orders = createHubOrders({ sql: deps.store.sql, countyKey: key, clock: Date.now, log: deps.log });
  return (req) => orders.issue(req);
}
