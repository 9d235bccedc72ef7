import { z } from 'zod';
import { ALARM_KINDS, ALARM_LEVELS, ALARM_STATES, TRANSITION_TYPES, type Alarm, type AlarmWithHistory } from '../alarms/types.js';
import { ID_PATTERN, ID_RULE } from '../config/fields.js';
import { apiSchemas } from './api-registry.js';
import { timeParam } from './time-param.js';
import { smsDeliverySchema } from './schemas/sms.js';

/** Shapes of the alarm API's requests and responses (validation and the OpenAPI document). */

export const DEFAULT_ALARM_LIMIT = 100;
export const MAX_ALARM_LIMIT = 1_000;
export const MAX_SHELVE_MINUTES = 1_440;

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_ALARM_LIMIT}`;
const ID_MESSAGE = 'id must be an alarm id, a whole number from 1';

export const alarmIdParam = z
  .string()
  .regex(/^[1-9]\d{0,14}$/, { error: ID_MESSAGE })
  .transform(Number)
  .describe('alarm id');

export const alarmsQuerySchema = z.strictObject({
  state: z
    .enum(['active', 'all'], { error: 'state must be active or all' })
    .optional()
    .describe('`active` (default): alarms not cleared, acknowledged ones included; `all`: cleared ones too'),
  from: timeParam('from').optional().describe('only alarms raised at or after this time'),
  to: timeParam('to').optional().describe('only alarms raised before this time'),
  limit: z
    .preprocess((v) => (typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v), z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(MAX_ALARM_LIMIT, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most alarms returned, newest first; default ${DEFAULT_ALARM_LIMIT}, at most ${MAX_ALARM_LIMIT}`),
});

/** Before accounts were recorded `by` named the operator and was required; it is now only "on behalf of". */
const onBehalfOf = z
  .string({ error: 'by must be text: on behalf of whom' })
  .trim()
  .min(1, { error: 'by must not be blank; leave it out when acting for yourself' })
  .max(64, { error: 'by must be at most 64 characters' })
  .optional()
  .describe(
    'optional, on behalf of whom (free text, e.g. 县长), recorded as given beside the signed-in account; leave it out when ' +
      'acting for yourself. The account itself always comes from the sign-in or API token, never from the body.',
  );
const account = z
  .string()
  .describe('the account that did this: the signed-in user\'s name, or `token:<id>` for an API token; absent for the rules\' own transitions and for records older than accounts');
const note = z.string({ error: 'note must be text' }).max(500, { error: 'note must be at most 500 characters' }).optional();
const level = z.enum(ALARM_LEVELS, { error: `level must be ${ALARM_LEVELS.join(' or ')}` });
const title = z.string({ error: 'title must be text' }).trim().min(1, { error: 'title must not be empty' }).max(100, { error: 'title must be at most 100 characters' });
const message = z.string({ error: 'message must be text' }).max(2_000, { error: 'message must be at most 2000 characters' });

export const ackBodySchema = z.strictObject({ by: onBehalfOf, note });

export const clearBodySchema = z.strictObject({ by: onBehalfOf, note });

export const shelveBodySchema = z.strictObject({
  by: onBehalfOf,
  minutes: z
    .int({ error: `minutes must be a whole number from 1 to ${MAX_SHELVE_MINUTES}` })
    .min(1, { error: `minutes must be a whole number from 1 to ${MAX_SHELVE_MINUTES}` })
    .max(MAX_SHELVE_MINUTES, { error: `minutes must be a whole number from 1 to ${MAX_SHELVE_MINUTES}` })
    .optional()
    .describe('how long the fault stays silenced; default alarms.shelving.defaultDurationMs, at most alarms.shelving.maxDurationMs'),
  note,
});

export const manualAlarmBodySchema = z.strictObject({
  level,
  siteId: z.string({ error: 'siteId must be text' }).regex(ID_PATTERN, { error: `siteId: ${ID_RULE}` }).optional(),
  title: title.optional().describe('default: site (or 全镇) and the level, e.g. 「全镇 立即转移」'),
  message: message.optional().describe('read out / shown with the alarm; also the CAP description'),
  drill: z.boolean({ error: 'drill must be true or false' }).describe('true for a 演练: marked as such in every output and record'),
  by: onBehalfOf,
});

export const countyAlarmBodySchema = z.strictObject({
  id: z
    .string({ error: 'id must be the county alert id' })
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'id must be 1-128 letters, digits, "_", ".", ":" or "-"' })
    .describe("the county hub's alert id; posting the same id again changes nothing unless the level changed"),
  level,
  title,
  message: message.optional(),
  drill: z.boolean({ error: 'drill must be true or false' }).optional(),
  issuedAt: timeParam('issuedAt').describe('when the county issued it: UTC ms or ISO 8601 with an offset'),
});

