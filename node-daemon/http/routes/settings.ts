import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { alarmsSchema } from '../../alarms/rules/schema.js';
import type { Config } from '../../config/schema.js';
import { dispatchPlanSchema } from '../../dispatch/plan-schema.js';
import type { SettingsProblem } from '../../settings/effective-config.js';
import type { OverrideInfo, SettingsUpdate } from '../../settings/settings-service.js';
import type { AuditEntry, AuditQuery, SETTINGS_SECTIONS, SettingsSection } from '../../settings/settings-store.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, queryParameters, type OperationDoc, type PathItemDoc } from '../openapi-doc.js';
import { auditListSchema, settingsBodySchema, settingsChangedSchema, settingsProblemsSchema, SETTINGS_SECTION_NAMES } from '../schemas/settings.js';
import { MAX_SETTINGS_BODY_CHARS } from '../validate-body.js';
import { validateQuery } from '../validate-query.js';
import { requestUser } from './request-user.js';

/** What the settings routes read and change; `SettingsService` is one. */
export interface SettingsSource {
  effective(): Config;
  overrides(): Record<SettingsSection, OverrideInfo | null>;
  update(section: SettingsSection, value: unknown, by: string, account?: string): Promise<SettingsUpdate>;
  audit(q: AuditQuery): AuditEntry[];
}

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1_000;
const UNKNOWN_USER = 'unknown';

const LIMIT_MESSAGE = `limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`;
const wholeFrom = (v: unknown): unknown => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v);

export const settingsQuerySchema = z.strictObject({
  by: z.string().trim().min(1).max(64).optional().describe('who makes the change, recorded in the audit log when the request is not from a signed-in user'),
});

export const auditQuerySchema = z.strictObject({
  limit: z
    .preprocess(wholeFrom, z.int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(MAX_AUDIT_LIMIT, { error: LIMIT_MESSAGE }))
    .optional()
    .describe(`most entries returned, newest first; default ${DEFAULT_AUDIT_LIMIT}`),
  section: z.string().min(1).max(64).optional().describe('only changes of this section (alarms, dispatch, ...)'),
  before: z
    .preprocess(wholeFrom, z.int({ error: 'before must be an audit entry id' }).min(1, { error: 'before must be an audit entry id' }))
    .optional()
    .describe('only entries older than this id (the next page: the last id of the previous one)'),
});

// The answers' schemas live in a module free of Node (the web UI's contract reads them); re-exported from here as before.
export { auditListSchema, settingsBodySchema, settingsChangedSchema, settingsProblemsSchema } from '../schemas/settings.js';

// That module cannot import the store's list of sections (it needs the database); the two lists must agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameSections: Same<typeof SETTINGS_SECTION_NAMES, typeof SETTINGS_SECTIONS> = true;
void sameSections;

function problemsBody(problems: readonly SettingsProblem[]): z.output<typeof settingsProblemsSchema> {
  const first = problems[0];
  const message =
    first === undefined
      ? 'the settings are invalid'
      : `${problems.length} problem${problems.length === 1 ? '' : 's'}; the first: ${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  return { ...errorBody('bad_request', message, first?.path === '' ? undefined : first?.path), problems: problems.map((p) => ({ ...p })) };
}

export function settingsRoutes(settings: SettingsSource): Hono {
  const put = (section: SettingsSection) => async (c: Context) => {
    const query = validateQuery(c.req.queries(), settingsQuerySchema);
    if (!query.ok) return c.json(query.error, 400);
    const text = await c.req.text();
    if (text.length > MAX_SETTINGS_BODY_CHARS) return c.json(errorBody('bad_request', `the body must be at most ${MAX_SETTINGS_BODY_CHARS} characters`), 400);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return c.json(errorBody('bad_request', `the body must be the ${section} section as a JSON object (Content-Type: application/json)`), 400);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return c.json(errorBody('bad_request', `the body must be the ${section} section as a JSON object`, section), 400);
    }
    const account = requestUser(c);
    const by = account ?? query.data.by ?? UNKNOWN_USER;
    const result = await settings.update(section, value, by, account);
    if (!result.ok) return c.json(problemsBody(result.problems), 400);
    return c.json({ section: result.section, value: result.value, warnings: result.warnings.map((w) => ({ ...w })), auditId: result.auditId }, 200);
  };

  return new Hono()
    .get('/settings', (c) => {
      const config = settings.effective();
      return c.json({ alarms: config.alarms, dispatch: config.dispatch, overrides: settings.overrides() }, 200);
    })
    .put('/settings/alarms', put('alarms'))
    .put('/settings/dispatch', put('dispatch'))
    .get('/audit', (c) => {
      const query = validateQuery(c.req.queries(), auditQuerySchema);
      if (!query.ok) return c.json(query.error, 400);
      const limit = query.data.limit ?? DEFAULT_AUDIT_LIMIT;
      const found = settings.audit({
        limit: limit + 1,
        ...(query.data.section === undefined ? {} : { section: query.data.section }),
        ...(query.data.before === undefined ? {} : { beforeId: query.data.before }),
      });
      return c.json({ entries: found.slice(0, limit), truncated: found.length > limit }, 200);
    });
}

/** A path item that may also document PUT (PathItemDoc has get/post only). */
export type PathItemWithPut = PathItemDoc & { readonly put?: OperationDoc };

const STORED =
  'The section is validated as part of the whole config, with the same schema and cross-checks as the config file ' +
  '(every problem is listed with its key path, as `fenghuo check-config` would). Accepted, it is stored in SQLite and ' +
  'wins over the config file\'s section at every start (an override the file no longer supports, say one naming a ' +
  'removed sensor, is logged and the file\'s section used), written to the audit log (who, when, before, after; ' +
  '`account` is the signed-in user or `token:<id>` that made the change) and ' +
  'applied at once.';

const putDoc = (section: SettingsSection, schema: z.ZodType, applied: string): OperationDoc => ({
  operationId: section === 'alarms' ? 'putAlarmSettings' : 'putDispatchSettings',
  summary: `Replace the ${section} section`,
  description: `The body has the shape of the config file's \`${section}\` section, as JSON. ${applied} ${STORED}`,
  parameters: queryParameters(settingsQuerySchema),
  requestBody: jsonRequestBody(schema),
  responses: {
    '200': jsonResponse('stored and applied', settingsChangedSchema),
    '400': jsonResponse('the section is invalid; `problems` lists every problem, `error.param` is the first one\'s key path', settingsProblemsSchema),
  },
});

export const settingsPaths: Readonly<Record<string, PathItemWithPut>> = {
  '/settings': {
    get: {
      operationId: 'getSettings',
      summary: 'The alarms and dispatch sections in effect, and whether each comes from the API or the config file',
      responses: { '200': jsonResponse('the settings in effect', settingsBodySchema) },
    },
  },
  '/settings/alarms': {
    put: putDoc('alarms', alarmsSchema, 'The alarm rules restart on the new sites; each site keeps its rule state (a site whose sensors, rate rule or rain gauge changed starts fresh).'),
  },
  '/settings/dispatch': {
    put: putDoc('dispatch', dispatchPlanSchema, 'The outputs are derived again at once: relays follow the new plan, a sounding alarm is spoken again with its new message.'),
  },
  '/audit': {
    get: {
      operationId: 'getAuditLog',
      summary: 'Every settings change: who, when, what (before and after)',
      description: 'Newest first.',
      parameters: queryParameters(auditQuerySchema),
      responses: { '200': jsonResponse('audit entries', auditListSchema), '400': errorResponse('a parameter is invalid; `error.param` names it') },
    },
  },
};
