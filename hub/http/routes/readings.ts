import { Hono } from 'hono';
import { z } from 'zod';
import { timeParam } from '../../../node-daemon/http/time-param.js';
import { validateQuery } from '../../../node-daemon/http/validate-query.js';
import { DEFAULT_CAP_CONFIG } from '../../cap/cap-config.js';
import { bucketStarter, coverRange, FACTOR, RESOLUTIONS, rolledPage, type Resolution } from '../../readings-rollup.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubJsonResponse, hubPathParameter, hubQueryParameters, type HubPathsDoc } from '../openapi/registry.js';
import { errorBody } from '../refusals.js';
import { boxIdOf } from './box-detail.js';

export interface ReadingsDeps {
  readonly store: HubStore;
  readonly access: HubAccess;
  readonly clock: () => number;
  /** Whose calendar days `1d` buckets are (hub config cap.timeZone). */
  readonly timeZone?: string;
}

/** Most points per answer, by resolution: a 1d page reads up to 96 × as many 15-minute buckets. */
export const MAX_POINTS: Readonly<Record<Resolution, number>> = { raw: 10_000, '15m': 10_000, '1h': 10_000, '1d': 1_000 };
export const DEFAULT_POINTS = 1_000;
/** Without `from`: this far back from `to`. */
export const DEFAULT_SPAN: Readonly<Record<Resolution, number>> = { raw: 86_400_000, '15m': 7 * 86_400_000, '1h': 31 * 86_400_000, '1d': 366 * 86_400_000 };

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_POINTS.raw} (${MAX_POINTS['1d']} for 1d)`;

export const readingsQuerySchema = z.strictObject({
  sensor: z.string({ error: 'sensor is required: the sensor id, e.g. river' }).min(1, { error: 'sensor is required: the sensor id, e.g. river' }).max(200).describe('the sensor id'),
  from: timeParam('from').optional().describe('start, inclusive: UTC ms or ISO 8601 with an offset; default `to` less a day (raw), 7 days (15m), 31 days (1h), 366 days (1d)'),
  to: timeParam('to').optional().describe('end, exclusive: UTC ms or ISO 8601 with an offset; default now'),
  resolution: z
    .enum(RESOLUTIONS, { error: `resolution must be one of ${RESOLUTIONS.join(', ')}` })
    .default('raw')
    .describe('raw readings, or buckets of 15 minutes (as the box folds them), 1 hour (UTC) or 1 day (the hub\'s cap.timeZone)'),
  limit: z
    .preprocess((v) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v), z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(MAX_POINTS.raw, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most points, oldest first; default ${DEFAULT_POINTS}; at most ${MAX_POINTS.raw} (1d: ${MAX_POINTS['1d']})`),
});

/**
 * `GET /api/v1/boxes/:id/readings?sensor=&from=&to=&resolution=&limit=`: a sensor's levels over every database the
 * box used, oldest first, at most `limit` points; `truncated` and `nextFrom` (ask again with from=nextFrom) when the
 * range holds more. 15m is the store's buckets; 1h and 1d are rolled up from them (readings-rollup.ts), with the range
 * widened to whole buckets.
 */
export function readingsRoutes(deps: ReadingsDeps): Hono<HubEnv> {
  const zone = deps.timeZone ?? DEFAULT_CAP_CONFIG.timeZone;
  const app = new Hono<HubEnv>();
  app.get(`${BOXES_PATH}/:id/readings`, deps.access.require('viewer'), async (c) => {
    const id = boxIdOf(c.req.param('id'));
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
    const q = validateQuery(c.req.queries(), readingsQuerySchema);
    if (!q.ok) return c.json(q.error, 400);
    const { sensor, resolution } = q.data;
    const limit = q.data.limit ?? DEFAULT_POINTS;
    if (limit > MAX_POINTS[resolution]) return c.json(errorBody('bad_request', `limit must be at most ${MAX_POINTS[resolution]} with resolution=${resolution}`, 'limit'), 400);
    const to = q.data.to ?? deps.clock();
    const from = q.data.from ?? Math.max(0, to - DEFAULT_SPAN[resolution]);
    if (from >= to) return c.json(errorBody('bad_request', `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`, q.data.from === undefined ? 'to' : 'from'), 400);
    if ((await deps.store.getBox(id)) === undefined) return c.json(errorBody('not_found', `no box ${id} at this hub`, 'id'), 404);

    const base = { box: id, sensor, unit: 'm', resolution };
    if (resolution === 'raw') {
      const rows = await deps.store.rawReadings({ boxId: id, sensorId: sensor, from, to, limit: limit + 1 });
      const next = rows[limit];
      return c.json(
        {
          ...base,
          from,
          to,
          truncated: next !== undefined,
          ...(next === undefined ? {} : { nextFrom: next.ts }),
          readings: rows.slice(0, limit).map((r) => ({ ts: r.ts, value: r.value, quality: r.quality })),
        },
        200,
      );
    }
    const range = coverRange(from, to, resolution, zone);
    const fetchLimit = limit * FACTOR[resolution];
    const buckets15m = await deps.store.readings15m({ boxId: id, sensorId: sensor, from: range.from, to: range.to, limit: fetchLimit + 1 });
    const page = rolledPage(buckets15m, fetchLimit, limit, bucketStarter(resolution, zone));
    return c.json(
      { ...base, from: range.from, to: range.to, truncated: page.truncated, ...(page.nextFrom === undefined ? {} : { nextFrom: page.nextFrom }), buckets: page.buckets },
      200,
    );
  });
  return app;
}

const page = {
  box: z.string(),
  sensor: z.string(),
  unit: z.literal('m'),
  from: z.int().describe('the range answered (widened to whole buckets)'),
  to: z.int(),
  truncated: z.boolean().describe('more points follow in the range'),
  nextFrom: z.int().optional().describe('when truncated: ask again with from=nextFrom'),
};

const readingsAnswerSchema = z.union([
  z.strictObject({
    ...page,
    resolution: z.literal('raw'),
    readings: z.array(z.strictObject({ ts: z.int(), value: z.number().nullable().describe('metres'), quality: z.string() })),
  }),
  z.strictObject({
    ...page,
    resolution: z.enum(['15m', '1h', '1d']),
    buckets: z.array(
      z.strictObject({
        bucket: z.int().describe('start, UTC ms'),
        min: z.number(),
        mean: z.number(),
        max: z.number(),
        count: z.int().describe('good readings folded in'),
        source: z.enum(['raw', 'aggregates', 'mixed']).describe('made from raw readings the hub holds, from the box\'s partial aggregates, or both'),
      }),
    ),
  }),
]);

export const readingsPaths: HubPathsDoc = {
  [`${BOXES_PATH}/{id}/readings`]: {
    get: {
      access: 'viewer',
      operationId: 'getBoxReadings',
      summary: 'A sensor\'s water levels at a box: raw, or 15-minute, hourly or daily buckets',
      parameters: [hubPathParameter('id', 'the box id'), ...hubQueryParameters(readingsQuerySchema)],
      responses: {
        '200': hubJsonResponse('oldest first', readingsAnswerSchema),
        '400': hubErrorResponse('a parameter is invalid; `error.param` names it'),
        '404': hubErrorResponse('no such box'),
      },
    },
  },
};
