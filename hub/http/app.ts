import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { FailureThrottle } from '../../node-daemon/auth/rate-limit.js';
import { createHubAccounts } from '../accounts/accounts.js';
import { storeUnavailable } from '../store/unavailable.js';
import { sessionOrTokenAccess } from './access.js';
import { API_PREFIX, DEFAULT_LIMITS, type HubAppDeps, type HubEnv, type HubLimits } from './deps.js';
import { errorBody, RefusalCounter } from './refusals.js';
import { requestUrl } from './request-url.js';
import { accountsPaths, accountsRoutes } from './routes/accounts.js';
import { authPaths, authRoutes } from './routes/auth.js';
import { boxesRoutes } from './routes/boxes.js';
import { corePaths } from './openapi/core-paths.js';
import { HubApiRegistry } from './openapi/registry.js';
import { alarmsPaths, alarmsRoutes } from './routes/alarms.js';
import { boxDetailPaths, boxDetailRoutes } from './routes/box-detail.js';
import { boxRecordingsPaths, boxRecordingsRoutes } from './routes/box-recordings.js';
import { capPaths, capRoutes } from './routes/cap.js';
import { openapiPaths, openapiRoutes } from './routes/openapi.js';
import { readingsPaths, readingsRoutes } from './routes/readings.js';
import { hubWebRoutes } from './routes/static.js';
import { contentRoutes } from './routes/content.js';
import { backupsPaths, backupsRoutes } from './routes/backups.js';
import { HubBackupIndex } from '../backups/backup-index.js';
import { HubBackupReceiver } from '../backups/receiver.js';
import { imagesPaths, imagesRoutes } from './routes/images.js';
import { HubImageIndex } from '../images/image-index.js';
import { HubImageReceiver } from '../images/receiver.js';
import type { ManifestOrderRequest } from '../content/publish.js';
import { enrollRoutes } from './routes/enroll.js';
import { ingestRoutes } from './routes/ingest.js';
import { ordersRoutes } from './routes/orders.js';
import { ordersSyncRoutes } from './routes/orders-sync.js';
import { createHubOrders } from '../orders/hub-orders.js';
import { signResponses } from './sign-responses.js';

export type { HubAppDeps } from './deps.js';

/** Seconds a box is asked to wait while the hub's database is away. */
const STORE_RETRY_AFTER_S = 5;

export interface HubApp {
  readonly app: Hono<HubEnv>;
  readonly refusals: RefusalCounter;
  readonly limits: HubLimits;
  /** The OpenAPI document's paths (GET /api/v1/openapi.json): each feature adds its own (openapi/registry.ts). */
  readonly api: HubApiRegistry;
}

/**
 * The county hub's HTTP API (docs/sync.md): `POST /api/v1/sync/ingest` (records from a box, signed by it),
 * `POST /api/v1/sync/enroll` (a box's enrolment with a one-time code) and `GET /api/v1/boxes`. Everything under
 * /api/v1/sync/ is answered signed by the county key (sign-responses.ts), refusals, not-found and errors included.
 * JSON errors `{error: {code, message?, param?}}`; a failure is logged and answered 500 without details, or 503 with
 * Retry-After when the database is away (a box then waits and resends rather than backing off as from a fault).
 */
