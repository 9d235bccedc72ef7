/**
 * The hub's TLS certificate pin (docs/sync.md, "TLS and the pinned hub certificate"): `sha256/` and the base64 of
 * the SHA-256 of the certificate's SubjectPublicKeyInfo (DER), as HPKP and curl's `--pinnedpubkey` write it. Pure
 * (node:crypto hashes, no I/O).
 *
 * The pin is over the public key, not the whole certificate: a hub that renews its certificate with the same key
 * keeps its pin; a new key (or another server) is a different pin.
 */
import { createHash, type X509Certificate } from 'node:crypto';

export const PIN_PREFIX = 'sha256/';
const PIN_PATTERN = /^sha256\/{1,2}([A-Za-z0-9+/]{43}=)$/;
export const PIN_RULE = 'a pin is sha256/ followed by 44 base64 characters (the SHA-256 of the certificate\'s public key, SPKI DER)';

/** The pin of a DER-encoded SubjectPublicKeyInfo. */
export function spkiPin(spkiDer: Uint8Array): string {
  return `${PIN_PREFIX}${createHash('sha256').update(spkiDer).digest('base64')}`;
}

/** The pin of a certificate (its public key). */
export function certificatePin(cert: X509Certificate): string {
  return spkiPin(cert.publicKey.export({ type: 'spki', format: 'der' }));
}

/** A pin as typed (`sha256/…`, or curl's `sha256//…`), normalised to `sha256/…`; undefined when it is not one. */
export function parsePin(text: string): string | undefined {
  const m = PIN_PATTERN.exec(text.trim());
  return m === null ? undefined : `${PIN_PREFIX}${m[1] ?? ''}`;
}
