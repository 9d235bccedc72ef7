import { z } from 'zod';
import { alarmsSchema } from '../../alarms/rules/schema.js';
import { dispatchPlanSchema } from '../../dispatch/plan-schema.js';
import { apiSchemas } from '../api-registry.js';
import { errorBodySchema } from '../errors.js';

/**
 * Answers of the settings routes (routes/settings.ts). Free of Node: the web UI's contract (contract.ts) reads them.
 * The sections are settings-store.ts's SETTINGS_SECTIONS (that module needs the database); routes/settings.ts checks
 * that the two lists agree.
 */
export const SETTINGS_SECTION_NAMES = ['alarms', 'dispatch'] as const;

const overrideInfoSchema = z
  .strictObject({ updatedAt: z.int().describe('UTC ms'), by: z.string() })
  .nullable()
  .describe('when and by whom the section was last changed through the API; null: the config file\'s section is in effect');

export const settingsBodySchema = z
  .strictObject({
    alarms: alarmsSchema,
    dispatch: dispatchPlanSchema,
    overrides: z.strictObject({ alarms: overrideInfoSchema, dispatch: overrideInfoSchema }),
  })
  .register(apiSchemas, { id: 'Settings' });

export const settingsProblemSchema = z.strictObject({
  severity: z.enum(['error', 'warning']),
  path: z.string().describe('key path from the top of the config, e.g. alarms.sites[0].sensors[0]'),
  message: z.string(),
  messageZh: z.string().optional(),
  value: z.string().optional().describe('the offending value as sent'),
  expected: z.string().optional(),
});

export const settingsProblemsSchema = errorBodySchema
  .extend({ problems: z.array(settingsProblemSchema).describe('every problem found, each with its key path') })
  .register(apiSchemas, { id: 'SettingsProblems' });

export const settingsChangedSchema = z
  .strictObject({
    section: z.enum(SETTINGS_SECTION_NAMES),
    value: z.unknown().describe('the section as now in effect (defaults filled in)'),
    warnings: z.array(settingsProblemSchema),
    auditId: z.int(),
  })
  .register(apiSchemas, { id: 'SettingsChanged' });

export const auditListSchema = z
  .strictObject({
    entries: z.array(
      z.strictObject({
        id: z.int(),
        ts: z.int().describe('UTC ms'),
        by: z.string().describe('who: the signed-in user or `token:<id>` (without one, the `by` given, or "unknown")'),
        account: z
          .string()
          .optional()
          .describe('the account that made the change, from its sign-in or API token (user name or `token:<id>`); absent for changes made without one and for entries older than accounts'),
        section: z.string(),
        before: z.unknown().describe('the section as in effect before'),
        after: z.unknown().describe('the section as in effect after'),
      }),
    ),
    truncated: z.boolean().describe('more entries exist: ask again with before = the last id'),
  })
  .register(apiSchemas, { id: 'AuditLog' });
