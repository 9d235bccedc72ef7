/**
 * Whether a store error means "the database is not there right now" (PostgreSQL down, restarting, refusing
 * connections; SQLite locked past its busy timeout) rather than a fault in the request or the hub. The hub answers
 * those 503 with Retry-After, which a box takes as "busy: wait and send the same again" instead of "server error:
 * back off and halve the batch". Pure.
 */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_LOCKED']);
/** PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, crash, cannot connect now). */
const SQLSTATE = /^(08...|57P0[1-4])$/;
const MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /the database system is (starting up|shutting down|in recovery mode)/i];

export function storeUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || SQLSTATE.test(code))) return true;
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && storeUnavailable(cause);
}
