import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './roles.js';

/** A configured API token (config `http.apiTokens`): only the SHA-256 of the token is ever stored. */
export interface ApiTokenConfig {
  readonly id: string;
  readonly role: Role;
  /** Lower- or upper-case hex SHA-256 of the token. */
  readonly sha256: string;
}

export interface TokenPrincipal {
  readonly id: string;
  readonly role: Role;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Checks bearer tokens against the configured hashes, in constant time per entry. */
export class ApiTokens {
  private readonly entries: readonly { readonly id: string; readonly role: Role; readonly hash: Buffer }[];

  constructor(tokens: readonly ApiTokenConfig[] = []) {
    this.entries = tokens.map((t) => ({ id: t.id, role: t.role, hash: Buffer.from(t.sha256.toLowerCase(), 'hex') }));
  }

  get size(): number {
    return this.entries.length;
  }

  verify(token: string): TokenPrincipal | undefined {
    if (token.length === 0 || this.entries.length === 0) return undefined;
    const hash = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenPrincipal | undefined;
    // Compare against every entry (no early exit), so timing does not tell which position matched.
    for (const e of this.entries) {
      if (e.hash.length === hash.length && timingSafeEqual(e.hash, hash) && found === undefined) found = { id: e.id, role: e.role };
    }
    return found;
  }
}
