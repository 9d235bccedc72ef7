// Tests that spawn child processes run the compiled code in dist/. `npm test` builds it first; when a test runs on
// its own (vitest on a fresh checkout, or after an edit) this rebuilds, once, under a lock.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../node-daemon/core/paths.js';

const root = packageRoot();
const run = promisify(execFile);

const SOURCE_DIRS = ['node-daemon', 'drivers', 'broadcast', 'test', 'bench'];

function staleSources(): string[] {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
        const out = join(root, 'dist', relative(root, path).replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(path).mtimeMs) stale.push(relative(root, path));
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(join(root, d));
  return stale;
}

/**
 * Runs `build` while holding a lock dir named after `name` and this checkout, so that of the test files running in
 * parallel one builds while the others wait (none starts from half-written output). `build` should check again
 * whether it is still needed: the holder before may have done it. A lock left by a killed run (older than any build
 * takes) is broken.
 */
export async function withBuildLock(name: string, build: () => Promise<void>): Promise<void> {
  const lock = join(tmpdir(), `fenghuo-${name}-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 170_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held !== undefined && Date.now() - held.mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another test holds ${lock} for too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds dist/ when a daemon source is newer than its output (`npm test` has built it already), under the lock. */
export async function ensureDistBuilt(): Promise<void> {
  if (staleSources().length === 0) return;
  await withBuildLock('daemon', async () => {
    if (staleSources().length === 0) return;
    try {
      await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root });
    } catch (err) {
      // Type errors in files outside the daemon still emit JS; what the daemon needs must be there and fresh.
      const stale = staleSources();
      if (stale.length > 0) throw new Error(`tsc did not build ${stale.slice(0, 5).join(', ')}: ${String(err)}`);
    }
  });
}
