import { atomFeed as sharedAtomFeed, type AtomFeedInput as SharedAtomFeedInput } from '../../node-daemon/alarms/cap/atom-feed.js';
import type { CapMessage } from './hub-alarm-cap.js';

/**
 * The hub's CAP feed as Atom 1.0: the box's feed builder (node-daemon/alarms/cap/atom-feed.ts, shared so the hub and
 * every box serve the same document) with the hub's generator name. Pure.
 */

export { ATOM_MEDIA_TYPE, ATOM_NAMESPACE, CAP_MEDIA_TYPE } from '../../node-daemon/alarms/cap/atom-feed.js';

export const HUB_GENERATOR = 'fenghuo hub';

export type AtomFeedInput = Omit<SharedAtomFeedInput<CapMessage>, 'generator'>;

export function atomFeed(input: AtomFeedInput): string {
  return sharedAtomFeed({ ...input, generator: HUB_GENERATOR });
}
