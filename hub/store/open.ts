import type { StoreLog } from './migrations.js';
import { PgHubStore } from './pg-store.js';
import { SqliteHubStore } from './sqlite-store.js';
import type { HubStore } from './types.js';

/** Which database the hub runs on: the embedded SQLite file by default, or PostgreSQL for several hub processes. */
export type HubStoreConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly maxConnections?: number };

/** Opens (creating and migrating as needed) the configured store. */
export async function openHubStore(config: HubStoreConfig, opts: { clock?: () => number; log?: StoreLog } = {}): Promise<HubStore> {
  if (config.kind === 'sqlite') return SqliteHubStore.open({ path: config.path, ...opts });
  return PgHubStore.open({ connection: { connectionString: config.connectionString, max: config.maxConnections ?? 10 }, ...opts });
}
