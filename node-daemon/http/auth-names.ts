/**
 * The names the auth layer puts on the wire. Kept apart from auth-middleware.ts (which needs Node's crypto through the
 * session store) so that the API's schemas, and through them the web UI's contract, can name them without Node.
 */
export const SESSION_COOKIE = 'fenghuo_session';
export const CSRF_HEADER = 'X-CSRF-Token';
