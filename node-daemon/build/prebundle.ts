// Build step (issue #16, memory), run by `npm run build` after tsc: replaces zod, rxjs and yaml for the compiled
// daemon with tree-shaken bundles of only what dist/ uses, written to dist/node_modules/<name>/. Node resolves a bare
// `import 'zod'` from any file under dist/ to dist/node_modules/zod before the project's node_modules, so nothing in
// the source changes: the typechecker, vitest and the web UI's build go on using the real packages; the box runs the
// bundles.
//
// Why: `import 'zod'` evaluates all of zod, its 60-odd locales and its JSON-schema tooling included (~2.9 MB of heap);
// rxjs's Node entry is its CommonJS build, 224 files (~1.3 MB) for the six names the daemon uses; yaml's is CommonJS
// too. Bundled: ~1.2, ~0.1 and ~0.5 MB (`npm run bench` memory prints the layers).
//
// Which names: every `import { … } from '<pkg>'` in dist/, and for zod's `z` every `z.<member>` read. A `z` used any
// other way (passed around, indexed), a dynamic import or an `export *` of these packages fails the build, since the
// names could not be known. Each bundle is then imported and every name checked to be defined.
// Runs only where the dev dependencies are (rolldown, acorn): at `npm install`/`npm run build`, never on the box.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The packages bundled, and the package.json conditions that pick each one's tree-shakable ES-module build. */
export const PREBUNDLED: Readonly<Record<string, readonly string[]>> = {
  zod: ['import', 'default'],
  rxjs: ['es2015', 'import', 'default'],
  yaml: ['import', 'default'],
};
/** Output under dist/ that is not the daemon's JS: the browser bundles (vite) and these bundles themselves. */
const SKIP_DIRS = new Set(['node_modules', 'web-ui', 'hub-web']);

export class PrebundleError extends Error {}

export interface UsedNames {
  /** Names imported by name (`import { Subject } from 'rxjs'`). */
  readonly named: Set<string>;
  /** For zod: the members read from `z` (`z.object` → object). */
  readonly members: Set<string>;
}

interface Node {
  readonly type: string;
  readonly start: number;
  readonly [key: string]: unknown;
}

function* jsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* jsFiles(join(dir, e.name));
    } else if (e.name.endsWith('.js')) yield join(dir, e.name);
  }
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';

function walk(node: Node, parent: Node | null, visit: (node: Node, parent: Node | null) => void): void {
  visit(node, parent);
  for (const v of Object.values(node)) {
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) walk(c, node, visit);
    } else if (isNode(v)) walk(v, node, visit);
  }
}

const nameOf = (n: unknown): string => (isNode(n) ? String(n['name'] ?? n['value']) : '');

/** The names each prebundled package must export for the JS under `distDir`. Throws PrebundleError (file, reason). */
export async function usedNames(distDir: string): Promise<Record<string, UsedNames>> {
  const { parse } = await import('acorn');
  const used: Record<string, UsedNames> = Object.fromEntries(Object.keys(PREBUNDLED).map((p) => [p, { named: new Set<string>(), members: new Set<string>() }]));
  for (const file of jsFiles(distDir)) {
    const src = readFileSync(file, 'utf8');
    if (!Object.keys(PREBUNDLED).some((p) => src.includes(p))) continue;
    const where = relative(distDir, file);
    const line = (offset: number): number => src.slice(0, offset).split('\n').length;
    const ast = parse(src, { ecmaVersion: 'latest', sourceType: 'module' }) as unknown as Node;
    const namespaces = new Set<string>(); // local names bound to zod's `z`
    walk(ast, null, (node) => {
      if (node.type === 'ImportExpression' && isNode(node['source']) && nameOf(node['source']) in PREBUNDLED) {
        throw new PrebundleError(`${where}:${line(node.start)}: import('${nameOf(node['source'])}'): a dynamic import's names cannot be listed; import them by name`);
      }
      if (!['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration'].includes(node.type)) return;
      const pkg = nameOf(node['source']);
      const names = used[pkg];
      if (names === undefined) return;
      if (node.type === 'ExportAllDeclaration') throw new PrebundleError(`${where}:${line(node.start)}: export * from '${pkg}': re-export the names one by one`);
      for (const s of (node['specifiers'] as Node[] | undefined) ?? []) {
        if (s.type !== 'ImportSpecifier' && s.type !== 'ExportSpecifier') {
          throw new PrebundleError(`${where}:${line(s.start)}: a default or namespace import of '${pkg}': import { … } by name`);
        }
        const name = nameOf(s.type === 'ImportSpecifier' ? s['imported'] : s['local']);
        names.named.add(name);
        if (pkg === 'zod' && name === 'z' && s.type === 'ImportSpecifier') namespaces.add(nameOf(s['local']));
      }
    });
    if (namespaces.size === 0) continue;
    walk(ast, null, (node, parent) => {
      if (node.type !== 'Identifier' || !namespaces.has(nameOf(node))) return;
      const p = parent ?? { type: '', start: 0 };
      if (p.type === 'MemberExpression' && p['object'] === node) {
        if (p['computed'] === true) throw new PrebundleError(`${where}:${line(node.start)}: z[…]: only z.<name> can be listed`);
        used['zod']!.members.add(nameOf(p['property']));
        return;
      }
      if (p.type === 'ImportSpecifier') return;
      if (p.type === 'MemberExpression' && p['property'] === node && p['computed'] !== true) return; // x.z
      if (p.type === 'Property' && p['key'] === node && p['computed'] !== true && p['shorthand'] !== true) return; // { z: … }
      throw new PrebundleError(`${where}:${line(node.start)}: z used other than as z.<name>`);
    });
  }
  return used;
}

