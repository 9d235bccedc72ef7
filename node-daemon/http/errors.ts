import { z } from 'zod';
import { apiSchemas } from './api-registry.js';

/** `payload_too_large`: HTTP 413, a request body over its route's limit (see validate-body.ts), refused unread. */
export const ERROR_CODES = ['bad_request', 'not_found', 'conflict', 'payload_too_large', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

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
