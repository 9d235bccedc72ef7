// Issue 11: dist/ is what ships, so it holds the product and the benchmarks (tsconfig.build.json) and the web UI
// and the county hub's page (Vite), never a test. Checks the dist/ that `npm test` built (its pretest runs `npm run build`, which starts the
// tsc part from an empty dist/); ensureDistBuilt only fills in what is missing when this file runs on its own.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const root = packageRoot();
const dist = join(root, 'dist');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dist, join(e.parentPath, e.name)));
}

describe('dist/ (npm run build)', () => {
  beforeAll(() => ensureDistBuilt(), 300_000);

  it('holds the CLI and the benchmarks', () => {
    expect(existsSync(join(dist, 'node-daemon', 'cli.js'))).toBe(true);
    expect(existsSync(join(dist, 'bench', 'run-all.js'))).toBe(true);
    expect(existsSync(join(dist, 'drivers', 'modbus', 'sim', 'paced-line-child.js'))).toBe(true);
  });

  it('holds no test code (run `npm run build` if an old build left some)', () => {
    expect(existsSync(join(dist, 'test')), 'dist/test/ exists').toBe(false);
    expect(filesUnder(dist).filter((f) => /\.test\.js(\.map)?$/.test(f))).toEqual([]);
  });

  it('holds only the folders tsconfig.build.json and Vite write', () => {
    const top = readdirSync(dist).filter((e) => e !== 'web-ui' && e !== 'hub-web');
    // node_modules: the tree-shaken zod, rxjs and yaml of node-daemon/build/prebundle.ts (test/build/prebundle.test.ts)
    for (const entry of top) expect(['node-daemon', 'drivers', 'broadcast', 'hub', 'bench', 'node_modules'], `dist/${entry}`).toContain(entry);
  });
});
