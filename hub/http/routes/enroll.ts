import { Hono } from 'hono';
import type { FailureThrottle } from '../../../node-daemon/auth/rate-limit.js';
import type { Clock } from '../../../node-daemon/core/types.js';
import { keyFingerprint, publicKeyFromRaw, publicKeyToRaw, type SigningKey } from '../../../node-daemon/sync/protocol/index.js';
import { parseEnrolCode } from '../../../node-daemon/sync/enrol/code.js';
import { ENROL_PATH, enrolRequestSchema, type EnrolResponse } from '../../../node-daemon/sync/enrol/wire.js';
import type { HubStore } from '../../store/types.js';
import { ENROL_BODY_LIMIT, type HubEnv } from '../deps.js';
import { readBody } from '../read-body.js';
import { clientAddress, refuse, type RefusalSink } from '../refusals.js';

export interface EnrollDeps extends RefusalSink {
  readonly store: HubStore;
  readonly countyKey: SigningKey;
  readonly clock: Clock;
  /** Failed attempts per client address. */
  readonly throttle: FailureThrottle;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `POST /api/v1/sync/enroll` (docs/sync.md, "Enrolment"): `{code, boxId, publicKey, name?}`, not signed by a key the
 * hub knows: the one-time code is the credential (the store keeps its SHA-256 and consumes it in the transaction
 * that enrols the box). Answer `{boxId, countyPublicKey, countyKeyId, hubTime}`, signed with the county key like
 * every sync answer. Failed attempts count against the client's address (FailureThrottle: the first five are free,
 * then each waits longer, up to five minutes; 429 with Retry-After meanwhile); boxes behind one carrier NAT enrolling
 * with good codes are never held back. The code is never logged.
 */
export function enrollRoutes(deps: EnrollDeps): Hono<HubEnv> {
  const app = new Hono<HubEnv>();
  app.post(ENROL_PATH, readBody(ENROL_BODY_LIMIT, deps), async (c) => {
    const address = clientAddress(c) ?? 'unknown';
    const wait = deps.throttle.check(address);
    if (wait.waitMs > 0) {
      const retryAfterS = Math.ceil(wait.waitMs / 1000);
      return refuse(c, deps, {
        status: 429,
        code: 'rate_limited',
        detail: `address waits ${retryAfterS} s after failed enrolments`,
        message: `too many failed enrolments from this address; retry in ${retryAfterS} s`,
        headers: { 'Retry-After': String(retryAfterS) },
      });
    }
    const failed = (status: 400 | 401, code: string, detail: string, message: string, param?: string, keyid?: string): Response => {
      deps.throttle.fail(address);
      return refuse(c, deps, { status, code, detail, message, ...(param === undefined ? {} : { param }), ...(keyid === undefined ? {} : { keyid }) });
    };

    let json: unknown;
    try {
      json = JSON.parse(UTF8.decode(c.get('body')));
    } catch {
      return failed(400, 'bad_request', 'enrolment body is not JSON', 'the body must be a JSON object');
    }
    const parsed = enrolRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue === undefined ? [] : issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
      const param = path.map(String).join('.');
      const message = issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys[0] ?? ''}` : (issue?.message ?? 'invalid body');
      return failed(400, 'bad_request', `enrolment body: ${param}: ${message}`.slice(0, 300), param === '' ? message : `${param}: ${message}`, param === '' ? undefined : param);
    }
    const req = parsed.data;
    let publicKey;
    try {
      publicKey = publicKeyFromRaw(req.publicKey);
    } catch {
      return failed(400, 'bad_request', 'publicKey is not an Ed25519 key', 'publicKey: not a valid Ed25519 public key', 'publicKey', req.boxId);
    }
    const code = parseEnrolCode(req.code);
    if (code === undefined) return failed(401, 'unknown_code', 'the code is not in the code format', 'unknown enrolment code', undefined, req.boxId);
    if (code.boxId !== undefined && code.boxId !== req.boxId) {
      return failed(401, 'code_box_mismatch', `code made for ${code.boxId}, asked for ${req.boxId}`, `this code enrols box ${code.boxId} only`, undefined, req.boxId);
    }

    const now = deps.clock();
    const result = await deps.store.enrol({
      code: code.canonical,
      boxId: req.boxId,
      publicKey: publicKeyToRaw(publicKey),
      ...(req.name === undefined ? {} : { name: req.name }),
      at: now,
    });
    if (!result.ok) {
      if (result.reason === 'box_exists') {
        return refuse(c, deps, {
          status: 409,
          code: 'box_exists',
          detail: `box ${req.boxId} is already enrolled`,
          keyid: req.boxId,
          message: `box ${req.boxId} is already enrolled at this hub; the code was not used`,
        });
      }
      const message = { unknown_code: 'unknown enrolment code', code_expired: 'the enrolment code has expired', code_used: 'the enrolment code has already been used' }[result.reason];
      return failed(401, result.reason, message, message, undefined, req.boxId);
    }
    deps.log.info(
      { event: 'hub.enrolled', box: req.boxId, fingerprint: keyFingerprint(publicKey), address, name: req.name },
      `enrolled box ${req.boxId} (key ${keyFingerprint(publicKey)})`,
    );
    const answer: EnrolResponse = {
      boxId: result.box.id,
      countyPublicKey: publicKeyToRaw(deps.countyKey.publicKey),
      countyKeyId: deps.countyKey.keyid,
      hubTime: deps.clock(),
    };
    return c.json(answer, 200);
  });
  return app;
}
