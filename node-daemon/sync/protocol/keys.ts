import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * Ed25519 keys for sync signatures (node:crypto KeyObjects). Pure: nothing here reads or writes a file; the caller
 * stores the PEM text (the box: `<data>/sync/box.key`, mode 0600).
 *
 * Formats:
 * - private key: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted;
 * - public key: SPKI PEM (`-----BEGIN PUBLIC KEY-----`), or the raw 32-byte key in base64url (43 characters), the
 *   form shown to a person at enrolment and pasted into the hub;
 * - fingerprint: the first 16 hex digits of SHA-256 over the SPKI DER, for logs (to tell keys apart, not to trust one).
 *
 * A secret key is never printed: `SigningKey` shows only its key id and fingerprint to `JSON.stringify`, `String()`
 * and `util.inspect` (console.log, pino), errors never quote key text, and the PEM leaves only through
 * `exportPrivateKeyPem`.
 */

export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError';
}

const RAW_PUBLIC_KEY_RE = /^[A-Za-z0-9_-]{43}$/;
const KEYID_RE = /^[\x21-\x7e]{1,128}$/;

function assertEd25519(key: KeyObject, type: 'private' | 'public', what: string): KeyObject {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new KeyFormatError(`${what} is not an Ed25519 ${type} key (it is ${key.asymmetricKeyType ?? key.type})`);
  }
  return key;
}

export function generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** An Ed25519 private key from PKCS#8 PEM. Throws KeyFormatError (never quoting the text). */
export function importPrivateKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyFormatError('the private key is not an unencrypted PKCS#8 PEM key');
  }
  return assertEd25519(key, 'private', 'the private key');
}

export function exportPrivateKeyPem(key: KeyObject): string {
  return assertEd25519(key, 'private', 'the key').export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** An Ed25519 public key from SPKI PEM. Throws KeyFormatError. */
export function importPublicKeyPem(pem: string): KeyObject {
  // node would derive the public key from a private one: refuse, so a secret pasted by mistake is noticed.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new KeyFormatError('this is a private key; give the public key (SPKI PEM)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyFormatError('the public key is not an SPKI PEM key');
  }
  return assertEd25519(key, 'public', 'the public key');
}

/** The public key of a key pair (a private key gives its public half). */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

export function exportPublicKeyPem(key: KeyObject): string {
  return assertEd25519(publicKeyOf(key), 'public', 'the key').export({ type: 'spki', format: 'pem' }).toString();
}

/** The raw 32-byte public key, base64url without padding (43 characters): how a key is shown at enrolment. */
export function publicKeyToRaw(key: KeyObject): string {
  const jwk = assertEd25519(publicKeyOf(key), 'public', 'the key').export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new KeyFormatError('the key has no public part');
  return jwk.x;
}

/** A public key from its raw base64url form (43 characters; surrounding whitespace ignored). Throws KeyFormatError. */
export function publicKeyFromRaw(text: string): KeyObject {
  const x = text.trim();
  if (!RAW_PUBLIC_KEY_RE.test(x) || Buffer.from(x, 'base64url').length !== 32) {
    throw new KeyFormatError('a raw Ed25519 public key is 43 base64url characters (32 bytes)');
  }
  try {
    return assertEd25519(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }), 'public', 'the key');
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError('not a valid Ed25519 public key');
  }
}

/** Short fingerprint for logs: first 16 hex digits of SHA-256 over the public key's SPKI DER. */
export function keyFingerprint(key: KeyObject): string {
  const der = assertEd25519(publicKeyOf(key), 'public', 'the key').export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Checks a key id: 1 to 128 visible ASCII characters (it travels as a structured-field string). */
export function isValidKeyId(keyid: string): boolean {
  return KEYID_RE.test(keyid);
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A private key with the key id it signs under. Safe to log: it shows `SigningKey(keyid, fingerprint)` and nothing
 * of the secret.
 */
export class SigningKey {
  readonly #privateKey: KeyObject;
  readonly keyid: string;
  readonly fingerprint: string;
  readonly publicKey: KeyObject;

  constructor(keyid: string, privateKey: KeyObject) {
    if (!isValidKeyId(keyid)) throw new KeyFormatError('a key id is 1 to 128 visible ASCII characters');
    this.#privateKey = assertEd25519(privateKey, 'private', 'the signing key');
    this.keyid = keyid;
    this.publicKey = createPublicKey(privateKey);
    this.fingerprint = keyFingerprint(this.publicKey);
  }

  static fromPem(keyid: string, pem: string): SigningKey {
    return new SigningKey(keyid, importPrivateKeyPem(pem));
  }

  static generate(keyid: string): SigningKey {
    return new SigningKey(keyid, generateKeyPair().privateKey);
  }

  /** Ed25519 over the bytes (RFC 8032, no pre-hash): 64 bytes. */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.#privateKey));
  }

  /** The PKCS#8 PEM, for the one place that stores the key. */
  exportPrivateKeyPem(): string {
    return exportPrivateKeyPem(this.#privateKey);
  }

  toJSON(): { keyid: string; fingerprint: string } {
    return { keyid: this.keyid, fingerprint: this.fingerprint };
  }

  toString(): string {
    return `SigningKey(${this.keyid}, ${this.fingerprint})`;
  }

  [INSPECT](): string {
    return this.toString();
  }
}
