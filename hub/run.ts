import { join } from 'node:path';
import { createLogger, type Logger } from '../node-daemon/core/log.js';
import { publicKeyToRaw } from '../node-daemon/sync/protocol/index.js';
import { describeStore, type HubConfig } from './config.js';
import { loadOrCreateCountyKey } from './county-key.js';
import { sweepUploads } from './content/blob-store.js';
import { contentDir } from './content/paths.js';
import { createHubApp } from './http/app.js';
import { nonceStoreFor } from './http/nonce-store.js';
import { hubServer } from './http/server.js';
import { openHubStore } from './store/open.js';
import { PullScheduler } from './pull/pull-scheduler.js';
import { imagesDir } from './images/paths.js';

/** Runs the hub until SIGTERM/SIGINT; resolves to the exit code (1: it could not start). */
export async function runHub(config: HubConfig, log: Logger = createLogger()): Promise<number> {
  log.info({ event: 'hub.starting', listen: config.listen, store: describeStore(config.store), dataDir: config.dataDir }, 'fenghuo hub starting');
  let county;
  try {
    county = loadOrCreateCountyKey(config.countyKeyFile, config.countyKeyId);
  } catch (err) {
    log.fatal({ event: 'hub.start_failed', err: err instanceof Error ? err.message : String(err) }, 'cannot load the county key');
    return 1;
  }
  const { key } = county;
  log.info(
    { event: county.created ? 'hub.county_key_created' : 'hub.county_key', file: config.countyKeyFile, keyid: key.keyid, fingerprint: key.fingerprint, publicKey: publicKeyToRaw(key.publicKey) },
    `county key ${key.keyid} (${key.fingerprint})${county.created ? ', new' : ''}`,
  );
  let store;
  try {
    store = await openHubStore(config.store, { log });
    log.info({ event: 'hub.nonces', shared: store.dialect === 'postgres' }, `replay memory: ${store.dialect === 'postgres' ? 'shared (hub_nonces)' : 'in this process'}`);
  } catch (err) {
    log.fatal({ event: 'hub.start_failed', store: describeStore(config.store), err: err instanceof Error ? err.message : String(err) }, 'cannot open the hub store');
    return 1;
  }
  const { app, limits } = createHubApp({
    store,
    countyKey: key,
    // PostgreSQL: shared by every hub process through hub_nonces, so a replay to another process is refused too.
    nonces: nonceStoreFor(store, Date.now),
    log,
    limits: config.limits,
    ...(config.publicOrigin === undefined ? {} : { publicOrigin: config.publicOrigin }),
    ...(config.readTokenSha256 === undefined ? {} : { readTokenSha256: config.readTokenSha256 }),
    cap: config.cap,
    content: { dir: contentDir(config) },
    backups: { dir: join(config.dataDir, 'backups'), keep: config.backups.keep, maxBytes: config.backups.maxBytes },
    images: { dir: imagesDir(config), keepDays: config.images.keepDays },
  });
  sweepUploads(contentDir(config), Date.now());
  const server = hubServer({ app, listen: config.listen, log, limits });
  try {
    await server.start();
  } catch (err) {
    log.fatal({ event: 'hub.start_failed', err: err instanceof Error ? err.message : String(err) }, 'fenghuo hub failed to start');
    await store.close();
    return 1;
  }
  log.info({ event: 'hub.started', url: server.url(), keyid: key.keyid }, `fenghuo hub running at ${server.url()}`);
  // Boxes the hub reads itself (config pull:); with several hub processes on one database, one pulls each box.
  const pull = config.pull.length === 0 ? undefined : new PullScheduler({ store, targets: config.pull, log });
  pull?.start();

  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const onSignal = (s: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // A second signal while stopping means now.
      const hard = (): void => process.exit(1);
      process.once('SIGTERM', hard);
      process.once('SIGINT', hard);
      resolveSignal(s);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  log.info({ event: 'hub.stopping', signal }, 'fenghuo hub stopping');
  await server.stop();
  await pull?.stop();
  await store.close();
  log.info({ event: 'hub.stopped' }, 'fenghuo hub stopped');
  return 0;
}
