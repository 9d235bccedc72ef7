// Issue 12, "impaired link, for real": the county hub and a township box as real processes in the two network
// namespaces of bench/support/netns-link.ts (the process and namespace helpers live in bench/support/ns-sync.ts,
// shared with the goodput bench); here only what the tests add: the test API token in the box's config and on its
// API calls. The box's data dir is filled beforehand by the sync tests' fixture (outbox-fixture.ts, the real writers).
import type { NetnsLink } from '../../bench/support/netns-link.js';
import * as ns from '../../bench/support/ns-sync.js';
import { TEST_API_TOKEN, withTestToken } from '../helpers/auth.js';

export type { Line, FenghuoProcess as NsProcess } from '../../bench/support/fenghuo-process.js';
export { backlogEmpty, BOX_API, describeBytes, enrolInNs, HUB_PORT, runIn, startHubInNs, type NsHub, type SyncView } from '../../bench/support/ns-sync.js';

/** `fenghuo run` in the box namespace with `yaml` plus the test API token, its API on BOX_API. */
export function startBoxInNs(link: NetnsLink, dir: string, dataDir: string, yaml: string): ReturnType<typeof ns.startBoxInNs> {
  return ns.startBoxInNs(link, dir, dataDir, withTestToken(yaml));
}

/** An HTTP request to the box's API with the test token, made by curl inside the box namespace. */
export function boxApi<T>(link: NetnsLink, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  return ns.boxApi<T>(link, TEST_API_TOKEN, method, path, body);
}

/** `sync` of the box's GET /api/v1/health. */
export function syncView(link: NetnsLink): Promise<ns.SyncView> {
  return ns.syncView(link, TEST_API_TOKEN);
}
