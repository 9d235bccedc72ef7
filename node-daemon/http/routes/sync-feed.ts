import { Hono } from 'hono';
import type { FeedPage, FeedQuery } from '../../sync/outbox/outbox-store.js';
import { authError, principalOf, type Principal } from '../auth-middleware.js';
import { errorResponse, jsonResponse, queryParameters, type PathsDoc } from '../openapi-doc.js';
import { FEED_DEFAULT_LIMIT, syncFeedQuerySchema, syncFeedResponseSchema, type SyncFeedResponse } from '../schemas/sync.js';
import { validateQuery } from '../validate-query.js';

/** What the pull feed reads (the outbox store is one). */
export interface SyncFeedSource {
  feed(q: FeedQuery): FeedPage;
}

/** The county sync's dependencies of the API: without them `GET /sync/feed` is absent (404). */
export interface SyncDeps {
  readonly feed: SyncFeedSource;
  /** This box's id at the hub (`resolveBoxId(config.sync?.boxId, hostname())`). */
  readonly boxId: string;
  /** The database's id (`databaseId(db)`). */
  readonly dbId: string;
  /** Config `sync.feedTokens`: the ids of the API tokens with the sync scope. */
  readonly feedTokens?: readonly string[];
}

/**
 * The sync scope. The feed carries every record the box keeps for the county, settings changes (`audit`) included,
 * which the API otherwise shows admins only; so beyond the viewer role the policy asks of any GET, a caller needs
 * the scope: a bearer token listed in `sync.feedTokens`, or the admin role. Without the auth layer (unit tests of
 * single routes) there is no principal and nothing is checked, as for every route.
 */
function maySync(p: Principal | undefined, feedTokens: ReadonlySet<string>): boolean {
  if (p === undefined) return true;
  if (p.role === 'admin') return true;
  return p.kind === 'token' && feedTokens.has(p.tokenId);
}

/** `GET /sync/feed?after=SEQ&limit=N[&lane=LANE]` (docs/sync.md, "Pull"). */
export function syncFeedRoutes(deps: SyncDeps): Hono {
  const feedTokens = new Set(deps.feedTokens ?? []);
  return new Hono().get('/sync/feed', (c) => {
    const p = principalOf(c);
    if (!maySync(p, feedTokens)) {
      return c.json(authError('forbidden', `the sync feed needs a token with the sync scope (config sync.feedTokens) or the admin role; ${p?.name ?? 'this caller'} has neither`), 403);
    }
    const query = validateQuery(c.req.queries(), syncFeedQuerySchema);
    if (!query.ok) return c.json(query.error, 400);
    const { after, limit, lane } = query.data;
    const page = deps.feed.feed({ after, limit: limit ?? FEED_DEFAULT_LIMIT, ...(lane === undefined ? {} : { lane }) });
    const body: SyncFeedResponse = { box: deps.boxId, dbId: deps.dbId, records: page.records as SyncFeedResponse['records'], next: page.next, more: page.more };
    return c.json(body, 200);
  });
}

export const syncFeedPaths: PathsDoc = {
  '/sync/feed': {
    get: {
      operationId: 'getSyncFeed',
      summary: 'The county sync\'s record feed, for a hub that pulls',
      description:
        'The records the box pushes to the county hub (docs/sync.md): alarm transitions, health snapshots, settings ' +
        'changes, recordings\' metadata and readings batches, in change-log order, readings always raw. Keep the answer\'s `next` and ask ' +
        'again with `after=next` while `more` is true: pages follow each other with no gap and no repeat (a gap in ' +
        '`seq` is a row retention pruned, or one of a kind the county does not get). A page may hold fewer than ' +
        '`limit` records when they are large (about 4 MB at most). Needs the sync scope: a bearer token listed in ' +
        'config sync.feedTokens, or the admin role.',
      parameters: queryParameters(syncFeedQuerySchema),
      responses: {
        '200': jsonResponse('a page of records', syncFeedResponseSchema),
        '400': errorResponse('a parameter is invalid; `error.param` names it'),
      },
    },
  },
};
