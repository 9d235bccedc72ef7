import type { Observable } from 'rxjs';
import type { Logger } from '../../core/log.js';
import type { Clock } from '../../core/types.js';
import type { BudgetLimits } from '../outbox/budget.js';
import type { OutboxStore } from '../outbox/outbox-store.js';
import type { HubExchangeOptions } from './signed-exchange.js';

/**
 * What an upload to the county hub (camera pictures, backups) is given besides its own: the enrolment and the
 * transport (HubExchangeOptions), the push loop's link, backlog and budget it shares, and its timings.
 */
export interface BulkUploaderOptions extends Omit<HubExchangeOptions, 'clock' | 'outbox'> {
  readonly log: Logger;
  readonly outbox: Pick<OutboxStore, 'backlog' | 'budget' | 'saveBudget'>;
  readonly budget: BudgetLimits;
  /** The push loop's link state (`up`, `backoff`, `down`, `over_budget`, …): the upload goes only while it is `up`. */
  readonly linkState: () => string;
  /** An alarm committed: the request in flight is aborted for the push loop. */
  readonly alarm$?: Observable<unknown>;
  readonly clock?: Clock;
  readonly maxBackoffMs?: number;
  /** For tests: the first backoff, the polls, the jitter (and HubExchangeOptions' transport). */
  readonly minBackoffMs?: number;
  readonly gatePollMs?: number;
  readonly idlePollMs?: number;
  readonly random?: () => number;
}
