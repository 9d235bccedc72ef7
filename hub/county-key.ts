import { linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { importPrivateKeyPem, keyFingerprint, publicKeyOf, SigningKey } from '../node-daemon/sync/protocol/index.js';
import { fsyncDir, writeTempBeside } from '../node-daemon/sync/enrol/files.js';

/**
 * The county's Ed25519 key pair: the hub signs every sync answer with it, and boxes get its public half at
 * enrolment. Kept in one file (PKCS#8 PEM, mode 0600), made on the hub's first start. Two hub processes starting at
 * once on a fresh data dir make one key: the file appears by link(2), which never replaces, and the loser reads the
 * winner's.
 */

export class CountyKeyError extends Error {
  override readonly name = 'CountyKeyError';
}

/** `county-` and the first 8 hex digits of the key's fingerprint: a new key gets a new id by itself. */
export function defaultCountyKeyId(fingerprint: string): string {
  return `county-${fingerprint.slice(0, 8)}`;
}

function fromPem(pem: string, file: string, keyid: string | undefined): SigningKey {
  let priv;
  try {
    priv = importPrivateKeyPem(pem);
  } catch (err) {
    throw new CountyKeyError(`${file}: ${err instanceof Error ? err.message : 'not a key'}`);
  }
  return new SigningKey(keyid ?? defaultCountyKeyId(keyFingerprint(publicKeyOf(priv))), priv);
}

function read(file: string, keyid: string | undefined): SigningKey {
  const st = statSync(file);
  if (!st.isFile()) throw new CountyKeyError(`${file} is not a file`);
  if ((st.mode & 0o077) !== 0) {
    throw new CountyKeyError(`${file} may be read by others (mode ${(st.mode & 0o777).toString(8)}); it is the county's secret key: chmod 600 ${file}`);
  }
  return fromPem(readFileSync(file, 'utf8'), file, keyid);
}

/** The county key from `file`, made there (and its directory, 0700) when there is none yet. */
export function loadOrCreateCountyKey(file: string, keyid?: string): { key: SigningKey; created: boolean } {
  if (statSync(file, { throwIfNoEntry: false }) !== undefined) return { key: read(file, keyid), created: false };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fresh = SigningKey.generate('county');
  const tmp = writeTempBeside(file, fresh.exportPrivateKeyPem());
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: read(file, keyid), created: false };
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(dirname(file));
  return { key: read(file, keyid), created: true };
}
