import { join, resolve } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../../node-daemon/core/log.js';
import { packageRoot } from '../../../node-daemon/core/paths.js';
import { staticUi } from '../../../node-daemon/http/static-ui.js';

/** dist/hub-web of the package (built by `npm run build:hub-web`), or FENGHUO_HUB_WEB_DIR. */
export function defaultHubWebDir(): string {
  const fromEnv = process.env.FENGHUO_HUB_WEB_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(packageRoot(), 'dist', 'hub-web');
}

/**
 * The county's page (hub/web, built into dist/hub-web) at `/`, served as the box serves its UI (static-ui.ts):
 * hashed assets immutable, index.html revalidated, any other path outside /api/ answered with index.html so the
 * page's own routes survive a reload, its strict Content-Security-Policy. Never answers under /api/.
 */
export function hubWebRoutes(opts: { readonly dir?: string; readonly log?: Logger } = {}): MiddlewareHandler {
  return staticUi({ dir: opts.dir ?? defaultHubWebDir(), ...(opts.log === undefined ? {} : { log: opts.log }) });
}
