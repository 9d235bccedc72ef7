// Tests that spawn child processes run compiled code. The product and the benchmarks are in dist/
// (tsconfig.build.json; `npm test` builds it first): when a test runs on its own (vitest on a fresh checkout, or after
// an edit) ensureDistBuilt rebuilds it, once, under a lock. dist/ holds no test code: a test's own child script
// (test/<area>/<name>-child.ts) is compiled with what it imports into test-artifacts/test-children/ (testChildScript).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../node-daemon/core/paths.js';

const root = packageRoot();
const run = promisify(execFile);

/** What tsconfig.build.json compiles into dist/ (every .ts but tests). */
const SOURCE_DIRS = ['node-daemon', 'drivers', 'broadcast', 'hub', 'bench'];

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
  // A folder may not exist yet in a checkout (a room announced before its first file).
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
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

/** Builds dist/ when a product or bench source is newer than its output (`npm test` has built it already), under the lock. */
export async function ensureDistBuilt(): Promise<void> {
  if (staleSources().length === 0) return;
  await withBuildLock('daemon', async () => {
    if (staleSources().length === 0) return;
    try {
      await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root });
    } catch (err) {
      // Type errors in files outside the daemon still emit JS; what the daemon needs must be there and fresh.
      const stale = staleSources();
      if (stale.length > 0) throw new Error(`tsc did not build ${stale.slice(0, 5).join(', ')}: ${String(err)}`);
    }
    // As `npm run build` does: dist/'s own tree-shaken zod, rxjs and yaml, for the names the fresh output uses.
    await run(process.execPath, [join(root, 'dist', 'node-daemon', 'build', 'prebundle.js')], { cwd: root });
  });
}

/** Where the tests' child scripts are compiled, with the product modules they import (git-ignored). */
export const TEST_CHILDREN_DIR = join(root, 'test-artifacts', 'test-children');

/** Every test child script (test/<area>/<name>-child.ts), relative to the package root. */
function testChildSources(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'fixtures') walk(path);
      } else if (entry.name.endsWith('-child.ts')) found.push(relative(root, path));
    }
  };
  walk(join(root, 'test'));
  return found.sort();
}

const compiledPath = (source: string): string => join(TEST_CHILDREN_DIR, source.replace(/\.ts$/, '.js'));

/**
 * Whether test-children/ needs a compile: a child without output, or an output whose source is newer or gone (the
 * outputs mirror the files the last compile took in, imports included).
 */
function testChildrenStale(children: readonly string[]): boolean {
  if (children.some((c) => !existsSync(compiledPath(c)))) return true;
  const walk = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      if (!entry.name.endsWith('.js')) return false;
      const source = statSync(join(root, relative(TEST_CHILDREN_DIR, path).replace(/\.js$/, '.ts')), { throwIfNoEntry: false });
      return source === undefined || source.mtimeMs > statSync(path).mtimeMs;
    });
  return walk(TEST_CHILDREN_DIR);
}

/** Compiles the child scripts and what they import, with tsconfig.build.json's options, into TEST_CHILDREN_DIR. */
async function compileTestChildren(children: readonly string[]): Promise<void> {
  const { default: ts } = await import('typescript');
  const text = (diagnostics: readonly import('typescript').Diagnostic[]): string =>
    diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ');
  const fail = (d: import('typescript').Diagnostic): never => {
    throw new Error(`test children: ${text([d])}`);
  };
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.build.json'),
    { noEmit: false, outDir: TEST_CHILDREN_DIR, rootDir: root },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: fail },
  );
  if (config === undefined) throw new Error('test children: cannot read tsconfig.build.json');
  // A fresh tree, so that no output of a file the children no longer import is left to look stale forever.
  rmSync(TEST_CHILDREN_DIR, { recursive: true, force: true });
  const program = ts.createProgram(
    children.map((c) => join(root, c)),
    config.options,
  );
  // Type errors are `npm run typecheck`'s to report; like tsc, this emits anyway.
  const emitted = program.emit();
  if (emitted.emitSkipped) throw new Error(`test children: emit skipped: ${text(emitted.diagnostics)}`);
  const missing = children.find((c) => !existsSync(compiledPath(c)));
  if (missing !== undefined) throw new Error(`test children: ${missing} was not compiled to ${compiledPath(missing)}`);
}

/**
 * The compiled JS of a test's child script (`source`, from the package root: 'test/storage/power-cut-child.ts'). When
 * a child or anything it imports changed, compiles every test/<area>/<name>-child.ts first, under a lock.
 */
export async function testChildScript(source: string): Promise<string> {
  const children = testChildSources();
  if (!children.includes(source)) throw new Error(`testChildScript: ${source} is not one of ${children.join(', ')}`);
  if (testChildrenStale(children)) {
    await withBuildLock('test-children', async () => {
      if (testChildrenStale(children)) await compileTestChildren(children);
    });
  }
  return compiledPath(source);
}
