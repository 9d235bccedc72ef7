/**
 * Why a signed sync message is refused: one code per cause, so the hub and the box can log and count each. Pure.
 * docs/sync-signatures.md explains each code; the HTTP status a hub answers with is suggested beside it.
 */
export const REFUSAL_REASONS = [
  /** The Signature-Input / Signature / Content-Digest fields do not parse, or break the profile (types, lengths). */
  'malformed',
  /** The message is not signed, or its signature leaves out a component the profile requires. */
  'missing_component',
  /** The key id is not enrolled (or not for this purpose). */
  'unknown_key',
  /** The signature does not verify, or it is not ours: wrong `alg`, wrong or no `tag`. */
  'bad_signature',
  /** The signature verifies, but the body is not the one whose digest it signed. */
  'digest_mismatch',
  /** `created` is more than the window before now (or the signer's clock is behind). */
  'too_old',
  /** `created` is more than the window after now (or the signer's clock is ahead). */
  'from_future',
  /** `expires` has passed. */
  'expired',
  /** This (key id, nonce) was already accepted within the window. */
  'replayed',
  /** The replay memory is full (overall, or for this key): refused rather than accepted unchecked; retry later. */
  'replay_cache_full',
] as const;

export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Refusal {
  readonly ok: false;
  readonly reason: RefusalReason;
  /** For logs: what exactly was wrong. Never holds key material. */
  readonly detail: string;
  /** The key id the message claimed, when it got that far (for per-box counters). */
  readonly keyid?: string;
}

export const refuse = (reason: RefusalReason, detail: string, keyid?: string): Refusal =>
  keyid === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, keyid };

/** The HTTP status a hub answers a refused request with (the body names the reason). */
export const REFUSAL_HTTP_STATUS: Readonly<Record<RefusalReason, number>> = {
  malformed: 400,
  missing_component: 401,
  unknown_key: 401,
  bad_signature: 401,
  digest_mismatch: 400,
  too_old: 401,
  from_future: 401,
  expired: 401,
  replayed: 401,
  replay_cache_full: 503,
};
