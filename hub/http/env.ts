import type { HubRole } from '../accounts/roles.js';
import type { HubSession } from '../accounts/session-store.js';
import type { Box } from '../store/types.js';

/** Who is calling a county-facing route. */
export interface HubActor {
  /** An account name, or `token:<name>` for a bearer token, or `loopback`. */
  readonly name: string;
  readonly role: HubRole;
  /** Set when the request came with a signed-in account's session cookie (hub page). */
  readonly session?: HubSession;
}

/** What the ingest chain learns on the way (Hono context variables). */
export interface HubVariables {
  /** The body as received (before decompression). */
  body: Uint8Array;
  /** The box that signed the request (verified, not revoked). */
  box: Box;
  /** The body decompressed. */
  text: string;
  /** Who is calling a county-facing route (set by HubAccess.require). */
  actor: HubActor;
}

export interface HubEnv {
  Variables: HubVariables;
}