const cause = z.strictObject({
  rule: z.string().optional(),
  sensorId: z.string().optional(),
  readingTs: z.int().optional(),
  value: z.number().nullable().optional(),
  detail: z.string().optional(),
});

export const alarmTransitionSchema = z
  .strictObject({
    id: z.int(),
    alarmId: z.int(),
    ts: z.int().describe('UTC ms'),
    iso: z.string().describe('the same instant, ISO 8601 UTC'),
    type: z.enum(TRANSITION_TYPES),
    level: level.nullable().describe('the level after the transition; null for faults'),
    by: z.string().optional().describe('on behalf of whom, as the operator gave it (`by` of the request); absent when none was given. `button:<input>` for the alarm button'),
    account: account.optional(),
    note: z.string().optional(),
    cause,
  })
  .register(apiSchemas, { id: 'AlarmTransition' });

const alarmShape = {
  id: z.int(),
  key: z.string().describe('what makes two raises the same alarm, e.g. `flood:site-a`'),
  kind: z.enum(ALARM_KINDS),
  siteId: z.string().optional(),
  sensorId: z.string().optional(),
  level: level.nullable().describe('null for faults'),
  drill: z.boolean(),
  state: z.enum(ALARM_STATES),
  title: z.string(),
  raisedAt: z.int(),
  raisedAtIso: z.string().describe('the same instant, ISO 8601 UTC'),
  updatedAt: z.int(),
  updatedAtIso: z.string().describe('the same instant, ISO 8601 UTC'),
  acknowledgedAt: z.int().optional(),
  acknowledgedAtIso: z.string().describe('the same instant, ISO 8601 UTC').optional(),
  acknowledgedBy: z.string().optional().describe('on behalf of whom it was acknowledged (the `by` given); absent when none was given'),
  acknowledgedByAccount: account.optional().describe('the account that acknowledged it: the signed-in user\'s name, or `token:<id>`; absent on records older than accounts'),
  ackNote: z.string().optional(),
  clearedAt: z.int().optional(),
  clearedAtIso: z.string().describe('the same instant, ISO 8601 UTC').optional(),
  shelvedUntil: z.int().optional().describe('a shelved fault drives no output until this UTC ms'),
  shelvedUntilIso: z.string().describe('the same instant, ISO 8601 UTC').optional(),
};

export const alarmSchema = z.strictObject(alarmShape).register(apiSchemas, { id: 'Alarm' });

export const alarmWithHistorySchema = z
  .strictObject({
    ...alarmShape,
    transitions: z.array(alarmTransitionSchema).describe('oldest first'),
    sms: z
      .array(smsDeliverySchema)
      .optional()
      .describe('GET /alarms/{id} with config sms: the warning SMS of the alarm, one per recipient and transition, oldest first'),
  })
  .register(apiSchemas, { id: 'AlarmWithHistory' });

export const alarmListSchema = z
  .strictObject({
    state: z.enum(['active', 'all']),
    from: z.int().optional(),
    to: z.int().optional(),
    truncated: z.boolean().describe('true when `limit` cut the list short'),
    alarms: z.array(alarmSchema).describe('newest first'),
  })
  .register(apiSchemas, { id: 'AlarmList' });

export const alarmChangeSchema = z
  .strictObject({
    changed: z.boolean().describe('false when the request changed nothing (e.g. the same county alert again)'),
    alarm: alarmWithHistorySchema,
  })
  .register(apiSchemas, { id: 'AlarmChange' });

export type AlarmList = z.infer<typeof alarmListSchema>;
export type AlarmChangeBody = z.infer<typeof alarmChangeSchema>;

// The documented shapes must stay the shapes the store produces: these fail to compile if the contract drifts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** The ISO copies the routes add (http/iso-times.ts). */
interface AlarmIsoCopies {
  raisedAtIso: string;
  updatedAtIso: string;
  acknowledgedAtIso?: string;
  clearedAtIso?: string;
  shelvedUntilIso?: string;
}
const alarmMatches: Same<z.infer<typeof alarmSchema>, Mutable<Alarm> & AlarmIsoCopies> = true;
const historyMatches: Same<z.infer<typeof alarmTransitionSchema>, Mutable<AlarmWithHistory['transitions'][number]> & { iso: string }> = true;
void alarmMatches;
void historyMatches;
