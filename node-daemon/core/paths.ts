import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where package.json is), found from this file whether run from source or from dist/: a checkout
 * has node-daemon/, an installed release (install.sh copies bin/, dist/, config/…, no sources) only dist/node-daemon/.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && (existsSync(join(dir, 'node-daemon')) || existsSync(join(dir, 'dist', 'node-daemon')))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('fenghuo: cannot find the package root');
    dir = up;
  }
}
