import { existsSync, lchownSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `fenghuo update` runs as root, the daemon as the data dir's owner (fenghuo): what root makes in the data dir is
 * given to that owner, or the daemon could not open a restored database or write its own backups later.
 */
export function giveToDataOwner(dataDir: string, paths: readonly string[]): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(dataDir);
  const chownTree = (p: string): void => {
    const st = lstatSync(p);
    if (st.uid !== uid || st.gid !== gid) lchownSync(p, uid, gid);
    if (st.isDirectory()) for (const e of readdirSync(p)) chownTree(join(p, e));
  };
  for (const p of paths) if (existsSync(p)) chownTree(p);
}
