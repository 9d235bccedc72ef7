import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';
import { apiSchemas } from '../api-registry.js';
import { CSRF_HEADER } from '../auth-names.js';

/** Answers of the auth routes (routes/auth.ts). Free of Node: the web UI's contract (contract.ts) reads them. */

export const userSummarySchema = z.strictObject({ name: z.string(), role: z.enum(ROLES) }).register(apiSchemas, { id: 'UserSummary' });

export const authStateSchema = z
  .strictObject({
    setupRequired: z.boolean().describe('true until the first account (an admin) is made with POST /auth/setup'),
    setupCodeRequired: z
      .literal(true)
      .optional()
      .describe('present (true) while setup is needed and this client is not on the box itself: POST /auth/setup must carry setupCode'),
    user: userSummarySchema.optional().describe('who this request is signed in as (a token shows as token:<id>)'),
    csrfToken: z.string().optional().describe(`send it as ${CSRF_HEADER} with every change made on a cookie session`),
  })
  .register(apiSchemas, { id: 'AuthState' });

export const signedInSchema = z.strictObject({ user: userSummarySchema, csrfToken: z.string() }).register(apiSchemas, { id: 'SignedIn' });
