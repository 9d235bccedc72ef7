import { join } from 'node:path';

/** Where the hub keeps content bytes: `<dataDir>/content/` (shared storage when several hub processes serve it). */
export function contentDir(config: { readonly dataDir: string }): string {
  return join(config.dataDir, 'content');
}
