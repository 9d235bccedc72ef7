import { z } from 'zod';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../outbox/box-id.js';

/**
 * `POST /api/v1/sync/enroll` on the wire (docs/sync.md, "Enrolment"): the box's request and the hub's answer. The
 * box (sync/enrol/enrol.ts) and the hub (hub/http/routes/enroll.ts) both use these. No I/O.
 *
 * The request is not signed with a key the hub knows: the one-time code is the credential. The box signs it anyway,
 * with the new key under its box id, so that the hub's signed answer is bound to this very request (its
 * `"signature-input";req`): the box then checks the answer against the county key it carries, and learns the hub's
 * time from it. The hub does not need that signature and does not check it.
 */

export const ENROL_PATH = '/api/v1/sync/enroll';

const RAW_KEY = /^[A-Za-z0-9_-]{43}$/;
const RAW_KEY_RULE = 'an Ed25519 public key, raw 32 bytes in base64url: 43 characters';

export const enrolRequestSchema = z.strictObject({
  code: z.string().min(1).max(200).describe('the one-time code from `fenghuo hub enrol-code`'),
  boxId: z.string().regex(BOX_ID_PATTERN, BOX_ID_RULE).describe('the id the box will sign with'),
  publicKey: z.string().regex(RAW_KEY, RAW_KEY_RULE).describe('the box\'s new Ed25519 public key'),
  name: z.string().min(1).max(100).optional().describe('a name for people, e.g. the township'),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

/** The answer (200). A box reads the fields it knows and ignores others. */
export const enrolResponseSchema = z.object({
  boxId: z.string().regex(BOX_ID_PATTERN, BOX_ID_RULE),
  countyPublicKey: z.string().regex(RAW_KEY, RAW_KEY_RULE),
  countyKeyId: z.string().min(1).max(128),
  hubTime: z.int().min(0),
});
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;

/**
 * Why the hub refuses an enrolment (the `error.code` of its answer): `unknown_code` (401), `code_expired` (401),
 * `code_used` (401), `code_box_mismatch` (401: the code is bound to another box id), `box_exists` (409: that id is
 * enrolled; the code stays unused), `rate_limited` (429, with Retry-After), `bad_request` (400).
 */
export const ENROL_REFUSALS = ['unknown_code', 'code_expired', 'code_used', 'code_box_mismatch', 'box_exists', 'rate_limited', 'bad_request'] as const;
export type EnrolRefusal = (typeof ENROL_REFUSALS)[number];
