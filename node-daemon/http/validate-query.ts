import { z } from 'zod';
import { errorBody, type ErrorBody } from './errors.js';

export type Validated<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly error: ErrorBody };

/**
 * Checks a request's query (as Hono's `c.req.queries()` gives it: every value of every key) against a zod object
 * schema. A repeated parameter is refused rather than silently taking one of its values. The first problem is
 * reported, naming its parameter, as a `bad_request` error body.
 */
export function validateQuery<S extends z.ZodType>(queries: Readonly<Record<string, readonly string[]>>, schema: S): Validated<z.output<S>> {
  const single: Record<string, string> = {};
  for (const [key, values] of Object.entries(queries)) {
    if (values.length > 1) return { ok: false, error: errorBody('bad_request', `${key} is given ${values.length} times; give it once`, key) };
    if (values[0] !== undefined) single[key] = values[0];
  }
  const parsed = schema.safeParse(single);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue === undefined) return { ok: false, error: errorBody('bad_request', 'invalid query') };
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = schema instanceof z.ZodObject ? `; known parameters: ${Object.keys(schema.shape).join(', ')}` : '';
    return { ok: false, error: errorBody('bad_request', `unknown parameter ${key}${known}`, key) };
  }
  const param = issue.path.length > 0 ? String(issue.path[0]) : undefined;
  return { ok: false, error: errorBody('bad_request', issue.message, param) };
}
