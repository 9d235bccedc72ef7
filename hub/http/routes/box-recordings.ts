import { Hono } from 'hono';
import { z } from 'zod';
import { validateQuery } from '../../../node-daemon/http/validate-query.js';
import { recordingPayloadSchema } from '../../../node-daemon/sync/protocol/records-schema.js';
import { boxRecordings } from '../../recordings/recordings-query.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubJsonResponse, hubPathParameter, hubQueryParameters, type HubPathsDoc } from '../openapi/registry.js';
import { errorBody } from '../refusals.js';
import { boxIdOf } from './box-detail.js';

export const DEFAULT_RECORDINGS = 1_000;
export const MAX_RECORDINGS = 10_000;

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_RECORDINGS}`;

export const boxRecordingsQuerySchema = z.strictObject({
  state: z
    .string()
    .regex(/^[a-z_]{1,100}$/, 'state must be a recording state: recording, finished, failed, deleted, …')
    .optional()
    .describe('only recordings in this state: recording, finished, failed, deleted, …'),
  limit: z
    .preprocess((v) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v), z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(MAX_RECORDINGS, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most recordings; default ${DEFAULT_RECORDINGS}, at most ${MAX_RECORDINGS}`),
});

export interface BoxRecordingsDeps {
  readonly store: HubStore;
  readonly access: HubAccess;
}

/**
 * `GET /api/v1/boxes/:id/recordings?state=&limit=`: the box's recordings list as its `recording` records left it
 * (docs/sync.md): each recording's latest metadata, newest planned start first, in the box's current database.
 */
export function boxRecordingsRoutes(deps: BoxRecordingsDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get(`${BOXES_PATH}/:id/recordings`, deps.access.require('viewer'), async (c) => {
    const id = boxIdOf(c.req.param('id'));
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
    const q = validateQuery(c.req.queries(), boxRecordingsQuerySchema);
    if (!q.ok) return c.json(q.error, 400);
    const limit = q.data.limit ?? DEFAULT_RECORDINGS;
    const list = await boxRecordings(deps.store.sql, { boxId: id, limit: limit + 1, ...(q.data.state === undefined ? {} : { state: q.data.state }) });
    if (list === undefined) return c.json(errorBody('not_found', `no box ${id} at this hub`, 'id'), 404);
    return c.json({ box: id, dbId: list.dbId, truncated: list.recordings.length > limit, recordings: list.recordings.slice(0, limit) }, 200);
  });
  return app;
}

const hubRecordingSchema = recordingPayloadSchema
  .extend({
    sync: z
      .strictObject({
        seq: z.int().describe('the record\'s seq in the box\'s change log'),
        ts: z.int().describe('box clock: when the box committed the change'),
        receivedAt: z.int().describe('hub clock: when the record arrived'),
      })
      .describe('the newest record of this recording the hub holds'),
  })
  .describe('a recording\'s metadata as its newest record told it (docs/sync.md, kind recording); never its media');

const boxRecordingsSchema = z
  .strictObject({
    box: z.string(),
    dbId: z.string().describe('the box database listed: the current one (\'\' before the box named one)'),
    truncated: z.boolean().describe('more recordings than `limit`'),
    recordings: z.array(hubRecordingSchema).describe('newest planned start first'),
  })
  .describe('a box\'s recordings');

export const boxRecordingsPaths: HubPathsDoc = {
  [`${BOXES_PATH}/{id}/recordings`]: {
    get: {
      access: 'viewer',
      operationId: 'getBoxRecordings',
      summary: 'One box\'s recordings list: each recording\'s latest state, from its recording records',
      parameters: [hubPathParameter('id', 'the box id'), ...hubQueryParameters(boxRecordingsQuerySchema)],
      responses: {
        '200': hubJsonResponse('the recordings', boxRecordingsSchema),
        '400': hubErrorResponse('a bad id or parameter; `error.param` names it'),
        '404': hubErrorResponse('no such box'),
      },
    },
  },
};
