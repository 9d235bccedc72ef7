import { createHash } from 'node:crypto';

/**
 * The exact checksum of a set of sequence numbers (or reading ids): SHA-256, hex, over each number in ascending order
 * written in decimal and followed by `\n` (the empty set hashes the empty string). Duplicates count once, so the
 * digest names the set. `recordStats` answers it per kind; a test computes it over what the box sent.
 */
export function seqDigest(seqs: Iterable<number>): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const hash = createHash('sha256');
  // Chunked so a million seqs do not make one giant string.
  for (let i = 0; i < sorted.length; i += 4096) {
    hash.update(sorted.slice(i, i + 4096).map((s) => `${s}\n`).join(''));
  }
  return hash.digest('hex');
}
