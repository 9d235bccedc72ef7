import { FEED_LANES, type FeedLane } from '../../node-daemon/sync/outbox/lanes.js';
import { ingestBodySchema } from '../http/ingest-schema.js';
import type { HubStore, IngestLane } from '../store/types.js';
import type { FeedAnswer } from './feed-client.js';
import type { PullTarget } from './pull-config.js';
import { PullError } from './pull-error.js';

export interface RoundDeps {
  readonly store: HubStore;
  readonly target: PullTarget;
  readonly fetchPage: (after: number, lane: FeedLane) => Promise<FeedAnswer>;
  /** Renews the lease; false when this process no longer holds the box (then the round stops, storing nothing more). */
  readonly stillHolder: () => Promise<boolean>;
  /**
   * Pages with records per round at most, so one box with a long backlog does not keep its slot for ever. Empty pages
   * (a lane caught up) do not count: every round then gets past the caught-up lanes to the one with a backlog.
   */
  readonly maxPages: number;
}

export interface RoundOutcome {
  /** Pages with records. */
  readonly pages: number;
  readonly stored: number;
  readonly duplicates: number;
  /** The page cap stopped the round with more to read: the next round comes at once. */
  readonly more: boolean;
}

/** Rewinds allowed in one round (a new database resets the marks once; more means they keep moving under us). */
const MAX_CONFLICTS = 3;

function checkedLane(box: string, dbId: string, lane: FeedLane, after: number, records: readonly unknown[]): IngestLane {
  const parsed = ingestBodySchema.safeParse({ box, dbId, lanes: [{ lane, after, records }] });
  const first = parsed.success ? parsed.data.lanes[0] : undefined;
  if (first === undefined) {
    const issue = parsed.error?.issues[0];
    throw new PullError('bad_answer', `a ${lane} record is malformed${issue === undefined ? '' : ` at records.${issue.path.slice(3).join('.')}: ${issue.message}`}`);
  }
  return first;
}

/**
 * One round for one box: per lane in priority order (alarm, health, readings), pages of the box's feed after the
 * hub's mark for that lane, each stored through `store.ingest` exactly as a push would be (same rule: idempotent on
 * box, dbId, seq and kind; marks never backwards), with the dbId the feed names. So push and pull may both run for
 * a box: each only fills what the other has not. Throws PullError (or a fetch error) on the first failure; what was
 * stored before it stays stored.
 */
export async function pullRound(deps: RoundDeps): Promise<RoundOutcome> {
  const { store, target } = deps;
  let pages = 0;
  let stored = 0;
  let duplicates = 0;
  let conflicts = 0;
  let marks = await store.laneMarks(target.box);
  if (marks === undefined) throw new PullError('unknown_box', `box ${target.box} is not enrolled at this hub (fenghuo hub enrol-code, then fenghuo enroll on the box)`);
  for (const lane of FEED_LANES) {
    let after = marks[lane];
    for (;;) {
      if (pages >= deps.maxPages) return { pages, stored, duplicates, more: true };
      if (!(await deps.stillHolder())) throw new PullError('lease_lost', 'another hub process holds this box now');
      const page = await deps.fetchPage(after, lane);
      if (page.box !== target.box) throw new PullError('box_mismatch', `the box at ${target.url} is ${JSON.stringify(page.box)}, not ${target.box}`);
      if (page.records.length === 0) break;
      pages += 1;
      const result = await store.ingest(target.box, [checkedLane(target.box, page.dbId, lane, after, page.records)], page.dbId);
      switch (result.status) {
        case 'stored':
          stored += result.stored;
          duplicates += result.duplicates;
          after = Math.max(page.next, result.acked[lane]);
          break;
        case 'conflict':
          // The hub's mark is below `after`: a new database reset the marks, or the hub was restored. Read from the mark.
          stored += result.stored;
          conflicts += 1;
          if (conflicts > MAX_CONFLICTS) throw new PullError('conflicts', `the ${lane} mark moved ${conflicts} times in one round`);
          marks = result.acked;
          after = result.acked[lane];
          continue;
        case 'unknown_box':
          throw new PullError('unknown_box', `box ${target.box} is not enrolled at this hub`);
        case 'revoked':
          throw new PullError('revoked', `box ${target.box} is revoked at this hub`);
        case 'stale_database':
          throw new PullError('stale_database', `the box answers with database ${result.dbId}, which it used before its current ${result.current}`);
      }
      if (!page.more) break;
    }
  }
  return { pages, stored, duplicates, more: false };
}
