import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Clock } from '../../node-daemon/core/types.js';
import {
  publicKeyFromRaw,
  REFUSAL_HTTP_STATUS,
  verifyRequest,
  type RefusalReason,
  type SignableRequest,
} from '../../node-daemon/sync/protocol/index.js';
import { BOX_ID_PATTERN } from '../../node-daemon/sync/outbox/box-id.js';
import type { HubStore } from '../store/types.js';
import type { HubEnv } from './deps.js';
import { NonceStoreFollows, type NonceStore } from './nonce-store.js';
import { refuse, type RefusalSink } from './refusals.js';

/** How long a box waits after `replay_cache_full` (503). */
export const REPLAY_FULL_RETRY_AFTER_S = 10;

export interface VerifyBoxDeps extends RefusalSink {
  readonly store: HubStore;
  readonly nonces: NonceStore;
  readonly clock: Clock;
  readonly requestUrl: (c: Context) => string;
}

/**
 * The HTTP status of a refused signature: docs/sync-signatures.md's table (REFUSAL_HTTP_STATUS), except that a key id
 * the hub has not enrolled answers 403 like a revoked box (docs/sync.md: "403 box unknown or revoked").
 */
export function refusalStatus(reason: RefusalReason): ContentfulStatusCode {
  return reason === 'unknown_key' ? 403 : (REFUSAL_HTTP_STATUS[reason] as ContentfulStatusCode);
}

/**
 * Middleware: the request must be signed by an enrolled box (docs/sync-signatures.md, "Verifying"). On the body as
 * received (`c.var.body`, before decompression): the signature with the box's public key from the store (key id =
 * box id), the Content-Digest, then the window and the nonce (NonceStore, only after the signature verified); a
 * revoked box is told so (403) only once its request proved genuine and fresh. Sets `c.var.box`.
 */
export function verifyBox(deps: VerifyBoxDeps): MiddlewareHandler<HubEnv> {
  const followed = new NonceStoreFollows(deps.clock);
  const refuseSig = (c: Context, reason: RefusalReason, detail: string, keyid: string | undefined, box?: string): Response =>
    refuse(c, deps, {
      status: refusalStatus(reason),
      code: reason,
      detail,
      ...(keyid === undefined ? {} : { keyid }),
      ...(box === undefined ? {} : { box }),
      ...(reason === 'replay_cache_full' ? { headers: { 'Retry-After': String(REPLAY_FULL_RETRY_AFTER_S) } } : {}),
    });

  return async (c, next) => {
    const req: SignableRequest = { method: c.req.method, url: deps.requestUrl(c), headers: c.req.raw.headers, body: c.get('body') };

    // Which key: the protocol's own parser names the key id it wants (and refuses what does not parse).
    let claimed: string | undefined;
    const probe = verifyRequest(req, {
      keys: (keyid) => {
        claimed = keyid;
        return undefined;
      },
      guard: followed,
    });
    if (probe.ok) throw new Error('hub: a signature verified without a key');
    if (probe.reason !== 'unknown_key' || claimed === undefined) return refuseSig(c, probe.reason, probe.detail, probe.keyid);
    const keyid: string = claimed;

    const box = BOX_ID_PATTERN.test(keyid) ? await deps.store.getBox(keyid) : undefined;
    if (box === undefined) return refuseSig(c, 'unknown_key', `key ${JSON.stringify(keyid.slice(0, 80))} is not an enrolled box`, keyid.slice(0, 80));
    let publicKey;
    try {
      publicKey = publicKeyFromRaw(box.publicKey);
    } catch {
      return refuseSig(c, 'unknown_key', `box ${keyid} has no usable public key`, keyid, keyid);
    }

    const verified = verifyRequest(req, { keys: new Map([[keyid, publicKey]]), guard: followed });
    if (!verified.ok) return refuseSig(c, verified.reason, verified.detail, keyid, keyid);
    const fresh = await deps.nonces.accept({
      keyid,
      nonce: verified.nonce,
      created: verified.created,
      ...(verified.expires === undefined ? {} : { expires: verified.expires }),
    });
    if (!fresh.ok) return refuseSig(c, fresh.reason, fresh.detail, keyid, keyid);

    if (box.revokedAt !== null) {
      return refuse(c, deps, { status: 403, code: 'revoked', detail: `box ${keyid} was revoked at ${new Date(box.revokedAt).toISOString()}`, keyid, box: keyid });
    }
    c.set('box', box);
    await next();
  };
}
