import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { validateQuery } from '../../../node-daemon/http/validate-query.js';
import { atomFeed, ATOM_MEDIA_TYPE, CAP_MEDIA_TYPE } from '../../cap/atom-feed.js';
import { DEFAULT_CAP_CONFIG, type HubCapConfig } from '../../cap/cap-config.js';
import { hubAlarmCap, type CapMessage } from '../../cap/hub-alarm-cap.js';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { API_PREFIX, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubPathParameter, hubQueryParameters, type HubPathsDoc } from '../openapi/registry.js';
import { errorBody } from '../refusals.js';
import { requestUrl } from '../request-url.js';
import { boxNames, findAlarm } from './alarms-query.js';
import { boxIdOf } from './box-detail.js';

export const CAP_FEED_PATH = `${API_PREFIX}/cap/feed`;
export const CAP_ALERTS_PATH = `${API_PREFIX}/cap/alerts`;

export interface CapDeps {
  readonly store: HubStore;
  readonly access: HubAccess;
  readonly cap?: HubCapConfig;
  /** As in HubAppDeps: the origin clients address when a proxy in front rewrites Host (the feed's links use it). */
  readonly publicOrigin?: string;
  readonly clock: () => number;
}

export const capAlertQuerySchema = z.strictObject({
  db: z.string().min(1).max(128).optional().describe('the box database the alarm belongs to (the feed\'s links say it); default the box\'s current one'),
});

/**
 * `GET /api/v1/cap/feed`: the active alarms of every box as CAP 1.2 messages in an Atom 1.0 feed (cap/atom-feed.ts);
 * `GET /api/v1/cap/alerts/:box/:alarmId`: one alarm's current CAP message (cleared ones too: an all-clear is a
 * message). Drills are status Exercise.
 */
export function capRoutes(deps: CapDeps): Hono<HubEnv> {
  const cfg = deps.cap ?? DEFAULT_CAP_CONFIG;
  const origin = (c: Context): string => new URL(requestUrl(c, deps.publicOrigin)).origin;
  const alertPath = (m: Pick<CapMessage, 'boxId' | 'alarmId' | 'dbId'>): string =>
    `${CAP_ALERTS_PATH}/${encodeURIComponent(m.boxId)}/${m.alarmId}${m.dbId === '' ? '' : `?db=${encodeURIComponent(m.dbId)}`}`;

  const app = new Hono<HubEnv>();
  app.get(CAP_FEED_PATH, deps.access.require('viewer'), async (c) => {
    const names = await boxNames(deps.store.sql);
    const entries: CapMessage[] = [];
    for (const a of await deps.store.activeAlarms()) {
      const transitions = await deps.store.alarmTransitions(a.boxId, a.alarmId, a.dbId);
      const m = hubAlarmCap(a, transitions, { id: a.boxId, name: names.get(a.boxId) ?? null }, cfg);
      if (m !== undefined) entries.push(m);
    }
    const newest = Math.max(...entries.map((m) => Date.parse(m.sent)).filter((t) => Number.isFinite(t)));
    const base = origin(c);
    const xml = atomFeed({
      selfUrl: `${base}${CAP_FEED_PATH}`,
      title: `${cfg.senderName} 山洪灾害预警（CAP）`,
      authorName: cfg.senderName,
      updated: new Date(Number.isFinite(newest) ? newest : deps.clock()).toISOString(),
      entries,
      alertUrl: (m) => `${base}${alertPath(m)}`,
    });
    return c.body(xml, 200, { 'Content-Type': `${ATOM_MEDIA_TYPE}; charset=utf-8` });
  });

  app.get(`${CAP_ALERTS_PATH}/:box/:alarmId`, deps.access.require('viewer'), async (c) => {
    const boxId = boxIdOf(c.req.param('box'));
    if (boxId === undefined) return c.json(errorBody('bad_request', 'box must be a box id: lowercase letters, digits and -', 'box'), 400);
    const idText = c.req.param('alarmId');
    if (!/^\d{1,15}$/.test(idText)) return c.json(errorBody('bad_request', 'alarmId must be the box\'s alarm id, a whole number', 'alarmId'), 400);
    const q = validateQuery(c.req.queries(), capAlertQuerySchema);
    if (!q.ok) return c.json(q.error, 400);
    const alarm = await findAlarm(deps.store.sql, boxId, Number(idText), q.data.db);
    if (alarm === undefined) return c.json(errorBody('not_found', `no alarm ${idText} of box ${boxId} at this hub`, 'alarmId'), 404);
    const names = await boxNames(deps.store.sql);
    const m = hubAlarmCap(alarm, await deps.store.alarmTransitions(boxId, alarm.alarmId, alarm.dbId), { id: boxId, name: names.get(boxId) ?? null }, cfg);
    if (m === undefined) return c.json(errorBody('not_found', `the hub holds no raise, update or clear of alarm ${idText} of box ${boxId}: nothing to say in CAP`, 'alarmId'), 404);
    return c.body(m.xml, 200, { 'Content-Type': `${CAP_MEDIA_TYPE}; charset=utf-8` });
  });
  return app;
}

export const capPaths: HubPathsDoc = {
  [CAP_FEED_PATH]: {
    get: {
      access: 'viewer',
      operationId: 'getCapFeed',
      summary: 'The active alarms of every box as CAP 1.2 messages in an Atom 1.0 feed',
      description:
        'One entry per active (not cleared) alarm: its current CAP 1.2 message inline (content type application/cap+xml) and linked ' +
        '(link rel=alternate type=application/cap+xml). Sender BOX@cap.sender; drills are status Exercise.',
      responses: {
        '200': { description: 'an Atom 1.0 feed', content: { [ATOM_MEDIA_TYPE]: { schema: { type: 'string' } } } },
      },
    },
  },
  [`${CAP_ALERTS_PATH}/{box}/{alarmId}`]: {
    get: {
      access: 'viewer',
      operationId: 'getCapAlert',
      summary: 'One alarm\'s current CAP 1.2 message (an all-clear once cleared)',
      parameters: [hubPathParameter('box', 'the box id'), hubPathParameter('alarmId', 'the box\'s alarm id', { type: 'integer', minimum: 0 }), ...hubQueryParameters(capAlertQuerySchema)],
      responses: {
        '200': { description: 'a CAP 1.2 alert', content: { [CAP_MEDIA_TYPE]: { schema: { type: 'string' } } } },
        '400': hubErrorResponse('a bad box or alarm id; `error.param` names it'),
        '404': hubErrorResponse('no such alarm, or none of its transitions the hub holds is public'),
      },
    },
  },
};
