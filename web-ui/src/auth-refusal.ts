/**
 * What a refused login tells the person at the login page. Pure: unit-tested in auth-refusal.test.ts.
 * The daemon puts `triesLeft` (401, 429) and `retryAfterMs` (429, and a 401 whose failure started a wait) in its error
 * object; read beside it too. A 429 without `retryAfterMs` still has the Retry-After header (seconds).
 */
export interface LoginRefusal {
  /** The name or password was wrong (401); false: refused unchecked, too many failures (429). */
  readonly bad: boolean;
  readonly triesLeft?: number;
  /** Whole seconds before the next attempt is checked. */
  readonly waitS?: number;
}

function field(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const err = b.error;
  if (typeof err === 'object' && err !== null && name in err) return (err as Record<string, unknown>)[name];
  return b[name];
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
