// Issue #16 (memory): `npm run build` gives dist/ its own tree-shaken zod, rxjs and yaml (node-daemon/build/prebundle.ts).
// Checked here: which names it finds, that it refuses uses it cannot list, that the bundle holds those names and not
// the rest (no locales), that Node picks the bundle for code under dist/, and that the real dist/ got complete bundles.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREBUNDLED, prebundle, PrebundleError, usedNames } from '../../node-daemon/build/prebundle.js';
import { packageRoot } from '../../node-daemon/core/paths.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const root = packageRoot();
const run = promisify(execFile);
const dirs: string[] = [];

/** A scratch checkout: `dist/` holding `files`, node_modules linked to the project's. */
function scratch(files: Record<string, string>): { root: string; dist: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fenghuo-prebundle-'));
  dirs.push(dir);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'dist', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'dist', name), text);
  }
  return { root: dir, dist: join(dir, 'dist') };
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SCHEMA = "import { z } from 'zod';\nexport const s = z.object({ a: z.string().min(1) });\n";
const STREAM = "import { Subject, map as m } from 'rxjs';\nexport const x = new Subject();\nexport const y = x.pipe(m((v) => v));\n";

describe('prebundle: the names dist/ uses', () => {
  it('lists z.<member> reads and names imported by name, and skips the browser bundles', async () => {
    const s = scratch({ 'a/schema.js': SCHEMA, 'b/stream.js': STREAM, 'web-ui/assets/x.js': "import { z } from 'zod';\nz.bigint();\n" });
    const used = await usedNames(s.dist);
    expect([...used['zod']!.named]).toEqual(['z']);
    expect([...used['zod']!.members].sort()).toEqual(['object', 'string']);
    expect([...used['rxjs']!.named].sort()).toEqual(['Subject', 'map']);
    expect(used['yaml']!.named.size).toBe(0);
  });

  it.each([
    ['z passed around', "import { z } from 'zod';\nconst y = z;\nexport default y;\n", /x\.js:2: z used other than as z\.<name>/],
    ['z indexed', "import { z } from 'zod';\nexport const f = (k) => z[k];\n", /x\.js:2: z\[…\]/],
    ['a dynamic import', "export const load = () => import('zod');\n", /x\.js:1: import\('zod'\)/],
    ['export *', "export * from 'rxjs';\n", /x\.js:1: export \* from 'rxjs'/],
    ['a namespace import', "import * as rx from 'rxjs';\nexport const s = new rx.Subject();\n", /x\.js:1: a default or namespace import of 'rxjs'/],
  ])('refuses %s, naming the file and line', async (_what, text, message) => {
    const s = scratch({ 'x.js': text });
    const err = await usedNames(s.dist).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrebundleError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('prebundle: the bundles', () => {
  let s: { root: string; dist: string };
  let report: string[];
  beforeAll(async () => {
    s = scratch({
      'a/schema.js': SCHEMA,
      'b/stream.js': STREAM,
      'main.js': [
        "import { s } from './a/schema.js';",
        "import { x, y } from './b/stream.js';",
        'const seen = [];',
        'y.subscribe((v) => seen.push(v));',
        "x.next('tick');",
        "console.log(JSON.stringify({ zod: import.meta.resolve('zod'), rxjs: import.meta.resolve('rxjs'), good: s.safeParse({ a: 'x' }).success, bad: s.safeParse({ a: '' }).success, seen }));",
        '',
      ].join('\n'),
    });
    report = await prebundle(s.root, s.dist);
  }, 60_000);

  it('writes one bundle per package used, with the real version', () => {
    expect(report.map((l) => l.split(':')[0])).toEqual([`zod@${versionOf('zod')}`, `rxjs@${versionOf('rxjs')}`]);
    const pkg = JSON.parse(readFileSync(join(s.dist, 'node_modules', 'zod', 'package.json'), 'utf8')) as { name: string; version: string; type: string };
    expect(pkg).toMatchObject({ name: 'zod', version: versionOf('zod'), type: 'module' });
  });

  it('holds what is used and not the rest: z has object and string only, and no locale', async () => {
    const { z } = (await import(pathToFileURL(join(s.dist, 'node_modules', 'zod', 'index.js')).href)) as { z: Record<string, unknown> };
    expect(Object.keys(z).sort()).toEqual(['object', 'string']);
    const bundled = readFileSync(join(s.dist, 'node_modules', 'zod', 'index.js'), 'utf8');
    const japanese = '無効な入力';
    expect(readFileSync(join(root, 'node_modules', 'zod', 'v4', 'locales', 'ja.js'), 'utf8')).toContain(japanese);
    expect(bundled).not.toContain(japanese);
    // English messages are zod's default and stay.
    expect(bundled).toContain('Invalid input');
  });

  it('is what Node loads for code under dist/, and it works there', async () => {
    const { stdout } = await run(process.execPath, [join(s.dist, 'main.js')]);
    const out = JSON.parse(stdout) as { zod: string; rxjs: string; good: boolean; bad: boolean; seen: string[] };
    expect(out.zod).toBe(pathToFileURL(join(s.dist, 'node_modules', 'zod', 'index.js')).href);
    expect(out.rxjs).toBe(pathToFileURL(join(s.dist, 'node_modules', 'rxjs', 'index.js')).href);
    expect(out).toMatchObject({ good: true, bad: false, seen: ['tick'] });
  });
});

describe("prebundle: the project's dist/", () => {
  beforeAll(() => ensureDistBuilt(), 300_000);

  it('resolves zod, rxjs and yaml from dist/ to bundles that hold every name dist/ uses', async () => {
    const dist = join(root, 'dist');
    const used = await usedNames(dist);
    const fromDist = createRequire(join(dist, 'node-daemon', 'cli.js'));
    for (const pkg of Object.keys(PREBUNDLED)) {
      expect(used[pkg]!.named.size, `dist/ imports ${pkg}`).toBeGreaterThan(0);
      const file = fromDist.resolve(pkg);
      expect(file).toBe(join(dist, 'node_modules', pkg, 'index.js'));
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const n of used[pkg]!.named) expect(mod[n], `${pkg}: ${n}`).toBeDefined();
      for (const m of used[pkg]!.members) expect((mod['z'] as Record<string, unknown>)[m], `z.${m}`).toBeDefined();
    }
  });
});

function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}
