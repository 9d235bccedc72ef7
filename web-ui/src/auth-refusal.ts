/**
 * What a refused login tells the person at the login page. Pure: unit-tested in auth-refusal.test.ts.
 * The daemon puts `triesLeft` (401, 429) and `retryAfterMs` (429, and a 401 whose failure started a wait) in its error
 * object (the contract's `AuthErrorBody`); a 429 without `retryAfterMs` still has the Retry-After header (seconds).
 */
import type { AuthErrorBody } from './api.js';

export interface LoginRefusal {
  /** The name or password was wrong (401); false: refused unchecked, too many failures (429). */
  readonly bad: boolean;
  readonly triesLeft?: number;
  /** Whole seconds before the next attempt is checked. */
  readonly waitS?: number;
}

/** A field of the answer's error object, checked at run time: the body is whatever came over the wire. */
function field(body: unknown, name: 'triesLeft' | 'retryAfterMs'): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const err = (body as Partial<Record<keyof AuthErrorBody, unknown>>).error;
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && isFinite(v) && v >= 0 ? v : undefined;
}

/** undefined for an answer that is neither a wrong password (401) nor too many tries (429). */
export function loginRefusal(status: number, body: unknown, retryAfterS: number | undefined): LoginRefusal | undefined {
  const ms = count(field(body, 'retryAfterMs'));
  if (status === 429) {
    const seconds = ms !== undefined ? Math.ceil(ms / 1000) : retryAfterS !== undefined ? retryAfterS : 60;
    return { bad: false, waitS: Math.max(1, seconds) };
  }
  if (status === 401) {
    const left = count(field(body, 'triesLeft'));
    return {
      bad: true,
      ...(left === undefined ? {} : { triesLeft: Math.floor(left) }),
      ...(ms !== undefined && ms > 0 ? { waitS: Math.ceil(ms / 1000) } : {}),
    };
  }
  return undefined;
}
