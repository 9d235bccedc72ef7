import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { systemClock, type Clock } from '../../core/types.js';
import type { Bootstrap } from '../contract.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { bootstrapSchema } from '../schemas/bootstrap.js';

// The answer's schema lives in a module free of Node (the web UI's contract reads it); re-exported from here.
export { bootstrapSchema } from '../schemas/bootstrap.js';

/**
 * Asks the app itself for one of its GET routes (path relative to the API prefix, with its query), as the request
 * being answered would: same sign-in, same socket. Must not ask for a compressed answer.
 */
export type InnerGet = (c: Context, path: string) => Promise<Response>;

/** The parts, in the order the UI used to fetch them; each is its own route's answer. */
const PARTS = {
  auth: '/auth/state',
  system: '/system',
  health: '/health',
  sites: '/sites',
  activeAlarms: '/alarms?state=active&limit=200',
  outputs: '/outputs',
} as const;

/**
 * `GET /bootstrap`: what the web UI's first screen needs (the session, the box, health, the sites with their last
 * readings, the open alarms, the outputs) in one request instead of a chain of six: over a slow link every request
 * costs a round trip. Each part is answered by its own route through `get` (so each keeps its contract, its access
 * rule and its code), all at once; a route the box does not serve (404) gives null, any other failure fails the whole.
 */
export function bootstrapRoutes(get: InnerGet, clock: Clock = systemClock): Hono {
  return new Hono().get('/bootstrap', async (c) => {
    const part = async (path: string): Promise<unknown> => {
      const res = await get(c, path);
      if (res.status === 404 && path !== PARTS.auth && path !== PARTS.health) return null;
      if (res.status !== 200) {
        // 401/403 come from the same sign-in as this request: pass them on as they are.
        if (res.status === 401 || res.status === 403) throw new HTTPException(res.status, { res: new Response(res.body, res) });
        throw new Error(`GET ${path} answered ${res.status} inside /bootstrap: ${(await res.text()).slice(0, 200)}`);
      }
      return res.json();
    };
    const [auth, system, health, sites, activeAlarms, outputs] = await Promise.all([
      part(PARTS.auth),
      part(PARTS.system),
      part(PARTS.health),
      part(PARTS.sites),
      part(PARTS.activeAlarms),
      part(PARTS.outputs),
    ]);
    // Each part is what its route answered (its schema checked there, in the tests); typed here by the contract.
    const body = { ts: clock(), auth, system, health, sites, activeAlarms, outputs } as Bootstrap;
    return c.json(body, 200);
  });
}

export const bootstrapPaths: PathsDoc = {
  '/bootstrap': {
    get: {
      operationId: 'getBootstrap',
      summary: 'The web UI\'s first screen in one request: session, system, health, sites, open alarms, outputs',
      description:
        'Each part is exactly the answer of its own route, all taken at once: `auth` of GET /auth/state, `system` of ' +
        'GET /system, `health` of GET /health, `sites` of GET /sites, `activeAlarms` of GET /alarms?state=active&limit=200, ' +
        '`outputs` of GET /outputs. A part whose route this box does not serve is null. The UI reads it on load and ' +
        'after every (re)connect of GET /events, then keeps up through the event stream.',
      responses: { '200': jsonResponse('the first screen\'s data', bootstrapSchema) },
    },
  },
};
