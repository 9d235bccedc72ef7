import { createHash, timingSafeEqual } from 'node:crypto';
import { isInnerList, parseDictionary, serializeDictionary, sfBytes, item, StructuredFieldError } from './structured-fields.js';

/**
 * `Content-Digest` (RFC 9530 §2): a Dictionary of `algorithm=:base64 digest:` over the message content as sent
 * (after any Content-Encoding, so a compressed body is digested compressed). Pure (node:crypto hashes, nothing else).
 *
 * We send `sha-256`. We check `sha-256` and `sha-512` when present (every one present must match) and ignore other
 * algorithms (RFC 9530 §2 lets a recipient ignore any); the algorithm we require must be among them.
 */
export type DigestAlgorithm = 'sha-256' | 'sha-512';

const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = { 'sha-256': 'sha256', 'sha-512': 'sha512' };
const DIGEST_BYTES: Readonly<Record<DigestAlgorithm, number>> = { 'sha-256': 32, 'sha-512': 64 };

export type Body = Uint8Array | string;

/** The bytes of a body: a string is sent as UTF-8. */
export const bodyBytes = (body: Body): Uint8Array => (typeof body === 'string' ? Buffer.from(body, 'utf8') : body);

export function digestOf(body: Body, algorithm: DigestAlgorithm = 'sha-256'): Uint8Array {
  return new Uint8Array(createHash(NODE_HASH[algorithm]).update(bodyBytes(body)).digest());
}

/** The `Content-Digest` field value for a body, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`. */
export function contentDigest(body: Body, algorithm: DigestAlgorithm = 'sha-256'): string {
  return serializeDictionary([[algorithm, item(sfBytes(digestOf(body, algorithm)))]]);
}

export type DigestCheck =
  | { readonly ok: true; readonly checked: readonly DigestAlgorithm[] }
  | { readonly ok: false; readonly reason: 'malformed' | 'digest_mismatch'; readonly detail: string };

/**
 * Checks a `Content-Digest` field value against the body received. `malformed`: the field does not parse or a known
 * algorithm's value is not a byte sequence of the right length. `digest_mismatch`: a digest differs from the body's,
 * or the required algorithm is absent.
 */
export function verifyContentDigest(field: string, body: Body, require: DigestAlgorithm = 'sha-256'): DigestCheck {
  let dict;
  try {
    dict = parseDictionary(field);
  } catch (e) {
    return { ok: false, reason: 'malformed', detail: `Content-Digest: ${e instanceof StructuredFieldError ? e.message : String(e)}` };
  }
  const checked: DigestAlgorithm[] = [];
  for (const [alg, member] of dict) {
    if (alg !== 'sha-256' && alg !== 'sha-512') continue;
    if (isInnerList(member) || member.value.type !== 'bytes' || member.value.value.length !== DIGEST_BYTES[alg]) {
      return { ok: false, reason: 'malformed', detail: `Content-Digest: ${alg} is not a ${DIGEST_BYTES[alg]}-byte sequence` };
    }
    const expected = Buffer.from(digestOf(body, alg));
    if (!timingSafeEqual(expected, Buffer.from(member.value.value))) {
      return { ok: false, reason: 'digest_mismatch', detail: `Content-Digest: ${alg} does not match the body` };
    }
    checked.push(alg);
  }
  if (!checked.includes(require)) {
    return { ok: false, reason: 'digest_mismatch', detail: `Content-Digest: no ${require} digest` };
  }
  return { ok: true, checked };
}
