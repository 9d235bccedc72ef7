import { randomInt } from 'node:crypto';
import { BOX_ID_PATTERN } from '../outbox/box-id.js';

/**
 * The one-time enrolment code (docs/sync.md, "Enrolment"): what `fenghuo hub enrol-code` prints and
 * `fenghuo enroll --code` takes. No I/O (node:crypto draws the random characters).
 *
 * Form: 20 Crockford base32 characters (100 random bits), shown in four groups of five, optionally bound to a box id:
 * `xiaoshan-01:7KQM3-XPA9W-ZTH2R-CFN4D`. A bound code enrols that box id only; the binding cannot be edited away,
 * because the hub keeps the SHA-256 of the whole canonical code (`xiaoshan-01:7KQM3XPA9WZTH2RCFN4D`), so a changed
 * box id is an unknown code. Typing is forgiving: case, spaces and dashes do not matter, and `I`/`L` read as `1`,
 * `O` as `0` (Crockford's rule).
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ENROL_CODE_CHARS = 20;

export interface EnrolCode {
  /** The box id the code is bound to, when it is. */
  readonly boxId?: string;
  /** The 20 random characters, upper case. */
  readonly secret: string;
  /** What the hub hashes: `boxId:SECRET` or `SECRET`. */
  readonly canonical: string;
}

function make(secret: string, boxId: string | undefined): EnrolCode {
  return boxId === undefined ? { secret, canonical: secret } : { boxId, secret, canonical: `${boxId}:${secret}` };
}

/** A fresh code, bound to `boxId` when given (which must be a valid box id). */
export function generateEnrolCode(boxId?: string): EnrolCode {
  if (boxId !== undefined && !BOX_ID_PATTERN.test(boxId)) throw new Error(`not a box id: ${JSON.stringify(boxId)}`);
  let secret = '';
  for (let i = 0; i < ENROL_CODE_CHARS; i += 1) secret += ALPHABET[randomInt(ALPHABET.length)];
  return make(secret, boxId);
}

/** The code as typed, or undefined when it is not one. */
export function parseEnrolCode(text: string): EnrolCode | undefined {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const boxId = colon >= 0 ? trimmed.slice(0, colon).trim().toLowerCase() : undefined;
  if (boxId !== undefined && !BOX_ID_PATTERN.test(boxId)) return undefined;
  const secret = (colon >= 0 ? trimmed.slice(colon + 1) : trimmed)
    .replace(/[\s-]/g, '')
    .toUpperCase()
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  if (secret.length !== ENROL_CODE_CHARS || [...secret].some((ch) => !ALPHABET.includes(ch))) return undefined;
  return make(secret, boxId);
}

/** For people: `xiaoshan-01:7KQM3-XPA9W-ZTH2R-CFN4D`. */
export function formatEnrolCode(code: EnrolCode): string {
  const groups = code.secret.match(/.{1,5}/g) ?? [code.secret];
  return `${code.boxId === undefined ? '' : `${code.boxId}:`}${groups.join('-')}`;
}
