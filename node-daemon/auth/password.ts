import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { COMMON_PASSWORDS } from './common-passwords.js';

/**
 * Password hashing with Node's scrypt (memory-hard). Stored as one self-describing string,
 * `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`, so the cost can be raised later without breaking old rows.
 */

export interface ScryptCost {
  /** log2 of scrypt's N (CPU/memory cost). */
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

/** N = 2^15, r = 8: 32 MiB and roughly 0.1 s on a Raspberry Pi 4 per hash. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { log2N: 15, r: 8, p: 1 };

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any pass phrase, short enough that hashing it is not a denial of service. */
export const MAX_PASSWORD_LENGTH = 256;

/** Whitespace and invisible format characters (zero-width space, joiners, BOM): what a password must not be only of. */
const BLANK = /^[\s\p{Cf}]*$/u;

/** How a candidate is compared with the common list: NFKC (full-width １２３ is 123), trimmed, lower case. */
export function commonPasswordKey(password: string): string {
  return password.normalize('NFKC').trim().toLowerCase();
}

/**
 * Why a new password is refused, beyond its length: all whitespace, or one of the commonest passwords (the list in
 * common-passwords.ts, compared regardless of case). Undefined when it may be used. Applies wherever a password is
 * set (first-run setup, a new account, a password change or reset); never to logging in with an existing one.
 */
export function passwordProblem(password: string): string | undefined {
  if (BLANK.test(password)) return 'a password cannot be all whitespace';
  if (COMMON_PASSWORDS.has(commonPasswordKey(password))) {
    return 'this is one of the most common passwords, the first anyone guessing tries; choose a less common one (a few words of a sentence work well)';
  }
  return undefined;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'scrypt';

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  // scrypt needs 128·N·r bytes; Node's default ceiling is 32 MiB, exactly the need at N=2^15, r=8, so raise it.
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 128 * N * cost.r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  return [PREFIX, cost.log2N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  readonly cost: ScryptCost;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2N, r, p].every((n) => Number.isInteger(n) && n > 0) || log2N > 22 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < SALT_BYTES || key.length !== KEY_BYTES) return undefined;
  return { cost: { log2N, r, p }, salt, key };
}

/** Timing-safe check of a password against a stored hash; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

/** A well-formed hash of nothing anyone knows: verifying against it costs the same time as against a real user. */
export async function decoyHash(cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64'), cost);
}
