import type { FailureThrottle } from '../../node-daemon/auth/rate-limit.js';
import type { Logger } from '../../node-daemon/core/log.js';
import type { Clock } from '../../node-daemon/core/types.js';
import type { SigningKey } from '../../node-daemon/sync/protocol/index.js';
import type { IssueManifestOrder } from '../content/publish.js';
import type { HubAccounts } from '../accounts/accounts.js';
import type { HubOrders } from '../orders/hub-orders.js';
import type { HubCapConfig } from '../cap/cap-config.js';
import type { HubStore } from '../store/types.js';
import type { HubAccess } from './access.js';
import type { NonceStore } from './nonce-store.js';
import type { RefusalCounter } from './refusals.js';

export const API_PREFIX = '/api/v1';
export const INGEST_PATH = `${API_PREFIX}/sync/ingest`;
export { ENROL_PATH } from '../../node-daemon/sync/enrol/wire.js';
export const BOXES_PATH = `${API_PREFIX}/boxes`;
/** Publish, list and withdraw content (county people); the bytes for boxes are at CONTENT_BYTES_PATH. */
export const CONTENT_PATH = `${API_PREFIX}/content`;
export const CONTENT_BYTES_PATH = (sha256: string): string => `${API_PREFIX}/content/${sha256}/bytes`;

/** Sizes the hub takes (config `limits`). */
export interface HubLimits {
  /** The largest ingest body as sent (compressed), bytes: above it 413, the box halves its batch. */
  readonly maxBodyBytes: number;
  /** The largest ingest body once decompressed, bytes: above it 413 (a zip bomb stops here, never inflated whole). */
  readonly maxDecompressedBytes: number;
  /** The largest content file `POST /api/v1/content` takes, bytes: above it 413. */
  readonly maxContentBytes: number;
}

export const DEFAULT_LIMITS: HubLimits = { maxBodyBytes: 1024 * 1024, maxDecompressedBytes: 16 * 1024 * 1024, maxContentBytes: 256 * 1024 * 1024 };

/** An enrolment request is four short fields. */
export const ENROL_BODY_LIMIT = 4096;

export interface HubAppDeps {
  readonly store: HubStore;
  /** The county's key: signs every response of /api/v1/sync/*. */
  readonly countyKey: SigningKey;
  /** The memory of accepted (key id, nonce) pairs. */
  readonly nonces: NonceStore;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly limits?: Partial<HubLimits>;
  /**
   * The origin boxes address (`https://hub.example`) when a proxy in front rewrites `Host`: signatures cover
   * `@authority`, which must be what the box sent. Default: the request's own Host.
   */
  readonly publicOrigin?: string;
  /** Hex SHA-256 of the bearer token that may read GET /api/v1/boxes from anywhere; without it, loopback only. */
  readonly readTokenSha256?: string;
  /** Who may use the county-facing routes; default: tokenAccess with readTokenSha256 as the `read` viewer token. */
  readonly access?: HubAccess;
  /** Hub config `cap:` (the CAP feed's sender and areas, the zone of daily buckets); defaults when absent. */
  readonly cap?: HubCapConfig;
  /** Counts refusals by reason (and by enrolled box). One is made when not given. */
  readonly refusals?: RefusalCounter;
  /** Failed enrolments per client address. One is made when not given. */
  readonly enrolThrottle?: FailureThrottle;
  /** The downstream orders (store, long-poll watch, issue); one is made on `store.sql` when not given. */
  readonly orders?: HubOrders;
  /** The county's accounts, sessions and login throttle (hub/accounts); made on the store's SQL when not given. */
  readonly accounts?: HubAccounts;
  /** The built hub page; default dist/hub-web of the package (or FENGHUO_HUB_WEB_DIR). */
  readonly webDir?: string;
  /**
   * Published content (hub/content): where the bytes live (`<dataDir>/content`) and the orders module's issueOrder
   * for the manifests. Without it the content routes are absent (404).
   */
  readonly content?: { readonly dir: string; readonly issue?: IssueManifestOrder };
  /**
   * The boxes' backups (hub/backups, docs/sync.md "Backups to the hub"): where they are kept (`<dataDir>/backups`),
   * how many per box (config backups.keep) and the largest taken (backups.maxBytes). Without it the routes are absent
   * (404: a box then says the hub does not take backups).
   */
  readonly backups?: { readonly dir: string; readonly keep: number; readonly maxBytes: number };
  /**
   * The boxes' camera pictures (hub/images, docs/sync.md "Camera pictures to the hub"): where they are kept
   * (`<dataDir>/images`) and for how long (config images.keepDays). Without it the routes are absent (404).
   */
  readonly images?: { readonly dir: string; readonly keepDays: number };
}

export type { HubEnv, HubVariables } from './env.js';
