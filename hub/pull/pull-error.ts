/**
 * Why a pull round failed, as logged and shown in the box's pull status: `unreachable` (connect, reset, timeout),
 * `http_<status>` (the box answered an error: 401/403 a wrong token or one not in sync.feedTokens), `bad_answer` (not
 * the feed's shape), `box_mismatch` (the box at the URL has another id), `unknown_box` / `revoked` (at this hub),
 * `stale_database` (the box answers with a database it used before), `conflicts` (the marks kept moving), `lease_lost`.
 */
export class PullError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PullError';
  }
}

/** A failure as one line for the status (no token: none is ever in a message). */
export function describePullError(err: unknown): string {
  if (err instanceof PullError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return `unreachable: ${err.name === 'TimeoutError' ? 'timed out' : err.message}${detail === undefined ? '' : ` (${detail})`}`;
  }
  return `unreachable: ${String(err)}`;
}
