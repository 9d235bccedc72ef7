import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';

/**
 * Passphrase encryption of a backup's secret files (the box's identity): a key from node:crypto's scrypt (one random
 * salt per backup, its parameters in the manifest) and AES-256-GCM per file, with a fresh 12-byte IV each and the
 * file's name in the backup as additional data (a file cannot be swapped for another one under the same key).
 * On disk a file is IV (12 bytes) | tag (16 bytes) | ciphertext.
 */

export const kdfSchema = z.object({
  name: z.literal('scrypt'),
  N: z.int().min(1024).max(2 ** 20),
  r: z.int().min(1).max(32),
  p: z.int().min(1).max(16),
  salt: z.string().regex(/^[0-9a-f]{32,}$/),
  cipher: z.literal('aes-256-gcm'),
});
export type KdfParams = z.infer<typeof kdfSchema>;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Fresh parameters for one backup (scrypt N=2^15, r=8: ~32 MiB and well under a second on a Raspberry Pi). */
export function newKdfParams(): KdfParams {
  return { name: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: randomBytes(16).toString('hex'), cipher: 'aes-256-gcm' };
}

export function deriveKey(passphrase: string, params: KdfParams): Buffer {
  const maxmem = 128 * params.N * params.r * params.p + 16 * 2 ** 20;
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(params.salt, 'hex'), 32, { N: params.N, r: params.r, p: params.p, maxmem });
}

export function encryptFile(key: Buffer, name: string, plain: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export class WrongPassphraseError extends Error {}

/** Throws WrongPassphraseError when the key (the passphrase) does not open `name` (the file's hash was checked before). */
export function decryptFile(key: Buffer, name: string, sealed: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new WrongPassphraseError(`${name}: too short to be an encrypted file`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  decipher.setAAD(Buffer.from(name, 'utf8'));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new WrongPassphraseError(`wrong passphrase: ${name} does not decrypt with it`);
  }
}