/** The bundle's entry module: the names re-exported, and for zod a frozen `z` holding exactly the members read. */
export function entrySource(pkg: string, { named, members }: UsedNames): string {
  const lines: string[] = [];
  const direct = [...named].filter((n) => n !== 'z').sort();
  if (direct.length > 0) lines.push(`export { ${direct.join(', ')} } from '${pkg}';`);
  if (named.has('z')) {
    const m = [...members].sort();
    lines.push(`import { ${m.map((k) => `${k} as _${k}`).join(', ')} } from '${pkg}';`);
    lines.push(`export const z = Object.freeze({ ${m.map((k) => `${k}: _${k}`).join(', ')} });`);
  }
  return `${lines.join('\n')}\n`;
}

async function bundle(root: string, conditions: readonly string[], source: string, outFile: string): Promise<void> {
  const { rolldown } = await import('rolldown');
  const ENTRY = '\0fenghuo-prebundle-entry';
  const build = await rolldown({
    input: ENTRY,
    cwd: root,
    // 'node' would add the "node" condition, which picks rxjs's and yaml's CommonJS builds (not tree-shakable).
    platform: 'neutral',
    resolve: { conditionNames: [...conditions] },
    treeshake: true,
    plugins: [{ name: 'entry', resolveId: (id: string) => (id === ENTRY ? ENTRY : null), load: (id: string) => (id === ENTRY ? source : null) }],
  });
  try {
    await build.write({ file: outFile, format: 'esm', comments: { legal: true } });
  } finally {
    await build.close();
  }
}

/** Bundles each package dist/ imports into `<distDir>/node_modules/<pkg>/`; returns one line per bundle. */
export async function prebundle(root: string, distDir = join(root, 'dist')): Promise<string[]> {
  const used = await usedNames(distDir);
  const report: string[] = [];
  for (const [pkg, conditions] of Object.entries(PREBUNDLED)) {
    const names = used[pkg]!;
    const outDir = join(distDir, 'node_modules', pkg);
    rmSync(outDir, { recursive: true, force: true });
    if (names.named.size === 0) continue;
    const real = JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string; license?: string };
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, 'index.js');
    await bundle(root, conditions, entrySource(pkg, names), outFile);
    const description = `The part of ${pkg}@${real.version} that dist/ uses, tree-shaken into one file by node-daemon/build/prebundle.ts (issue #16: memory); its source is node_modules/${pkg}.`;
    writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ name: pkg, version: real.version, license: real.license, private: true, type: 'module', exports: './index.js', description }, null, 2)}\n`);
    const mod = (await import(pathToFileURL(outFile).href)) as Record<string, unknown>;
    const missing = [...names.named].filter((n) => mod[n] === undefined);
    if (names.named.has('z')) missing.push(...[...names.members].filter((m) => (mod['z'] as Record<string, unknown> | undefined)?.[m] === undefined).map((m) => `z.${m}`));
    if (missing.length > 0) throw new PrebundleError(`${pkg}: the bundle lacks ${missing.join(', ')}`);
    const count = names.named.size - (names.named.has('z') ? 1 : 0) + names.members.size;
    report.push(`${pkg}@${real.version}: ${count} names, ${(statSync(outFile).size / 1024).toFixed(0)} KB`);
  }
  return report;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('../../..', import.meta.url)); // dist/node-daemon/build/ → the checkout
  try {
    for (const line of await prebundle(root)) console.log(`prebundle: ${line} -> dist/node_modules/`);
  } catch (err) {
    console.error(`prebundle: ${err instanceof PrebundleError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  }
}
