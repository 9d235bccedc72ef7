import type { FeedLane } from '../../node-daemon/sync/outbox/lanes.js';
import type { PullTarget } from './pull-config.js';
import { PullError } from './pull-error.js';

/** One page of the box's `GET /api/v1/sync/feed` answer (docs/sync.md "Pull"); records are checked by the round. */
export interface FeedAnswer {
  readonly box: string;
  readonly dbId: string;
  readonly records: readonly unknown[];
  readonly next: number;
  readonly more: boolean;
}

export const FEED_PATH = '/api/v1/sync/feed';

function isFeedAnswer(v: unknown): v is FeedAnswer {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o['box'] === 'string' && typeof o['dbId'] === 'string' && Array.isArray(o['records']) && Number.isSafeInteger(o['next']) && typeof o['more'] === 'boolean';
}

/** Reads one page of one lane after `after`, with the target's bearer token, within its timeout. */
export async function fetchFeedPage(target: PullTarget, after: number, lane: FeedLane, signal?: AbortSignal): Promise<FeedAnswer> {
  if (target.token === undefined) throw new PullError('no_token', `pull target ${target.box} has no token (its tokenFile was not read)`);
  const url = `${target.url}${FEED_PATH}?after=${after}&limit=${target.limit}&lane=${lane}`;
  const timeout = AbortSignal.timeout(target.timeoutMs);
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
    signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
  });
  const text = await res.text();
  if (res.status !== 200) {
    let said = '';
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      said = [body.error?.code, body.error?.message].filter((x) => typeof x === 'string').join(': ');
    } catch {
      said = text.slice(0, 200);
    }
    throw new PullError(`http_${res.status}`, `GET ${FEED_PATH} answered ${res.status}${said === '' ? '' : ` (${said})`}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PullError('bad_answer', `GET ${FEED_PATH} answered 200 with a body that is not JSON`);
  }
  if (!isFeedAnswer(body)) throw new PullError('bad_answer', `GET ${FEED_PATH} answered 200 without box, dbId, records, next and more`);
  return body;
}
