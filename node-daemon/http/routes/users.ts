import { Hono } from 'hono';
import { z } from 'zod';
import type { Auth } from '../../auth/auth.js';
import { ROLES } from '../../auth/roles.js';
import { UserExistsError, type User } from '../../auth/users.js';
import { principalOf, type AuthEnv } from '../auth-middleware.js';
import type { NewUserBody, PasswordBody } from '../contract.js';
import { errorBody } from '../errors.js';
import { errorResponse, jsonRequestBody, jsonResponse, pathParameter, type OperationDoc, type PathItemDoc } from '../openapi-doc.js';
import { userCreatedSchema, userListSchema, userSchema } from '../schemas/users.js';
import { validateJsonBody } from '../validate-body.js';
import { newPasswordSchema, userNameSchema } from './auth.js';

const newUserBodySchema = z.strictObject({ name: userNameSchema, password: newPasswordSchema, role: z.enum(ROLES) });
const passwordBodySchema = z.strictObject({ password: newPasswordSchema });

// The answers' schemas live in a module free of Node (the web UI's contract reads them); re-exported from here as before.
export { userCreatedSchema, userListSchema, userSchema } from '../schemas/users.js';

// The bodies need the password rules (Node's crypto comes with them), so the contract spells them out; these keep it honest.
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const newUserBodyMatches: Identical<z.input<typeof newUserBodySchema>, NewUserBody> = true;
const passwordBodyMatches: Identical<z.input<typeof passwordBodySchema>, PasswordBody> = true;
void newUserBodyMatches;
void passwordBodyMatches;

function userBody(u: User): z.infer<typeof userSchema> {
  return { name: u.name, role: u.role, createdAt: u.createdAt, updatedAt: u.updatedAt };
}

/** Account management (admin only, by the default policy). */
export function usersRoutes(auth: Auth): Hono<AuthEnv> {
  const { users, sessions, log } = auth;
  const notFound = (name: string): ReturnType<typeof errorBody> => errorBody('not_found', `no user ${name}; GET /api/v1/users lists them`, 'name');

  return new Hono<AuthEnv>()
    .get('/users', (c) => c.json({ users: users.list().map(userBody) }, 200))
    .post('/users', async (c) => {
      const body = validateJsonBody(await c.req.text(), newUserBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      try {
        const user = await users.create(body.data);
        log.info({ event: 'auth.user_created', user: user.name, role: user.role, by: principalOf(c)?.name }, 'user created');
        return c.json({ user: userBody(user) }, 201);
      } catch (err) {
        if (err instanceof UserExistsError) return c.json(errorBody('conflict', err.message, 'name'), 409);
        throw err;
      }
    })
    .delete('/users/:name', (c) => {
      const name = c.req.param('name');
      const result = users.delete(name);
      if (result === 'not_found') return c.json(notFound(name), 404);
      if (result === 'last_admin') return c.json(errorBody('conflict', `${name} is the last admin; make another admin first`, 'name'), 409);
      log.info({ event: 'auth.user_deleted', user: name, by: principalOf(c)?.name }, 'user deleted');
      return c.body(null, 204);
    })
    .post('/users/:name/password', async (c) => {
      const name = c.req.param('name');
      const body = validateJsonBody(await c.req.text(), passwordBodySchema);
      if (!body.ok) return c.json(body.error, 400);
      const user = await users.setPassword(name, body.data.password);
      if (user === undefined) return c.json(notFound(name), 404);
      // Whoever knew the old password is signed out everywhere; the admin making the change stays signed in.
      const p = principalOf(c);
      const ended = sessions.deleteForUser(user.name, p?.kind === 'session' ? p.session.idHash : undefined);
      log.info({ event: 'auth.password_changed', user: user.name, by: p?.name, sessionsEnded: ended }, 'password changed');
      return c.body(null, 204);
    });
}

const nameParam = pathParameter('name', z.string().describe('user name'));

export const usersPaths: Readonly<Record<string, PathItemDoc & { readonly delete?: OperationDoc }>> = {
  '/users': {
    get: {
      operationId: 'listUsers',
      summary: 'Every account and its role',
      responses: { '200': jsonResponse('the accounts', userListSchema) },
    },
    post: {
      operationId: 'createUser',
      summary: 'Create an account',
      requestBody: jsonRequestBody(newUserBodySchema),
      responses: {
        '201': jsonResponse('the new account', userCreatedSchema),
        '400': errorResponse('a bad name, role, or a password under 8 characters'),
        '409': errorResponse('the name is taken (names compare regardless of case)'),
      },
    },
  },
  '/users/{name}': {
    delete: {
      operationId: 'deleteUser',
      summary: 'Delete an account; its sessions end',
      parameters: [nameParam],
      responses: {
        '204': { description: 'deleted' },
        '404': errorResponse('no such user'),
        '409': errorResponse('the last admin cannot be deleted'),
      },
    },
  },
  '/users/{name}/password': {
    post: {
      operationId: 'setUserPassword',
      summary: "Set an account's password; the account's other sessions end",
      parameters: [nameParam],
      requestBody: jsonRequestBody(passwordBodySchema),
      responses: { '204': { description: 'changed' }, '400': errorResponse('a password under 8 characters'), '404': errorResponse('no such user') },
    },
  },
};
