import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { alarmToCap, type CapContext } from '../../alarms/cap/cap.js';
import { raiseCountyAlarm } from '../../alarms/county-alarm.js';
import { AlarmError, isAlarmError } from '../../alarms/store/alarm-errors.js';
import type { Actor, AlarmChange } from '../../alarms/store/alarm-requests.js';
import type { AlarmService } from '../../alarms/store/alarm-service.js';
import type { ShelvingConfig } from '../../alarms/rules/schema.js';
import type { AlarmLevel } from '../../alarms/types.js';
import type { Clock } from '../../core/types.js';
import {
  MAX_SHELVE_MINUTES,
  ackBodySchema,
  alarmChangeSchema,
  alarmIdParam,
  alarmListSchema,
  alarmsQuerySchema,
  alarmWithHistorySchema,
  clearBodySchema,
  countyAlarmBodySchema,
  DEFAULT_ALARM_LIMIT,
  manualAlarmBodySchema,
  shelveBodySchema,
  type AlarmChangeBody,
  type AlarmList,
} from '../alarm-schemas.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, pathParameter, queryParameters, type PathsDoc } from '../openapi-doc.js';
import { validateJsonBody } from '../validate-body.js';
import { validateQuery } from '../validate-query.js';
import { requestUser } from './request-user.js';
import { alarmWithIsoTimes } from '../iso-times.js';
import type { SmsDelivery } from '../../sms/sms-types.js';

export interface AlarmRouteDeps {
  readonly alarms: AlarmService;
  /** Who this box is and which area it covers, for `GET /alarms/:id/cap`; that route answers 404 without it. */
  readonly cap?: CapContext;
  readonly clock?: Clock;
  /** Default and longest shelving time (alarms.shelving as in effect now); without it 60 minutes, at most a day. */
  readonly shelving?: () => ShelvingConfig;
  /** The warning SMS of an alarm, added to `GET /alarms/:id` as `sms` (config `sms`). */
  readonly smsDeliveries?: (alarmId: number) => readonly SmsDelivery[];
}

/** A body that parsed but asks for something this box's settings do not allow (HTTP 400 naming the field). */
class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

const LEVEL_TEXT: Readonly<Record<AlarmLevel, string>> = { prepare: '准备转移', evacuate: '立即转移' };

/** Kinds an operator may clear by hand; flood and fault alarms clear when their rule sees the condition end. */
const OPERATOR_CLEARABLE = new Set(['manual', 'county']);

type Failure = { readonly status: 400 | 404 | 409; readonly body: ReturnType<typeof errorBody> };

function failure(err: unknown): Failure {
  if (!isAlarmError(err)) throw err;
  return err.code === 'not_found'
    ? { status: 404, body: errorBody('not_found', `${err.message}; GET /api/v1/alarms?state=all lists them`, 'id') }
    : { status: 409, body: errorBody('conflict', err.message, 'id') };
}

/**
 * Who makes a change: the account from the request's authentication (the signed-in user, or `token:<id>`; none
 * when the API runs without its auth layer) and, when the body gives one, whom it acts for (`by`). Nothing else.
 */
function actorOf(c: Context, by: string | undefined): Actor {
  const account = requestUser(c);
  return { ...(account === undefined ? {} : { account }), ...(by === undefined ? {} : { by }) };
}

function parseId(c: Context): { ok: true; id: number } | { ok: false; res: Response } {
  const parsed = alarmIdParam.safeParse(c.req.param('id'));
  if (parsed.success) return { ok: true, id: parsed.data };
  return { ok: false, res: c.json(errorBody('bad_request', parsed.error.issues[0]?.message ?? 'bad id', 'id'), 400) };
}

