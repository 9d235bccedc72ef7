import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { isLoopbackAddress } from '../../../node-daemon/auth/rate-limit.js';
import type { HubStore } from '../../store/types.js';
import { BOXES_PATH, type HubEnv } from '../deps.js';
import { clientAddress, errorBody, type RefusalCounter } from '../refusals.js';

export interface BoxesDeps {
  readonly store: HubStore;
  readonly refusals: RefusalCounter;
  /** Hex SHA-256 of the bearer token that may read from anywhere; without it, loopback clients only. */
  readonly readTokenSha256?: string;
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * `GET /api/v1/boxes`: every box (revoked too) with its marks, latest health, last contact, and the refusal counters,
 * for the county's page (later). Who may read it, until the page brings accounts: with `readTokenSha256` in the hub
 * config, whoever sends `Authorization: Bearer <that token>` (401 otherwise); without it, clients on loopback only
 * (403 otherwise). Behind a reverse proxy on the same machine every client looks like loopback: set the token there.
 */
export function boxesRoutes(deps: BoxesDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  const wanted = deps.readTokenSha256 === undefined ? undefined : Buffer.from(deps.readTokenSha256.toLowerCase(), 'hex');
  app.get(BOXES_PATH, async (c) => {
    if (wanted !== undefined) {
      const token = bearer(c.req.header('authorization'));
      const got = token === undefined ? undefined : createHash('sha256').update(token, 'utf8').digest();
      if (got === undefined || !timingSafeEqual(got, wanted)) {
        c.header('WWW-Authenticate', 'Bearer');
        return c.json(errorBody('unauthenticated', 'GET /api/v1/boxes needs Authorization: Bearer <the hub\'s read token>'), 401);
      }
    } else {
      const address = clientAddress(c);
      if (address === undefined || !isLoopbackAddress(address)) {
        return c.json(errorBody('forbidden', 'GET /api/v1/boxes answers on loopback only (or set readTokenSha256 in the hub config)'), 403);
      }
    }
    return c.json({ boxes: await deps.store.listBoxes(), refused: deps.refusals.snapshot() }, 200);
  });
  return app;
}
