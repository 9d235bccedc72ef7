import { Hono } from 'hono';
import { ATOM_MEDIA_TYPE, atomFeed, capFeedEntry, feedUpdated, type CapFeedEntry } from '../../alarms/cap/atom-feed.js';
import { alarmToCap, type CapContext } from '../../alarms/cap/cap.js';
import type { AlarmService } from '../../alarms/store/alarm-service.js';
import { systemClock, type Clock } from '../../core/types.js';
import { API_PREFIX } from '../api-prefix.js';
import { errorBody } from '../errors.js';
import { errorResponse, type PathsDoc } from '../openapi-doc.js';

/** Relative to the API prefix, as the route files register their paths. */
export const CAP_FEED_ROUTE = '/cap/feed';

/** The same words as `GET /alarms/:id/cap` without `site.cap`: one 404 for "this box has no CAP output". */
export const CAP_NOT_CONFIGURED = 'CAP output is not configured on this box (sender code, sender and area)';

export interface CapFeedDeps {
  readonly alarms: Pick<AlarmService, 'active' | 'get'>;
  /** Config `site.cap` with the time zone (compose.ts `capContext`); without it the feed answers 404. */
  readonly cap?: CapContext;
  readonly clock?: Clock;
}

/** The transitions CAP speaks of (cap.ts); an alarm with none of them has no message. */
const PUBLIC_TYPES: ReadonlySet<string> = new Set(['raised', 'escalated', 'deescalated', 'cleared']);

type BoxCapEntry = CapFeedEntry & { readonly alarmId: number };

/**
 * `GET /api/v1/cap/feed`: the box's alarms not yet cleared as CAP 1.2 messages in an Atom 1.0 feed, the same
 * document the county hub serves (node-daemon/alarms/cap/atom-feed.ts builds both), each entry linking to the box's
 * own `GET /api/v1/alarms/{id}/cap`. Drills are status Exercise. Links use the origin the client asked.
 */
export function capFeedRoutes(deps: CapFeedDeps): Hono {
  const clock = deps.clock ?? systemClock;
  return new Hono().get(CAP_FEED_ROUTE, (c) => {
    const cap = deps.cap;
    if (cap === undefined) return c.json(errorBody('not_found', CAP_NOT_CONFIGURED), 404);
    const entries: BoxCapEntry[] = [];
    for (const active of deps.alarms.active()) {
      const alarm = deps.alarms.get(active.id);
      // Cleared between the two reads, or (never from the store) without a public transition: nothing to say in CAP.
      if (alarm === undefined || alarm.state === 'cleared' || !alarm.transitions.some((t) => PUBLIC_TYPES.has(t.type))) continue;
      entries.push({ alarmId: alarm.id, ...capFeedEntry(alarmToCap(alarm, cap), alarm.drill) });
    }
    const origin = new URL(c.req.url).origin;
    const name = cap.senderName ?? cap.sender;
    const xml = atomFeed({
      selfUrl: `${origin}${API_PREFIX}${CAP_FEED_ROUTE}`,
      title: `${name} 山洪灾害预警（CAP）`,
      authorName: name,
      updated: feedUpdated(entries, clock()),
      generator: 'fenghuo',
      entries,
      alertUrl: (m) => `${origin}${API_PREFIX}/alarms/${m.alarmId}/cap`,
    });
    return c.body(xml, 200, { 'Content-Type': `${ATOM_MEDIA_TYPE}; charset=utf-8` });
  });
}

export const capFeedPaths: PathsDoc = {
  [CAP_FEED_ROUTE]: {
    get: {
      operationId: 'getCapFeed',
      summary: 'The alarms not yet cleared as CAP 1.2 messages in an Atom 1.0 feed (the county hub\'s feed format)',
      description:
        'One entry per active or acknowledged alarm: its current CAP 1.2 message inline (content type application/cap+xml) and linked ' +
        '(link rel=alternate to GET /alarms/{id}/cap). Drills are status Exercise. Needs config site.cap.',
      responses: {
        '200': { description: 'an Atom 1.0 feed', content: { [ATOM_MEDIA_TYPE]: { schema: { type: 'string' } } } },
        '404': errorResponse('CAP output is not configured on this box (site.cap)'),
      },
    },
  },
};
