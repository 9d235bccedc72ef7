import { Hono, type Context } from 'hono';
import { NEVER } from 'rxjs';
import { HTTPException } from 'hono/http-exception';
import type { Auth } from '../auth/auth.js';
import { API_PREFIX } from './api-prefix.js';
import type { AppDeps } from './app-deps.js';
import { authMiddleware, principalOf } from './auth-middleware.js';
import { compressAnswers } from './compress-answers.js';
import { errorBody } from './errors.js';
import { alarmsRoutes } from './routes/alarms.js';
import { capFeedRoutes } from './routes/cap-feed.js';
import { METRICS_PATH, metricsRoutes } from './routes/metrics.js';
import { authRoutes } from './routes/auth.js';
import { bootstrapRoutes, type InnerGet } from './routes/bootstrap.js';
import { contentRoutes } from './routes/content.js';
import { noticesRoutes } from './routes/notices.js';
import { recordingsRoutes } from './routes/recordings.js';
import { recordingScheduleRoutes } from './routes/recording-schedule.js';
import { libraryRoutes } from './routes/library.js';
import { stationRoutes } from './routes/station.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { openapiRoutes } from './routes/openapi.js';
import { outputsRoutes } from './routes/outputs.js';
import { readingsRoutes } from './routes/readings.js';
import { sensorsRoutes } from './routes/sensors.js';
import { syncFeedRoutes } from './routes/sync-feed.js';
import { staticUi } from './static-ui.js';
import { uiBackendFlags, uiBackendRoutes } from './routes/ui-backend.js';
import { usersRoutes } from './routes/users.js';
import { camerasRoutes } from './routes/cameras.js';

export type { AppDeps, HealthSource } from './app-deps.js';

function isApi(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/** For a live event stream: whether the session that opened it still holds (a bearer token has nothing to re-check). */
function sessionStillLive(auth: Auth): (c: Context) => (() => boolean) | undefined {
  return (c) => {
    const p = principalOf(c);
    if (p?.kind !== 'session') return undefined;
    const idHash = p.session.idHash;
    return () => auth.sessions.isLive(idHash);
  };
}

/**
 * The HTTP API. Everything under /api answers JSON, errors included (`{error: {code, param?, message}}`); a failure
 * is logged with its stack and answered with a plain 500 that reveals nothing of the inside.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  // Every answer is what its Content-Type says: no browser may sniff JSON (or a file) into HTML or script.
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
  });

  // JSON (and the feeds' XML, the metrics' text) of 1 KB and more goes out gzipped or brotli; never the event stream
  // or a ranged file (see compress-answers.ts). The UI's own files come compressed from the build (static-ui.ts).
  app.use('/api/*', compressAnswers());
  if (deps.metrics !== undefined) app.use(METRICS_PATH, compressAnswers());

  app.use('/api/*', async (c, next) => {
    await next();
    // Levels change every few seconds; a cached answer during a flood is a wrong answer.
    c.header('Cache-Control', 'no-store');
  });

  // Sign-in and roles guard every /api/v1 route, registered before them all (see auth-middleware.ts).
  if (deps.auth !== undefined) {
    app.use(`${API_PREFIX}/*`, authMiddleware(deps.auth));
    // Prometheus scrapes outside the API prefix, signed in the same way (a bearer token from http.apiTokens, viewer).
    if (deps.metrics !== undefined) app.use(METRICS_PATH, authMiddleware(deps.auth));
    app.route(API_PREFIX, authRoutes(deps.auth, deps.authHttp));
    app.route(API_PREFIX, usersRoutes(deps.auth));
  }
  app.route(API_PREFIX, healthRoutes(deps.health));
  app.route(API_PREFIX, sensorsRoutes(deps.sensors, deps.health));
  app.route(API_PREFIX, readingsRoutes(deps));
  if (deps.alarms !== undefined) {
    app.route(API_PREFIX, alarmsRoutes({ alarms: deps.alarms, ...(deps.cap === undefined ? {} : { cap: deps.cap }), ...(deps.clock === undefined ? {} : { clock: deps.clock }), ...(deps.shelving === undefined ? {} : { shelving: deps.shelving }), ...(deps.smsDeliveries === undefined ? {} : { smsDeliveries: deps.smsDeliveries }) }));
    app.route(API_PREFIX, capFeedRoutes({ alarms: deps.alarms, ...(deps.cap === undefined ? {} : { cap: deps.cap }), ...(deps.clock === undefined ? {} : { clock: deps.clock }) }));
  }
  if (deps.outputs !== undefined) app.route(API_PREFIX, outputsRoutes(deps.outputs));
  app.route(API_PREFIX, eventsRoutes(deps.events ?? NEVER, deps.auth === undefined ? {} : { signedIn: sessionStillLive(deps.auth) }));
  app.route(API_PREFIX, uiBackendRoutes(deps));
  if (deps.sync !== undefined) app.route(API_PREFIX, syncFeedRoutes(deps.sync));
  if (deps.content !== undefined) app.route(API_PREFIX, contentRoutes(deps.content));
  // Before /recordings/:id, which would take `schedule` for an id.
  if (deps.recordingSchedule !== undefined) app.route(API_PREFIX, recordingScheduleRoutes(deps.recordingSchedule));
  if (deps.recordings !== undefined) app.route(API_PREFIX, recordingsRoutes(deps.recordings));
  if (deps.notices !== undefined) app.route(API_PREFIX, noticesRoutes({ notices: deps.notices, ...(deps.clock === undefined ? {} : { clock: deps.clock }) }));
  if (deps.library !== undefined) app.route(API_PREFIX, libraryRoutes(deps.library));
  if (deps.station !== undefined) app.route(API_PREFIX, stationRoutes(deps.station));
  if (deps.cameras !== undefined) app.route(API_PREFIX, camerasRoutes(deps.cameras, deps.log));
  // The UI's first screen in one request: its parts asked of this app's own routes, with this request's sign-in.
  const innerGet: InnerGet = (c, path) => {
    const headers = new Headers(c.req.raw.headers);
    headers.delete('accept-encoding');
    return Promise.resolve(app.fetch(new Request(new URL(API_PREFIX + path, c.req.url), { headers }), c.env));
  };
  app.route(API_PREFIX, bootstrapRoutes(innerGet, deps.clock));
  app.route(API_PREFIX, openapiRoutes({ alarms: deps.alarms !== undefined, outputs: deps.outputs !== undefined, auth: deps.auth !== undefined, sync: deps.sync !== undefined, content: deps.content !== undefined, notices: deps.notices !== undefined, recordings: deps.recordings !== undefined, recordingSchedule: deps.recordingSchedule !== undefined, library: deps.library !== undefined, station: deps.station !== undefined, cameras: deps.cameras !== undefined, ...uiBackendFlags(deps) }));

  if (deps.metrics !== undefined) app.route('/', metricsRoutes(deps.metrics));

  // The operators' web UI (dist/web-ui) at /, outside /api/ only; see static-ui.ts.
  app.get('*', staticUi({ log: deps.log }));

  app.notFound((c) => {
    if (!isApi(c.req.path)) return c.text('Not Found', 404);
    return c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}; GET ${API_PREFIX}/openapi.json lists them`), 404);
  });

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      return c.json(errorBody(err.status === 404 ? 'not_found' : 'bad_request', err.message || 'bad request'), err.status);
    }
    deps.log.error({ event: 'http.error', method: c.req.method, path: c.req.path, err }, 'request failed');
    return c.json(errorBody('internal', 'internal error; the daemon log has the details'), 500);
  });

  return app;
}