export function createHubApp(deps: HubAppDeps): HubApp {
  const clock = deps.clock ?? Date.now;
  const limits: HubLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const refusals = deps.refusals ?? new RefusalCounter();
  const throttle = deps.enrolThrottle ?? new FailureThrottle(clock);
  const url = (c: Context): string => requestUrl(c, deps.publicOrigin);
  const sink = { log: deps.log, refusals };

  const app = new Hono<HubEnv>();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    // The page's files say how they may be cached (static-ui.ts); everything else is never cached.
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  app.use(`${API_PREFIX}/sync/*`, signResponses({ key: deps.countyKey, clock, requestUrl: url }));

  app.route('/', ingestRoutes({ ...sink, store: deps.store, nonces: deps.nonces, clock, limits, requestUrl: url }));
  app.route('/', enrollRoutes({ ...sink, store: deps.store, countyKey: deps.countyKey, clock, throttle }));
  const tokens = deps.readTokenSha256 === undefined ? [] : [{ name: 'read', sha256: deps.readTokenSha256, role: 'viewer' as const }];
  const accounts = deps.accounts ?? createHubAccounts(deps.store.sql, { clock });
  // A bearer token or a signed-in account's session (the hub page); tokens and loopback reads as before accounts.
  const access = deps.access ?? sessionOrTokenAccess(tokens, accounts.sessions);
  app.route('/', authRoutes({ accounts, tokens, log: deps.log }));
  app.route('/', accountsRoutes({ accounts: accounts.accounts, access, log: deps.log }));
  app.route('/', boxesRoutes({ store: deps.store, refusals, access }));
  // The county's read API and its OpenAPI document; a feature documents its routes with api.add(itsPaths).
  const api = new HubApiRegistry().add(corePaths).add(openapiPaths);
  app.route('/', boxDetailRoutes({ store: deps.store, refusals, access }));
  app.route('/', boxRecordingsRoutes({ store: deps.store, access }));
  app.route('/', readingsRoutes({ store: deps.store, access, clock, ...(deps.cap === undefined ? {} : { timeZone: deps.cap.timeZone }) }));
  app.route('/', alarmsRoutes({ store: deps.store, access }));
  app.route('/', capRoutes({ store: deps.store, access, clock, ...(deps.cap === undefined ? {} : { cap: deps.cap }), ...(deps.publicOrigin === undefined ? {} : { publicOrigin: deps.publicOrigin }) }));
  app.route('/', openapiRoutes(api));
  api.add(boxDetailPaths).add(boxRecordingsPaths).add(readingsPaths).add(alarmsPaths).add(capPaths);
  api.add(authPaths).add(accountsPaths);
  // Downstream orders: the boxes' long-poll (signed like ingest) and the county's issuing and listing.
  const orders = deps.orders ?? createHubOrders({ sql: deps.store.sql, countyKey: deps.countyKey, clock, log: deps.log });
  app.route('/', ordersSyncRoutes({ ...sink, store: deps.store, orders: orders.store, watch: orders.watch, nonces: deps.nonces, clock, requestUrl: url }));
  app.route('/', ordersRoutes({ ...orders.issueDeps, access, log: deps.log }));
  if (deps.content !== undefined) {
    // Manifests go out through this app's orders module (its watch wakes the long-polls at once) unless given another.
    const content = { store: deps.store, contentDir: deps.content.dir, maxContentBytes: limits.maxContentBytes, log: deps.log, clock, issue: deps.content.issue ?? ((req: ManifestOrderRequest) => orders.issue(req)) };
    app.route('/', contentRoutes({ ...sink, content, nonces: deps.nonces, clock, access, requestUrl: url }));
  }
  if (deps.backups !== undefined) {
    const index = new HubBackupIndex(deps.store.sql);
    const receiver = new HubBackupReceiver({ ...deps.backups, index, log: deps.log, clock });
    app.route('/', backupsRoutes({ ...sink, receiver, index, store: deps.store, nonces: deps.nonces, clock, access, requestUrl: url }));
    api.add(backupsPaths);
  }
  if (deps.images !== undefined) {
    const index = new HubImageIndex(deps.store.sql);
    const receiver = new HubImageReceiver({ ...deps.images, index, log: deps.log, clock });
    app.route('/', imagesRoutes({ ...sink, receiver, index, store: deps.store, nonces: deps.nonces, clock, access, requestUrl: url }));
    api.add(imagesPaths);
  }

  // The county's page at / (GET/HEAD outside /api/ only), after every API route.
  app.use('*', hubWebRoutes({ ...(deps.webDir === undefined ? {} : { dir: deps.webDir }), log: deps.log }));

  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) return c.json(errorBody('bad_request', err.message || 'bad request'), err.status);
    if (storeUnavailable(err)) {
      deps.log.warn({ event: 'hub.store_unavailable', method: c.req.method, path: c.req.path, err: err.message }, 'the hub store is unavailable');
      c.header('Retry-After', String(STORE_RETRY_AFTER_S));
      return c.json(errorBody('unavailable', 'the hub database is unavailable; retry later'), 503);
    }
    deps.log.error({ event: 'hub.http_error', method: c.req.method, path: c.req.path, err }, 'request failed');
    return c.json(errorBody('internal', 'internal error; the hub log has the details'), 500);
  });
  return { app, refusals, limits, api };
}
