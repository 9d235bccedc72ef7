import { Hono } from 'hono';
import type { SensorConfig } from '../../config/schema.js';
import type { ReadingsReader } from '../../storage/types.js';
import type { AppDeps } from '../app-deps.js';
import { errorBody, type ErrorBody } from '../errors.js';
import { errorResponse, pathParameter, queryParameters, schemaRef, type PathsDoc } from '../openapi-doc.js';
import {
  aggregatesResponseSchema,
  DEFAULT_LIMIT,
  DEFAULT_RANGE_MS,
  rawReadingsResponseSchema,
  readingsQuerySchema,
  sensorIdParam,
  type AggregatesResponse,
  type RawReadingsResponse,
  type ReadingsQueryParams,
} from '../schemas.js';
import { validateQuery } from '../validate-query.js';

export type Range = { readonly ok: true; readonly from: number; readonly to: number } | { readonly ok: false; readonly error: ErrorBody };

/** Fills in the default range (the 24 hours up to `to`, `to` defaulting to now) and checks `from` is not after `to`. */
export function resolveRange(q: Pick<ReadingsQueryParams, 'from' | 'to'>, now: number): Range {
  const to = q.to ?? now;
  const from = q.from ?? Math.max(0, to - DEFAULT_RANGE_MS);
  if (from > to) {
    const param = q.to === undefined ? 'from' : 'to';
    const toText = q.to === undefined ? `now (${new Date(to).toISOString()})` : new Date(to).toISOString();
    return { ok: false, error: errorBody('bad_request', `from (${new Date(from).toISOString()}) is after to, ${toText}`, param) };
  }
  return { ok: true, from, to };
}

/** Asks for one item more than the limit, to tell the client whether (and where) the range continues. */
function readPage<T>(items: readonly T[], limit: number, tsOf: (item: T) => number): { items: readonly T[]; truncated: boolean; nextFrom?: number } {
  const next = items[limit];
  if (next === undefined) return { items, truncated: false };
  return { items: items.slice(0, limit), truncated: true, nextFrom: tsOf(next) };
}

function rawPage(reader: ReadingsReader, sensorId: string, from: number, to: number, limit: number): RawReadingsResponse {
  const page = readPage(reader.readings({ sensorId, from, to, limit: limit + 1 }), limit, (r) => r.ts);
  return {
    sensorId,
    unit: 'm',
    resolution: 'raw',
    from,
    to,
    truncated: page.truncated,
    ...(page.nextFrom === undefined ? {} : { nextFrom: page.nextFrom }),
    readings: page.items.map((r) => ({ ts: r.ts, iso: new Date(r.ts).toISOString(), value: r.value, quality: r.quality })),
  };
}

function aggregatePage(reader: ReadingsReader, sensorId: string, from: number, to: number, limit: number): AggregatesResponse {
  const page = readPage(reader.aggregates({ sensorId, from, to, limit: limit + 1 }), limit, (a) => a.bucket);
  return {
    sensorId,
    unit: 'm',
    resolution: '15m',
    from,
    to,
    truncated: page.truncated,
    ...(page.nextFrom === undefined ? {} : { nextFrom: page.nextFrom }),
    aggregates: page.items.map((a) => ({ bucket: a.bucket, iso: new Date(a.bucket).toISOString(), min: a.min, mean: a.mean, max: a.max, count: a.count })),
  };
}

export function readingsRoutes(deps: Pick<AppDeps, 'sensors' | 'readings' | 'clock'>): Hono {
  const sensors = new Map<string, SensorConfig>(deps.sensors.map((s) => [s.id, s]));
  const clock = deps.clock ?? Date.now;
  return new Hono().get('/sensors/:id/readings', (c) => {
    const id = c.req.param('id');
    if (!sensors.has(id)) return c.json(errorBody('not_found', `no sensor "${id}"; GET /api/v1/sensors lists them`, 'id'), 404);
    const query = validateQuery(c.req.queries(), readingsQuerySchema);
    if (!query.ok) return c.json(query.error, 400);
    const range = resolveRange(query.data, clock());
    if (!range.ok) return c.json(range.error, 400);
    const limit = query.data.limit ?? DEFAULT_LIMIT;
    const body =
      query.data.resolution === '15m'
        ? aggregatePage(deps.readings, id, range.from, range.to, limit)
        : rawPage(deps.readings, id, range.from, range.to, limit);
    return c.json(body, 200);
  });
}

export const readingsPaths: PathsDoc = {
  '/sensors/{id}/readings': {
    get: {
      operationId: 'getSensorReadings',
      summary: 'Readings of one sensor over a time range, oldest first',
      description:
        'Values are metres on the local gauge datum; times are UTC milliseconds. `from` and `to` also accept ISO 8601 ' +
        'with a UTC offset. When `truncated` is true, ask again with `from` set to `nextFrom`.',
      parameters: [pathParameter('id', sensorIdParam), ...queryParameters(readingsQuerySchema)],
      responses: {
        '200': {
          description: '`readings` for resolution raw, `aggregates` for 15m',
          content: {
            'application/json': {
              schema: {
                oneOf: [schemaRef(rawReadingsResponseSchema), schemaRef(aggregatesResponseSchema)],
              },
            },
          },
        },
        '400': errorResponse('a parameter is invalid; `error.param` names it'),
        '404': errorResponse('no sensor has this id'),
      },
    },
  },
};
