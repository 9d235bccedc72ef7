import { Hono } from 'hono';
import type { HubStore } from '../../store/types.js';
import type { HubAccess } from '../access.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import type { RefusalCounter } from '../refusals.js';

export interface BoxesDeps {
  readonly store: HubStore;
  readonly refusals: RefusalCounter;
  readonly access: HubAccess;
}

/**
 * `GET /api/v1/boxes`: every box (revoked too) with its marks, latest health, last contact, and the refusal counters,
 * for the county's page. Viewers and up (access.ts: with no token configured, loopback clients only; behind a reverse
 * proxy on the same machine every client looks like loopback: set a token there).
 */
export function boxesRoutes(deps: BoxesDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.get(BOXES_PATH, deps.access.require('viewer'), async (c) =>
    c.json({ boxes: await deps.store.listBoxes(), refused: deps.refusals.snapshot() }, 200),
  );
  return app;
}
