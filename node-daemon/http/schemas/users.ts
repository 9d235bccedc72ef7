import { z } from 'zod';
import { ROLES } from '../../auth/roles.js';
import { apiSchemas } from '../api-registry.js';

/** Answers of the account routes (routes/users.ts). Free of Node: the web UI's contract (contract.ts) reads them. */

const utcMs = z.number().int().describe('UTC milliseconds');

export const userSchema = z
  .strictObject({ name: z.string(), role: z.enum(ROLES), createdAt: utcMs, updatedAt: utcMs.describe('last change of role or password') })
  .register(apiSchemas, { id: 'User' });

export const userListSchema = z.strictObject({ users: z.array(userSchema) }).register(apiSchemas, { id: 'UserList' });

/** `POST /users` (201): the new account. */
export const userCreatedSchema = z.strictObject({ user: userSchema });
