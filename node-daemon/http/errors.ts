import { z } from 'zod';
import { apiSchemas } from './api-registry.js';

/** `payload_too_large`: HTTP 413, a request body over its route's limit (see validate-body.ts), refused unread. */
export const ERROR_CODES = ['bad_request', 'not_found', 'conflict', 'payload_too_large', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The codes of the auth layer (auth-middleware.ts, routes/auth.ts): 401, 403 and 429 answers. */
export const AUTH_ERROR_CODES = ['unauthenticated', 'forbidden', 'csrf', 'rate_limited', 'setup_code'] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** The API's error shape with the codes of the auth layer. */
export const authErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(AUTH_ERROR_CODES),
      message: z.string(),
      triesLeft: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('after a failed login, bearer token or setup code: how many more may fail before each further one makes this client wait'),
      retryAfterMs: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('how long this client must wait before its next attempt is checked (429; also a failure that started a wait)'),
    }),
  })
  .register(apiSchemas, { id: 'AuthError' });

export type AuthErrorBody = z.infer<typeof authErrorBodySchema>;

/** The one error shape of the API: a stable machine code, the offending parameter if any, and a sentence for people. */
export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES),
      param: z.string().optional().describe('the query, path or body parameter at fault'),
      message: z.string(),
    }),
  })
  .register(apiSchemas, { id: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(code: ErrorCode, message: string, param?: string): ErrorBody {
  return { error: { code, ...(param === undefined ? {} : { param }), message } };
}
