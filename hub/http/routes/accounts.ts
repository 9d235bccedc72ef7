import { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../../../node-daemon/core/log.js';
import { newPasswordSchema, userNameSchema } from '../../../node-daemon/http/routes/auth.js';
import { validateJsonBody } from '../../../node-daemon/http/validate-body.js';
import { AccountExistsError, type Account, type AccountStore } from '../../accounts/account-store.js';
import { HUB_ROLES } from '../../accounts/roles.js';
import { accountListSchema, accountSchema, type AccountBody, type AccountChangeBody, type AccountList, type NewAccountBody } from '../../accounts/schemas.js';
import type { HubAccess } from '../access.js';
import { API_PREFIX, type HubEnv } from '../deps.js';
import { hubErrorResponse, hubJsonRequestBody, hubJsonResponse, hubPathParameter, type HubPathsDoc } from '../openapi/registry.js';
import { errorBody } from '../refusals.js';
import { isJsonRequest } from './auth.js';

export const ACCOUNTS_PATH = `${API_PREFIX}/accounts`;

// The box's rules for names and new passwords (node-daemon/http/routes/auth.ts), so a county account and a box
// account are made the same way.
const newAccountSchema = z.strictObject({ name: userNameSchema, password: newPasswordSchema, role: z.enum(HUB_ROLES) });
const changeSchema = z
  .strictObject({ role: z.enum(HUB_ROLES).optional(), disabled: z.boolean().optional(), password: newPasswordSchema.optional() })
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, { error: 'give role, disabled or password' });

type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const newMatches: Identical<z.input<typeof newAccountSchema>, NewAccountBody> = true;
const changeMatches: Identical<z.input<typeof changeSchema>, AccountChangeBody> = true;
void newMatches;
void changeMatches;

const body = (a: Account): AccountBody => ({ name: a.name, role: a.role, createdAt: a.createdAt, updatedAt: a.updatedAt, disabledAt: a.disabledAt });

export interface AccountsRoutesDeps {
  readonly accounts: AccountStore;
  readonly access: HubAccess;
  readonly log: Logger;
}

/**
 * The county's accounts, for admins: `GET /api/v1/accounts`, `POST /api/v1/accounts` {name, password, role} (201;
 * 409 when the name is taken, in any case), `PATCH /api/v1/accounts/{name}` {role?, disabled?, password?} (a new
 * password, a disabling or a new role ends the account's other sessions; 409 last_admin when it would leave no
 * enabled admin). Accounts are disabled, never deleted: the orders they issued keep naming them.
 */
export function accountsRoutes(deps: AccountsRoutesDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const admin = deps.access.require('admin');
  const NOT_JSON = errorBody('bad_request', 'send the body as JSON (Content-Type: application/json)');

  app.get(ACCOUNTS_PATH, admin, async (c) => {
    const answer: AccountList = { accounts: (await deps.accounts.list()).map(body) };
    return c.json(answer, 200);
  });

  app.post(ACCOUNTS_PATH, admin, async (c) => {
    if (!isJsonRequest(c)) return c.json(NOT_JSON, 400);
    const parsed = validateJsonBody(await c.req.text(), newAccountSchema);
    if (!parsed.ok) return c.json(parsed.error, 400);
    try {
      const made = await deps.accounts.create(parsed.data.name, parsed.data.password, parsed.data.role);
      deps.log.info({ event: 'hub.accounts.created', account: made.name, role: made.role, by: c.var.actor.name }, 'hub account created');
      return c.json(body(made), 201);
    } catch (err) {
      if (err instanceof AccountExistsError) return c.json(errorBody('conflict', `an account named ${parsed.data.name} exists already`, 'name'), 409);
      throw err;
    }
  });

  app.patch(`${ACCOUNTS_PATH}/:name`, admin, async (c) => {
    if (!isJsonRequest(c)) return c.json(NOT_JSON, 400);
    const parsed = validateJsonBody(await c.req.text(), changeSchema);
    if (!parsed.ok) return c.json(parsed.error, 400);
    const name = c.req.param('name');
    const result = await deps.accounts.change(name, parsed.data, c.var.actor.session?.idHash);
    if (result.status === 'not_found') return c.json(errorBody('not_found', `no account ${name}`), 404);
    if (result.status === 'last_admin') return c.json(errorBody('last_admin', 'this would leave the hub without an enabled admin; make another admin first'), 409);
    const { password, ...logged } = parsed.data;
    deps.log.info(
      { event: 'hub.accounts.changed', account: result.account.name, ...logged, ...(password === undefined ? {} : { password: 'changed' }), by: c.var.actor.name },
      'hub account changed',
    );
    return c.json(body(result.account), 200);
  });

  return app;
}

export const accountsPaths: HubPathsDoc = {
  [ACCOUNTS_PATH]: {
    get: { access: 'admin', operationId: 'listHubAccounts', summary: 'The county\'s accounts', responses: { '200': hubJsonResponse('every account, disabled ones too', accountListSchema) } },
    post: {
      access: 'admin',
      operationId: 'createHubAccount',
      summary: 'Make an account (the box\'s rules for names and passwords)',
      requestBody: hubJsonRequestBody(newAccountSchema),
      responses: {
        '201': hubJsonResponse('made', accountSchema),
        '400': hubErrorResponse('a bad name, role, or a short or common password; `error.param` names it'),
        '409': hubErrorResponse('the name is taken (names compare regardless of case)'),
      },
    },
  },
  [`${ACCOUNTS_PATH}/{name}`]: {
    patch: {
      access: 'admin',
      operationId: 'changeHubAccount',
      summary: 'Change an account\'s role, disable or enable it, or set its password',
      description: 'A new password, a disabling or a new role ends the account\'s sessions (but the caller\'s own).',
      parameters: [hubPathParameter('name', 'the account name (any case)')],
      requestBody: hubJsonRequestBody(changeSchema),
      responses: {
        '200': hubJsonResponse('changed', accountSchema),
        '404': hubErrorResponse('no such account'),
        '409': hubErrorResponse('last_admin: the change would leave no enabled admin'),
      },
    },
  },
};
