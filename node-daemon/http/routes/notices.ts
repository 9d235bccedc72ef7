import { Hono } from 'hono';
import type { Clock } from '../../core/types.js';
import type { Notice } from '../../sync/orders/notice-store.js';
import { errorResponse, jsonResponse, queryParameters, type PathsDoc } from '../openapi-doc.js';
import { NOTICES_DEFAULT_LIMIT, noticeListSchema, noticesQuerySchema, type NoticeList } from '../schemas/notices.js';
import { validateQuery } from '../validate-query.js';

/** Where the notices come from (sync/orders/notice-store.ts). */
export interface NoticeSource {
  list(opts: { readonly now?: number; readonly limit: number }): Notice[];
}

/** `GET /notices?state=current|all&limit=N`: the county's notices (docs/sync.md, "Downstream"), newest first. */
export function noticesRoutes(deps: { readonly notices: NoticeSource; readonly clock?: Clock }): Hono {
  const clock = deps.clock ?? Date.now;
  return new Hono().get('/notices', (c) => {
    const query = validateQuery(c.req.queries(), noticesQuerySchema);
    if (!query.ok) return c.json(query.error, 400);
    const state = query.data.state ?? 'current';
    const limit = query.data.limit ?? NOTICES_DEFAULT_LIMIT;
    const body: NoticeList = { state, notices: deps.notices.list({ limit, ...(state === 'current' ? { now: clock() } : {}) }) };
    return c.json(body, 200);
  });
}

export const noticesPaths: PathsDoc = {
  '/notices': {
    get: {
      operationId: 'listNotices',
      summary: 'The county\'s notices (通知), newest first',
      description:
        'Notices the county sent this box as signed orders (docs/sync.md, "Downstream"): each with its title and text, whether ' +
        'it was read out on the loudspeakers (`announce`) and shown on the LED boards (`led`), and until when it is shown.',
      parameters: queryParameters(noticesQuerySchema),
      responses: { '200': jsonResponse('the notices', noticeListSchema), '400': errorResponse('a query parameter is invalid; `error.param` names it') },
    },
  },
};
