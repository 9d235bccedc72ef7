import { z } from 'zod';
import { errorBody } from './errors.js';
import type { Validated } from './validate-query.js';

/** Operator requests are a few fields; anything bigger is a mistake or an attack. */
export const MAX_BODY_CHARS = 16_384;

/** A whole alarms section with many sites (`PUT /settings/alarms|dispatch`) is bigger than an operator request; still bounded. */
export const MAX_SETTINGS_BODY_CHARS = 262_144;

/**
 * The largest request body, in bytes, of each class of route. The HTTP server (http-server.ts) enforces it while the
 * body streams in, before the app sees the request: a Content-Length over it is answered 413 without reading, a
 * chunked body is counted and cut off with 413 the moment it goes over. UTF-8 takes at most 3 bytes per UTF-16 unit,
 * so these never refuse a body that the routes' own character limits would take.
 */
export const BODY_LIMITS = {
  /** Every API route: JSON of a few fields (MAX_BODY_CHARS characters at most). */
  api: 64 * 1024,
  /** PUT /api/v1/settings/*: a whole alarms or dispatch section (routes/settings.ts takes 262,144 characters). */
  settings: 1024 * 1024,
  /** Outside /api/ only the web UI's files are served (GET and HEAD): no request there has a body. */
  other: 0,
} as const;

/**
 * The body limit of a request, from its method and request target as the client sent it (percent-escapes decoded,
 * query cut off). A target that cannot be read falls in the strictest class.
 */
export function bodyLimitFor(method: string, target: string): number {
  let path = target;
  const query = path.search(/[?#]/);
  if (query >= 0) path = path.slice(0, query);
  if (!path.startsWith('/')) {
    // The absolute form (`POST http://box/api/v1/...`).
    try {
      path = new URL(path).pathname;
    } catch {
      return BODY_LIMITS.other;
    }
  }
  try {
    path = decodeURI(path);
  } catch {
    return BODY_LIMITS.other;
  }
  if (path !== '/api' && !path.startsWith('/api/')) return BODY_LIMITS.other;
  if (method.toUpperCase() === 'PUT' && path.startsWith('/api/v1/settings/')) return BODY_LIMITS.settings;
  return BODY_LIMITS.api;
}

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
