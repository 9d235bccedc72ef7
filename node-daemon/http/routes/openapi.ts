import { Hono } from 'hono';
import { packageVersion } from '../../sensing/package-version.js';
import { API_PREFIX } from '../app-deps.js';
import { componentSchemas, errorResponse, type OperationDoc, type PathItemDoc, type PathsDoc } from '../openapi-doc.js';
import { alarmsPaths } from './alarms.js';
import { eventsPaths } from './events.js';
import { healthPaths } from './health.js';
import { outputsPaths } from './outputs.js';
import { readingsPaths } from './readings.js';
import { sensorsPaths } from './sensors.js';

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

export interface OpenApiOptions {
  /** Whether the app serves the alarm routes (it does when given an alarm service). Default true. */
  readonly alarms?: boolean;
  /** Whether the app serves `GET /outputs` (it does when given an outputs source). Default true. */
  readonly outputs?: boolean;
}

/** The OpenAPI 3.1 document of the API, from the route files' path docs and the shared zod schemas. */
export function openApiDocument(version = packageVersion(), opts: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, PathItemDoc> = {};
  const alarmDocs = opts.alarms === false ? {} : alarmsPaths;
  const outputDocs = opts.outputs === false ? {} : outputsPaths;
  for (const [path, item] of Object.entries({ ...healthPaths, ...sensorsPaths, ...readingsPaths, ...alarmDocs, ...outputDocs, ...eventsPaths, ...openapiPaths })) {
    paths[API_PREFIX + path] = {
      ...(item.get === undefined ? {} : { get: withServerError(item.get) }),
      ...(item.post === undefined ? {} : { post: withServerError(item.post) }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fenghuo edge API',
      version,
      description: 'Water levels, health and flood alarms of a township flood-warning box. Times are UTC milliseconds; values are metres.',
    },
    paths,
    components: { schemas: componentSchemas() },
  };
}

export function openapiRoutes(opts: OpenApiOptions = {}): Hono {
  const doc = openApiDocument(undefined, opts);
  return new Hono().get('/openapi.json', (c) => c.json(doc, 200));
}
