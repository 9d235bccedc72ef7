import { Hono } from 'hono';
import { z } from 'zod';
import { BOX_ID_PATTERN } from '../../../node-daemon/sync/outbox/box-id.js';
import { validateQuery } from '../../../node-daemon/http/validate-query.js';
import { pullStatus } from '../../pull/pull-lease.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubJsonResponse, hubPathParameter, hubQueryParameters, type HubPathsDoc } from '../openapi/registry.js';
import { errorBody, type RefusalCounter } from '../refusals.js';
import { recordCounts } from './box-detail-query.js';

export interface BoxDetailDeps {
  readonly store: HubStore;
  readonly refusals: RefusalCounter;
  readonly access: HubAccess;
}

export const boxDetailQuerySchema = z.strictObject({
  stats: z
    .enum(['counts', 'exact'], { error: 'stats must be counts or exact' })
    .default('counts')
    .describe('counts: records per kind (cheap); exact: also the SHA-256 digests of the seqs and reading ids held (reads them all)'),
});

/** `:id` checked as a box id: a 400 naming `id`, or the id. */
export function boxIdOf(id: string): string | undefined {
  return BOX_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * `GET /api/v1/boxes/:id`: one box with its marks, latest health and backlog, last contact and link, the records held
 * per kind, the pull status (when a hub process pulls it: hub/pull/) and the refusals counted against it.
 */
export function boxDetailRoutes(deps: BoxDetailDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get(`${BOXES_PATH}/:id`, deps.access.require('viewer'), async (c) => {
    const id = boxIdOf(c.req.param('id'));
    if (id === undefined) return c.json(errorBody('bad_request', 'id must be a box id: lowercase letters, digits and -', 'id'), 400);
    const q = validateQuery(c.req.queries(), boxDetailQuerySchema);
    if (!q.ok) return c.json(q.error, 400);
    const box = (await deps.store.listBoxes()).find((b) => b.id === id);
    if (box === undefined) return c.json(errorBody('not_found', `no box ${id} at this hub`, 'id'), 404);
    const records = await recordCounts(deps.store.sql, id, box.dbId ?? '');
    const exact = q.data.stats === 'exact' ? await deps.store.recordStats(id) : undefined;
    return c.json(
      {
        box,
        records,
        ...(exact === undefined ? {} : { stats: exact }),
        pull: (await pullStatus(deps.store.sql, id)) ?? null,
        refused: deps.refusals.snapshot().byBox[id] ?? {},
      },
      200,
    );
  });
  return app;
}

const boxDetailSchema = z
  .object({
    box: z.object({ id: z.string() }).loose().describe('as in GET /api/v1/boxes: marks, latestHealth, backlog, lastContactAt, lastLink, dbId, revokedAt, …'),
    records: z.record(z.string(), z.object({ count: z.int(), maxSeq: z.int().nullable(), lastReceivedAt: z.int().nullable() })).describe('records held per kind, current database'),
    stats: z.object({}).loose().optional().describe('with stats=exact: count, seq sum, min/max and digest per kind, and of the reading ids'),
    pull: z
      .object({
        holder: z.string(),
        leaseUntil: z.int(),
        url: z.string().nullable(),
        state: z.string().describe('pulling, idle, backoff, standby, stopped'),
        lastAttemptAt: z.int().nullable(),
        lastOkAt: z.int().nullable(),
        lastError: z.string().nullable(),
        failures: z.int(),
        nextAt: z.int().nullable(),
        recordsPulled: z.int(),
        updatedAt: z.int(),
      })
      .loose()
      .nullable()
      .describe('the pull status, null when no hub process pulls this box'),
    refused: z.record(z.string(), z.int()).describe('requests of this box refused, by reason'),
  })
  .describe('one box');

export const boxDetailPaths: HubPathsDoc = {
  [`${BOXES_PATH}/{id}`]: {
    get: {
      access: 'viewer',
      operationId: 'getBox',
      summary: 'One box: marks, latest health, last contact, link, records held, pull status',
      parameters: [hubPathParameter('id', 'the box id'), ...hubQueryParameters(boxDetailQuerySchema)],
      responses: {
        '200': hubJsonResponse('the box', boxDetailSchema),
        '400': hubErrorResponse('a bad id or parameter; `error.param` names it'),
        '404': hubErrorResponse('no such box'),
      },
    },
  },
};
