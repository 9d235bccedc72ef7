import { Hono } from 'hono';
import { packageVersion } from '../../health/package-version.js';
import { accessFor } from '../../auth/policy.js';
import { API_PREFIX } from '../api-prefix.js';
import { authErrorBodySchema, CSRF_HEADER, SESSION_COOKIE } from '../auth-middleware.js';
import { componentSchemas, errorResponse, jsonResponse, type OperationDoc, type PathItemDoc, type PathsDoc } from '../openapi-doc.js';
import { alarmsPaths } from './alarms.js';
import { bootstrapPaths } from './bootstrap.js';
import { capFeedPaths } from './cap-feed.js';
import { authPaths } from './auth.js';
import { eventsPaths } from './events.js';
import { healthPaths } from './health.js';
import { outputsPaths } from './outputs.js';
import { readingsPaths } from './readings.js';
import { sensorsPaths } from './sensors.js';
import { contentPaths } from './content.js';
import { noticesPaths } from './notices.js';
import { recordingsPaths } from './recordings.js';
import { recordingSchedulePaths } from './recording-schedule.js';
import { libraryPaths } from './library.js';
import { stationPaths } from './station.js';
import { syncFeedPaths } from './sync-feed.js';
import { usersPaths } from './users.js';
import { camerasPaths } from './cameras.js';
import { uiBackendPaths, type UiBackendFlags } from './ui-backend.js';

const openapiPaths: PathsDoc = {
  '/openapi.json': {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document',
      responses: { '200': { description: 'the OpenAPI 3.1 document' } },
    },
  },
};

/** Every operation also answers 500 with the error shape; listing it once here keeps the route files short. */
function withServerError(op: OperationDoc): OperationDoc {
  return { ...op, responses: { ...op.responses, '500': errorResponse('an unexpected failure; details are in the daemon log') } };
}

export interface OpenApiOptions extends UiBackendFlags {
  /** Whether the app serves the alarm routes (it does when given an alarm service). Default true. */
  readonly alarms?: boolean;
  /** Whether the app serves `GET /outputs` (it does when given an outputs source). Default true. */
  readonly outputs?: boolean;
  /** Whether the app checks sign-in (it does when given auth deps): adds /auth, /users and the security schemes. Default true. */
  readonly auth?: boolean;
  /** Whether the app serves the county sync's pull feed (it does when given sync deps). Default true. */
  readonly sync?: boolean;
  /** Whether the app serves `GET /content` (it does when given a content source). Default true. */
  readonly content?: boolean;
  /** Whether the app serves `GET /notices` (it does when given the notices). Default true. */
  readonly notices?: boolean;
  /** Whether the app serves `/recordings…` (it does when given the recordings). Default true. */
  readonly recordings?: boolean;
  /** Whether the app serves `/recordings/schedule` (it does when given the schedule). Default true. */
  readonly recordingSchedule?: boolean;
  /** Whether the app serves the /library routes (it does when given the library). Default true. */
  readonly library?: boolean;
  /** Whether the app serves `GET /station` (it does when given the station). Default true. */
  readonly station?: boolean;
  /** Whether the app serves the camera picture routes (it does when given the cameras). Default true. */
  readonly cameras?: boolean;
}

/** Every HTTP method a path item may document. */
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
type AnyPathItemDoc = PathItemDoc & { readonly [M in (typeof METHODS)[number]]?: OperationDoc };

/** Who may call an operation, from the default policy (auth/policy.ts): public, or 401/403 and the role needed. */
function withSecurity(method: string, path: string, op: OperationDoc): OperationDoc & Record<string, unknown> {
  const access = accessFor(method, path);
  if (access.kind === 'public') return { ...op, security: [] };
  const mutating = method !== 'get';
  return {
    ...op,
    'x-fenghuo-role': access.role,
    description: `${op.description === undefined ? '' : `${op.description} `}Needs the ${access.role} role.${mutating ? ` On a cookie session, send the ${CSRF_HEADER} header.` : ''}`,
    responses: {
      ...op.responses,
      '401': jsonResponse('not signed in, or an unknown bearer token', authErrorBodySchema),
      '403': jsonResponse(mutating ? `the role is too low (forbidden), or the ${CSRF_HEADER} header is missing or wrong (csrf)` : 'the role is too low', authErrorBodySchema),
    },
  };
}

const securitySchemes = {
  session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: `set by POST /auth/login or /auth/setup; changes also need the ${CSRF_HEADER} header` },
  bearer: { type: 'http', scheme: 'bearer', description: 'a token configured in http.apiTokens (only its SHA-256 is stored); needs no CSRF header' },
};

/** The OpenAPI 3.1 document of the API, from the route files' path docs and the shared zod schemas. */
export function openApiDocument(version = packageVersion(), opts: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, OperationDoc>> = {};
  const alarmDocs = opts.alarms === false ? {} : { ...alarmsPaths, ...capFeedPaths };
  const outputDocs = opts.outputs === false ? {} : outputsPaths;
  const secured = opts.auth !== false;
  const authDocs: Record<string, AnyPathItemDoc> = secured ? { ...authPaths, ...usersPaths } : {};
  const syncDocs = { ...(opts.sync === false ? {} : syncFeedPaths), ...(opts.content === false ? {} : contentPaths), ...(opts.notices === false ? {} : noticesPaths), ...(opts.recordings === false ? {} : recordingsPaths), ...(opts.recordingSchedule === false ? {} : recordingSchedulePaths), ...(opts.library === false ? {} : libraryPaths), ...(opts.station === false ? {} : stationPaths), ...(opts.cameras === false ? {} : camerasPaths) };
  const all: Record<string, AnyPathItemDoc> = { ...healthPaths, ...authDocs, ...sensorsPaths, ...readingsPaths, ...alarmDocs, ...outputDocs, ...uiBackendPaths(opts), ...syncDocs, ...bootstrapPaths, ...eventsPaths, ...openapiPaths };
  for (const [path, item] of Object.entries(all)) {
    const ops: Record<string, OperationDoc> = {};
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      // The policy sees the router's path: a template's {param} stands for one segment, as in /users/{name}.
      ops[method] = withServerError(secured ? withSecurity(method, path.replace(/\{[^}]+\}/g, 'x'), op) : op);
    }
    paths[API_PREFIX + path] = ops;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fenghuo edge API',
      version,
      description: 'Water levels, health and flood alarms of a township flood-warning box. Times are UTC milliseconds; values are metres.',
    },
    paths,
    ...(secured ? { security: [{ session: [] }, { bearer: [] }] } : {}),
    components: { schemas: componentSchemas(), ...(secured ? { securitySchemes } : {}) },
  };
}

export function openapiRoutes(opts: OpenApiOptions = {}): Hono {
  const doc = openApiDocument(undefined, opts);
  return new Hono().get('/openapi.json', (c) => c.json(doc, 200));
}
