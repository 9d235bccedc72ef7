import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { FailureThrottle } from '../../node-daemon/auth/rate-limit.js';
import { tokenAccess } from './access.js';
import { API_PREFIX, DEFAULT_LIMITS, type HubAppDeps, type HubEnv, type HubLimits } from './deps.js';
import { errorBody, RefusalCounter } from './refusals.js';
import { requestUrl } from './request-url.js';
import { boxesRoutes } from './routes/boxes.js';
import { enrollRoutes } from './routes/enroll.js';
import { ingestRoutes } from './routes/ingest.js';
import { signResponses } from './sign-responses.js';

export type { HubAppDeps } from './deps.js';

export interface HubApp {
  readonly app: Hono<HubEnv>;
  readonly refusals: RefusalCounter;
  readonly limits: HubLimits;
}

/**
 * The county hub's HTTP API (docs/sync.md): `POST /api/v1/sync/ingest` (records from a box, signed by it),
 * `POST /api/v1/sync/enroll` (a box's enrolment with a one-time code) and `GET /api/v1/boxes`. Everything under
 * /api/v1/sync/ is answered signed by the county key (sign-responses.ts), refusals, not-found and errors included.
 * JSON errors `{error: {code, message?, param?}}`; a failure is logged and answered 500 without details.
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
    c.header('Cache-Control', 'no-store');
  });
  app.use(`${API_PREFIX}/sync/*`, signResponses({ key: deps.countyKey, clock, requestUrl: url }));

  app.route('/', ingestRoutes({ ...sink, store: deps.store, nonces: deps.nonces, clock, limits, requestUrl: url }));
  app.route('/', enrollRoutes({ ...sink, store: deps.store, countyKey: deps.countyKey, clock, throttle }));
  const access = deps.access ?? tokenAccess(deps.readTokenSha256 === undefined ? [] : [{ name: 'read', sha256: deps.readTokenSha256, role: 'viewer' }]);
  app.route('/', boxesRoutes({ store: deps.store, refusals, access }));

  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) return c.json(errorBody('bad_request', err.message || 'bad request'), err.status);
    deps.log.error({ event: 'hub.http_error', method: c.req.method, path: c.req.path, err }, 'request failed');
    return c.json(errorBody('internal', 'internal error; the hub log has the details'), 500);
  });
  return { app, refusals, limits };
}
