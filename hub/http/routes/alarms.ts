import { Hono } from 'hono';
import { z } from 'zod';
import { BOX_ID_PATTERN } from '../../../node-daemon/sync/outbox/box-id.js';
import { timeParam } from '../../../node-daemon/http/time-param.js';
import { validateQuery } from '../../../node-daemon/http/validate-query.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { API_PREFIX, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubJsonResponse, hubQueryParameters, type HubPathsDoc } from '../openapi/registry.js';
import { errorBody } from '../refusals.js';
import { boxNames, listAlarms } from './alarms-query.js';

export const ALARMS_PATH = `${API_PREFIX}/alarms`;
export const DEFAULT_ALARMS = 100;
export const MAX_ALARMS = 1_000;
/** Far enough for any UTC ms, small enough for a BIGINT and a double. */
const FAR = 8_640_000_000_000_000;

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_ALARMS}`;

export const alarmsQuerySchema = z.strictObject({
  state: z.enum(['active', 'all'], { error: 'state must be active or all' }).default('active').describe('active: not cleared (acknowledged ones too); all: cleared ones too'),
  box: z.string().regex(BOX_ID_PATTERN, 'box must be a box id: lowercase letters, digits and -').optional().describe('one box\'s alarms only'),
  from: timeParam('from').optional().describe('alarms still on at or after this (not cleared before it): UTC ms or ISO 8601 with an offset'),
  to: timeParam('to').optional().describe('alarms raised before this: UTC ms or ISO 8601 with an offset'),
  limit: z
    .preprocess((v) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v), z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(MAX_ALARMS, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most alarms; default ${DEFAULT_ALARMS}, at most ${MAX_ALARMS}`),
});

export interface AlarmsDeps {
  readonly store: HubStore;
  readonly access: HubAccess;
}

/**
 * `GET /api/v1/alarms?state=active|all&box=&from=&to=&limit=`: alarms across boxes, each with its box (id and name)
 * and its transitions as held. Active ones most urgent first (evacuate, prepare, faults; oldest raise first), `all`
 * newest raise first. With from/to: the alarms that were on at some time in [from, to).
 */
export function alarmsRoutes(deps: AlarmsDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get(ALARMS_PATH, deps.access.require('viewer'), async (c) => {
    const q = validateQuery(c.req.queries(), alarmsQuerySchema);
    if (!q.ok) return c.json(q.error, 400);
    const { state, box, from, to } = q.data;
    if (from !== undefined && to !== undefined && from >= to) return c.json(errorBody('bad_request', 'from must be before to', 'from'), 400);
    const limit = q.data.limit ?? DEFAULT_ALARMS;
    const rows = await listAlarms(deps.store.sql, { state, ...(box === undefined ? {} : { box }), from: from ?? -FAR, to: to ?? FAR, limit: limit + 1 });
    const names = await boxNames(deps.store.sql);
    const alarms = [];
    for (const a of rows.slice(0, limit)) {
      const transitions = await deps.store.alarmTransitions(a.boxId, a.alarmId, a.dbId);
      alarms.push({ ...a, box: { id: a.boxId, name: names.get(a.boxId) ?? null }, transitions });
    }
    return c.json({ state, truncated: rows.length > limit, alarms }, 200);
  });
  return app;
}

const transitionSchema = z
  .object({
    transitionId: z.int(),
    seq: z.int(),
    ts: z.int().describe('box clock'),
    type: z.string(),
    level: z.string().nullable(),
    by: z.string().nullable(),
    account: z.string().nullable(),
    note: z.string().nullable(),
    cause: z.unknown(),
    receivedAt: z.int().describe('hub clock'),
  })
  .loose();

const alarmSchema = z
  .object({
    boxId: z.string(),
    dbId: z.string(),
    alarmId: z.int(),
    box: z.strictObject({ id: z.string(), name: z.string().nullable() }),
    key: z.string(),
    kind: z.string(),
    drill: z.boolean(),
    title: z.string(),
    raisedAt: z.int(),
    state: z.enum(['active', 'acknowledged', 'cleared']),
    level: z.string().nullable(),
    shelved: z.boolean(),
    clearedAt: z.int().nullable(),
    updatedAt: z.int(),
    transitions: z.array(transitionSchema),
  })
  .loose();

export const alarmsPaths: HubPathsDoc = {
  [ALARMS_PATH]: {
    get: {
      access: 'viewer',
      operationId: 'listAlarms',
      summary: 'Alarms across boxes, with their box and transitions',
      parameters: hubQueryParameters(alarmsQuerySchema),
      responses: {
        '200': hubJsonResponse('alarms', z.strictObject({ state: z.enum(['active', 'all']), truncated: z.boolean(), alarms: z.array(alarmSchema) })),
        '400': hubErrorResponse('a parameter is invalid; `error.param` names it'),
      },
    },
  },
};
