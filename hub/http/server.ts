import type { Logger } from '../../node-daemon/core/log.js';
import { HttpServer } from '../../node-daemon/http/http-server.js';
import type { ListenAddress } from '../../node-daemon/config/listen.js';
import { CONTENT_PATH, ENROL_BODY_LIMIT, INGEST_PATH, type HubLimits } from './deps.js';
import { ORDER_BODY_LIMIT, ORDERS_ISSUE_PATH } from './routes/orders.js';
import { BACKUP_CHUNK_LIMIT, BACKUP_MANIFEST_LIMIT, BACKUPS_SYNC_PATH } from '../../node-daemon/sync/protocol/backup-wire.js';
import { imagesTransportLimit } from '../images/transport-limit.js';

/**
 * The transport's body limit per request: a backstop under the app's own (exact, signed) 413. The app refuses a body
 * over `maxBodyBytes` with a signed answer; only a body more than twice that is cut off by the server before the app
 * sees it (an unsigned 413 with `Connection: close`: http-server.ts), so that no request is ever held in memory
 * unbounded.
 */
export function hubTransportLimit(limits: HubLimits): (method: string, target: string) => number {
  return (method, target) => {
    const path = target.split(/[?#]/)[0] ?? '';
    if (method.toUpperCase() === 'POST' && path === INGEST_PATH) return 2 * limits.maxBodyBytes;
    // A content upload streams to disk, never held in memory; the app refuses what is over the limit itself.
    if (method.toUpperCase() === 'POST' && path === CONTENT_PATH) return limits.maxContentBytes + 1;
    // An order request (a settings section, a manifest): the app refuses over ORDER_BODY_LIMIT itself.
    if (method.toUpperCase() === 'POST' && path === ORDERS_ISSUE_PATH) return 2 * ORDER_BODY_LIMIT;
    // A backup's manifest or chunk (hub/backups): the app refuses over its limits itself, signed.
    if (method.toUpperCase() === 'PUT' && path.startsWith(`${BACKUPS_SYNC_PATH}/`)) return path.endsWith('/file') ? 2 * BACKUP_CHUNK_LIMIT : 2 * BACKUP_MANIFEST_LIMIT;
    // A picture announcement or full-image chunk (hub/images): likewise refused over its limits by the app, signed.
    const picture = imagesTransportLimit(method, path);
    if (picture !== undefined) return picture;
    return 2 * ENROL_BODY_LIMIT;
  };
}

/** The hub's HTTP server (the box's HttpServer: graceful stop, per-route body limits). */
export function hubServer(opts: {
  readonly app: { fetch(request: Request, env?: unknown): Response | Promise<Response> };
  readonly listen: string | ListenAddress;
  readonly log: Logger;
  readonly limits: HubLimits;
}): HttpServer {
  return new HttpServer({ app: opts.app, listen: opts.listen, log: opts.log, bodyLimit: hubTransportLimit(opts.limits) });
}
