import { z } from 'zod';
import { errorBody } from './errors.js';
import type { Validated } from './validate-query.js';

/** Operator requests are a few fields; anything bigger is a mistake or an attack. */
export const MAX_BODY_CHARS = 16_384;

/**
 * Parses a request body as JSON and checks it against a zod object schema. The first problem is reported as a
 * `bad_request` error body naming its field (`param`).
 */
export function validateJsonBody<S extends z.ZodType>(text: string, schema: S): Validated<z.output<S>> {
  if (text.length > MAX_BODY_CHARS) return { ok: false, error: errorBody('bad_request', `the body must be at most ${MAX_BODY_CHARS} characters`) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: errorBody('bad_request', 'the body must be a JSON object (Content-Type: application/json)') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: errorBody('bad_request', 'the body must be a JSON object') };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue === undefined) return { ok: false, error: errorBody('bad_request', 'invalid body') };
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const known = schema instanceof z.ZodObject ? `; known fields: ${Object.keys(schema.shape).join(', ')}` : '';
    return { ok: false, error: errorBody('bad_request', `unknown field ${key}${known}`, key) };
  }
  const param = issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const missing = issue.code === 'invalid_type' && param !== undefined && (value as Record<string, unknown>)[String(issue.path[0])] === undefined;
  return { ok: false, error: errorBody('bad_request', missing ? `${param} is required: ${issue.message}` : issue.message, param) };
}
