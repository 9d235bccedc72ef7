import { Hono } from 'hono';
import type { HealthSource } from '../health-source.js';
import { jsonResponse, type PathsDoc } from '../openapi-doc.js';
import { healthSchema } from '../schemas.js';

/**
 * Health answers 200 whether the site is `ok` or `degraded`: the status code says the daemon is serving, the body
 * says how the site is. A 503 on a dead sensor would make proxies and monitors treat the box as unreachable, hiding
 * the web UI exactly when operators need it during a flood. Monitors should alert on `status` in the body.
 */
export function healthRoutes(health: Pick<HealthSource, 'snapshot'>): Hono {
  return new Hono().get('/health', (c) => c.json(health.snapshot(), 200));
}

export const healthPaths: PathsDoc = {
  '/health': {
    get: {
      operationId: 'getHealth',
      summary: 'Health of the buses, sensors, storage and disk',
      description:
        'Always 200 while the daemon serves; `status` is `degraded` when a bus is down, a critical sensor is not good ' +
        'or storage writes fail. Alert on the body, not the status code.',
      responses: { '200': jsonResponse('the health snapshot', healthSchema) },
    },
  },
};
