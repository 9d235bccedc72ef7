/**
 * Whether a readings batch goes raw or as 15-minute aggregates (docs/sync.md, lane `readings`): aggregates when every
 * reading of the batch is older than a day AND the lane is behind. A box catching up after a long outage then sends
 * the shape of the old days first, cheaply, and keeps the link for what is recent; the raw batch follows later in
 * the `bulk` lane (the "debt"). A batch that is recent, or a lane that keeps up, always goes raw. Pure.
 */
import { DAY_MS } from '../../storage/retention.js';

export type ReadingsForm = 'readings' | 'aggregates';

export interface ReadingsFormOptions {
  /** A batch whose newest reading is at least this old may be folded. Default one day. */
  readonly olderThanMs?: number;
  /** The lane is behind when more records than this wait in it. Default 500. */
  readonly behindRecords?: number;
}

export const DEFAULT_AGGREGATE_AFTER_MS = DAY_MS;
export const DEFAULT_BEHIND_RECORDS = 500;

export interface ReadingsFormInput {
  /** The newest reading time of the batch; undefined when none of its readings is left (nothing to fold). */
  readonly newestReadingTs: number | undefined;
  readonly now: number;
  /** Records waiting in the readings lane (after its cursor), this one included. */
  readonly pendingRecords: number;
}

export function isLaneBehind(pendingRecords: number, opts: ReadingsFormOptions = {}): boolean {
  return pendingRecords > (opts.behindRecords ?? DEFAULT_BEHIND_RECORDS);
}

export function readingsForm(input: ReadingsFormInput, opts: ReadingsFormOptions = {}): ReadingsForm {
  if (input.newestReadingTs === undefined) return 'readings';
  const old = input.now - input.newestReadingTs >= (opts.olderThanMs ?? DEFAULT_AGGREGATE_AFTER_MS);
  return old && isLaneBehind(input.pendingRecords, opts) ? 'aggregates' : 'readings';
}