export function alarmsRoutes(deps: AlarmRouteDeps): Hono {
  const { alarms } = deps;
  const clock = deps.clock ?? Date.now;

  const changeBody = (change: AlarmChange): AlarmChangeBody => {
    const alarm = alarms.get(change.alarm.id);
    if (alarm === undefined) throw new Error(`alarm ${change.alarm.id} vanished after its change`);
    return { changed: change.changed, alarm: alarmWithIsoTimes(alarm) as AlarmChangeBody['alarm'] };
  };
  const created = (change: AlarmChange): 200 | 201 => (change.changed && change.transition.type === 'raised' ? 201 : 200);

  /** Parses the id and the JSON body, runs the step, maps refusals to 404/409. */
  const step =
    <S extends z.ZodType<{ by?: string | undefined }>>(schema: S, act: (id: number, body: z.output<S>, who: Actor) => AlarmChange) =>
    async (c: Context): Promise<Response> => {
      const id = parseId(c);
      if (!id.ok) return id.res;
      const body = validateJsonBody(await c.req.text(), schema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        return c.json(changeBody(act(id.id, body.data, actorOf(c, body.data.by))), 200);
      } catch (err) {
        if (err instanceof ParamError) return c.json(errorBody('bad_request', err.message, err.param), 400);
        const f = failure(err);
        return c.json(f.body, f.status);
      }
    };
  const shelveMs = (minutes: number | undefined): number => {
    const cfg = deps.shelving?.() ?? { defaultDurationMs: 60 * 60_000, maxDurationMs: MAX_SHELVE_MINUTES * 60_000 };
    const ms = minutes === undefined ? cfg.defaultDurationMs : minutes * 60_000;
    if (ms > cfg.maxDurationMs) throw new ParamError('minutes', `minutes must be at most ${Math.floor(cfg.maxDurationMs / 60_000)} on this box (alarms.shelving.maxDurationMs)`);
    return ms;
  };

  return new Hono()
    .get('/alarms', (c) => {
      const query = validateQuery(c.req.queries(), alarmsQuerySchema);
      if (!query.ok) return c.json(query.error, 400);
      const { from, to } = query.data;
      if (from !== undefined && to !== undefined && from > to) {
        return c.json(errorBody('bad_request', `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`, 'to'), 400);
      }
      const state = query.data.state ?? 'active';
      const limit = query.data.limit ?? DEFAULT_ALARM_LIMIT;
      const found = alarms.list({ state, limit: limit + 1, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
      const body: AlarmList = {
        state,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        truncated: found.length > limit,
        alarms: found.slice(0, limit).map((a) => alarmWithIsoTimes(a)) as AlarmList['alarms'],
      };
      return c.json(body, 200);
    })
    .post('/alarms', async (c) => {
      const body = validateJsonBody(await c.req.text(), manualAlarmBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      const b = body.data;
      const where = b.siteId ?? 'all';
      const change = alarms.raise({
        key: `${b.drill ? 'drill' : 'manual'}:${where}`,
        kind: 'manual',
        level: b.level,
        ...(b.siteId === undefined ? {} : { siteId: b.siteId }),
        drill: b.drill,
        title: b.title ?? `${b.drill ? '【演练】' : ''}${b.siteId ?? '全镇'} ${LEVEL_TEXT[b.level]}`,
        cause: { rule: 'manual' },
        ...actorOf(c, b.by),
        ...(b.message === undefined ? {} : { note: b.message }),
      });
      return c.json(changeBody(change), created(change));
    })
    .post('/alarms/county', async (c) => {
      const body = validateJsonBody(await c.req.text(), countyAlarmBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      const b = body.data;
      const change = raiseCountyAlarm(
        alarms,
        { alertId: b.id, level: b.level, title: b.title, issuedAt: b.issuedAt, ...(b.drill === undefined ? {} : { drill: b.drill }), ...(b.message === undefined ? {} : { message: b.message }) },
        actorOf(c, undefined),
      );
      return c.json(changeBody(change), created(change));
    })
    .get('/alarms/:id', (c) => {
      const id = parseId(c);
      if (!id.ok) return id.res;
      const alarm = alarms.get(id.id);
      if (alarm === undefined) return c.json(failure(notFound(id.id)).body, 404);
      const sms = deps.smsDeliveries?.(alarm.id);
      return c.json({ ...(alarmWithIsoTimes(alarm) as AlarmChangeBody['alarm']), ...(sms === undefined ? {} : { sms: [...sms] }) }, 200);
    })
    .get('/alarms/:id/cap', (c) => {
      const id = parseId(c);
      if (!id.ok) return id.res;
      if (deps.cap === undefined) return c.json(errorBody('not_found', 'CAP output is not configured on this box (sender code, sender and area)'), 404);
      const alarm = alarms.get(id.id);
      if (alarm === undefined) return c.json(failure(notFound(id.id)).body, 404);
      return c.body(alarmToCap(alarm, deps.cap), 200, { 'Content-Type': 'application/xml; charset=utf-8' });
    })
    .post(
      '/alarms/:id/ack',
      step(ackBodySchema, (id, b, who) => alarms.acknowledge(id, who, b.note)),
    )
    .post(
      '/alarms/:id/shelve',
      step(shelveBodySchema, (id, b, who) => alarms.shelve(id, who, clock() + shelveMs(b.minutes), b.note)),
    )
    .post(
      '/alarms/:id/unshelve',
      step(clearBodySchema, (id, b, who) => alarms.unshelve(id, who, b.note)),
    )
    .post(
      '/alarms/:id/clear',
      step(clearBodySchema, (id, b, who) => {
        const alarm = alarms.get(id);
        if (alarm !== undefined && !OPERATOR_CLEARABLE.has(alarm.kind)) {
          throw conflict(id, `alarm ${id} is a ${alarm.kind} alarm; it clears when its rule sees the condition end`);
        }
        const change = alarms.clear({ id }, { rule: 'operator' }, { ...who, ...(b.note === undefined ? {} : { note: b.note }) });
        if (change === null) throw notFound(id);
        return change;
      }),
    );
}

function notFound(id: number): AlarmError {
  return new AlarmError('not_found', `no alarm ${id}`, id);
}

function conflict(id: number, message: string): AlarmError {
  return new AlarmError('invalid_transition', message, id);
}

const idParameter = pathParameter('id', alarmIdParam);

/** Said of every operator step: who is recorded, and what `by` is now. */
const WHO =
  'The transition records `account`: the signed-in user\'s name, or `token:<id>` for an API token, taken from the ' +
  'request\'s authentication and never from the body. `by` is optional: on behalf of whom (free text), stored as given ' +
  'beside the account; leave it out when acting for yourself.';
const refusals = {
  '400': errorResponse('a parameter or body field is invalid; `error.param` names it'),
  '404': errorResponse('no alarm has this id'),
  '409': errorResponse('the alarm is in a state that does not allow this (e.g. already acknowledged or cleared)'),
};

export const alarmsPaths: PathsDoc = {
  '/alarms': {
    get: {
      operationId: 'listAlarms',
      summary: 'Alarms, newest first: the ones not cleared (default) or all',
      description: '`from` and `to` bound `raisedAt` and accept UTC milliseconds or ISO 8601 with a UTC offset.',
      parameters: queryParameters(alarmsQuerySchema),
      responses: { '200': jsonResponse('the alarms, without their history', alarmListSchema), '400': refusals['400'] },
    },
    post: {
      operationId: 'raiseManualAlarm',
      summary: 'Raise an alarm by hand, or a drill (演练)',
      description:
        'One manual alarm per site (and one drill per site) at a time: posting a higher level escalates it, a lower one ' +
        'de-escalates it, the same level changes nothing. 201 when a new alarm was raised, 200 otherwise. ' +
        WHO,
      requestBody: jsonRequestBody(manualAlarmBodySchema),
      responses: {
        '201': jsonResponse('a new alarm', alarmChangeSchema),
        '200': jsonResponse('the open alarm, escalated, de-escalated or unchanged', alarmChangeSchema),
        '400': refusals['400'],
      },
    },
  },
  '/alarms/county': {
    post: {
      operationId: 'raiseCountyAlarm',
      summary: 'An alarm issued by the county hub',
      description:
        'Keyed by the county alert id: posting the same id again changes nothing (even after the alarm was cleared), ' +
        'except that a new level escalates or de-escalates the open alarm. The transition records the posting token as ' +
        '`account` (`token:<id>`).',
      requestBody: jsonRequestBody(countyAlarmBodySchema),
      responses: {
        '201': jsonResponse('a new alarm', alarmChangeSchema),
        '200': jsonResponse('the alarm this id already raised', alarmChangeSchema),
        '400': refusals['400'],
      },
    },
  },
  '/alarms/{id}': {
    get: {
      operationId: 'getAlarm',
      summary: 'One alarm with its history of transitions',
      parameters: [idParameter],
      responses: { '200': jsonResponse('the alarm', alarmWithHistorySchema), '400': refusals['400'], '404': refusals['404'] },
    },
  },
  '/alarms/{id}/cap': {
    get: {
      operationId: 'getAlarmCap',
      summary: 'The alarm as an OASIS CAP 1.2 message (GB/T 35965.1 profile)',
      description: 'The message of its newest public transition: raised → Alert, escalated/de-escalated → Update, cleared → Cancel. Drills are status Exercise.',
      parameters: [idParameter],
      responses: {
        '200': { description: 'CAP 1.2 XML', content: { 'application/xml': { schema: { type: 'string' } } } },
        '400': refusals['400'],
        '404': errorResponse('no alarm has this id, or CAP output is not configured'),
      },
    },
  },
  '/alarms/{id}/ack': {
    post: {
      operationId: 'acknowledgeAlarm',
      summary: 'Acknowledge an active alarm',
      description:
        'Only an active alarm can be acknowledged. If it later escalates it becomes active again. The alarm shows ' +
        '`acknowledgedByAccount` (who) and `acknowledgedBy` (on behalf of whom, when `by` was given). ' +
        WHO,
      parameters: [idParameter],
      requestBody: jsonRequestBody(ackBodySchema),
      responses: { '200': jsonResponse('the acknowledged alarm', alarmChangeSchema), ...refusals },
    },
  },
  '/alarms/{id}/shelve': {
    post: {
      operationId: 'shelveAlarm',
      summary: 'Silence a sensor or output fault alarm for a while',
      description: `Only fault and output_fault alarms can be shelved; flood alarms are acknowledged instead. Shelving again moves the end. ${WHO}`,
      parameters: [idParameter],
      requestBody: jsonRequestBody(shelveBodySchema),
      responses: { '200': jsonResponse('the shelved alarm', alarmChangeSchema), ...refusals },
    },
  },
  '/alarms/{id}/unshelve': {
    post: {
      operationId: 'unshelveAlarm',
      summary: 'End a shelve early',
      description: WHO,
      parameters: [idParameter],
      requestBody: jsonRequestBody(clearBodySchema),
      responses: { '200': jsonResponse('the alarm', alarmChangeSchema), ...refusals },
    },
  },
  '/alarms/{id}/clear': {
    post: {
      operationId: 'clearAlarm',
      summary: 'Clear (解除) a manual alarm, a drill or a county alarm',
      description: `Flood and fault alarms cannot be cleared by hand: they clear when their rule sees the condition end. ${WHO}`,
      parameters: [idParameter],
      requestBody: jsonRequestBody(clearBodySchema),
      responses: { '200': jsonResponse('the cleared alarm', alarmChangeSchema), ...refusals },
    },
  },
};
