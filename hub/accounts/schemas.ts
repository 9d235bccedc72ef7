import { z } from 'zod';
import { HUB_ROLES } from './roles.js';

/**
 * The answers of /api/v1/auth/* and /api/v1/accounts. Free of Node, so the hub page (hub/web) takes its types from
 * here (import type) and a renamed field fails its type check. The request bodies' schemas carry the box's password
 * rules (Node's crypto comes with them) and live with the routes, which check that they match the types below.
 */

export const accountSummarySchema = z.strictObject({ name: z.string(), role: z.enum(HUB_ROLES) });

export const sessionStateSchema = z.strictObject({
  account: accountSummarySchema.optional().describe('who this request is signed in as (a bearer token shows as token:<name>)'),
  csrfToken: z.string().optional().describe('send it as X-CSRF-Token with every change made on this session'),
  noAccounts: z.literal(true).optional().describe('present while the hub has no account: the first admin is made with `fenghuo hub account add NAME --role admin`'),
});

export const signedInSchema = z.strictObject({ account: accountSummarySchema, csrfToken: z.string() });

export const accountSchema = z.strictObject({
  name: z.string(),
  role: z.enum(HUB_ROLES),
  createdAt: z.number().describe('UTC ms'),
  updatedAt: z.number().describe('UTC ms'),
  disabledAt: z.number().nullable().describe('UTC ms; null while the account may sign in'),
});

export const accountListSchema = z.strictObject({ accounts: z.array(accountSchema) });

export type AccountSummary = z.infer<typeof accountSummarySchema>;
export type SessionState = z.infer<typeof sessionStateSchema>;
export type SignedIn = z.infer<typeof signedInSchema>;
export type AccountBody = z.infer<typeof accountSchema>;
export type AccountList = z.infer<typeof accountListSchema>;

export type HubRoleName = (typeof HUB_ROLES)[number];

/** POST /api/v1/auth/login. */
export interface LoginBody {
  name: string;
  password: string;
}
/** POST /api/v1/accounts. */
export interface NewAccountBody {
  name: string;
  password: string;
  role: HubRoleName;
}
/** PATCH /api/v1/accounts/{name}: any of the three. */
export interface AccountChangeBody {
  role?: HubRoleName | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
}
