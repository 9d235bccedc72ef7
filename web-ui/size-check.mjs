#!/usr/bin/env node
// Checks the built UI (dist/web-ui) for the township tablets: the first load (index.html, with the scripts and the
// stylesheet the build put inside it, and every script and stylesheet it names) must stay under 300 KB gzipped, and
// the scripts, inline or files, must parse as ES2018 without the ES2018 parts Chrome 61 lacks (async iteration, regex
// lookbehind / named groups / dotAll / property escapes) and without import() or import.meta.
// `node web-ui/size-check.mjs [dir]` prints the sizes and exits 1 on a failure.
import { Buffer } from 'node:buffer';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as acorn from 'acorn';

export const LIMIT_GZ_BYTES = 300 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DIR = join(here, '..', 'dist', 'web-ui');

/** The files index.html loads on first visit, relative to the dist folder. */
export function firstLoadFiles(dir) {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const refs = [];
  const re = /<(?:script|link)\b[^>]*?\b(?:src|href)="\/([^"]+)"/g;
  let m;
  while ((m = re.exec(html)) !== null) refs.push(m[1]);
  return ['index.html', ...refs];
}

/**
 * The inline scripts of a page that run (no src; no type, or module): `{ module, source }` each, in page order.
 * The UI's index.html carries its boot script and its main bundle this way (vite.tablet.ts).
 */
export function inlineScripts(html) {
  const found = [];
  const re = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    const attrs = m[1];
    if (/\ssrc\s*=/i.test(attrs)) continue;
    const type = /\stype\s*=\s*"([^"]*)"/i.exec(attrs)?.[1] ?? '';
    if (type !== '' && type !== 'module' && !/javascript/i.test(type)) continue;
    found.push({ module: type === 'module', source: m[2] });
  }
  return found;
}

/** Calls visit(node) for every node of an ESTree AST. */
function walk(node, visit) {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (typeof node.type === 'string') visit(node);
  for (const key of Object.keys(node)) {
    if (key !== 'type' && key !== 'start' && key !== 'end') walk(node[key], visit);
  }
}

/** Syntax Chrome 61 cannot run; returns a list of findings (empty when the script is fine). */
export function chrome61Problems(source, name = 'script', sourceType = 'module') {
  const problems = [];
  let ast;
  try {
    ast = acorn.parse(source, { ecmaVersion: 2018, sourceType });
  } catch (err) {
    return [`${name}: not ES2018 (${err.message}); something newer than Chrome 61 was left unlowered`];
  }
  walk(ast, (node) => {
    if (node.type === 'ForOfStatement' && node.await) problems.push(`${name}: for await at ${node.start}`);
    else if (node.type === 'ImportExpression') problems.push(`${name}: import() at ${node.start}`);
    else if (node.type === 'MetaProperty' && node.meta.name === 'import') problems.push(`${name}: import.meta at ${node.start}`);
    else if (node.type === 'Literal' && node.regex !== undefined) {
      const { pattern, flags } = node.regex;
      if (flags.includes('s')) problems.push(`${name}: regex dotAll flag /${pattern}/${flags}`);
      if (/\(\?<[=!]/.test(pattern)) problems.push(`${name}: regex lookbehind /${pattern}/`);
      if (/\(\?<[A-Za-z_$]/.test(pattern)) problems.push(`${name}: regex named group /${pattern}/`);
      if (flags.includes('u') && /\\[pP]\{/.test(pattern)) problems.push(`${name}: regex property escape /${pattern}/`);
    }
  });
  return problems;
}

export function checkDist(dir = DEFAULT_DIR) {
  const files = firstLoadFiles(dir).map((rel) => {
    const bytes = readFileSync(join(dir, rel));
    return { file: rel, bytes: bytes.length, gzBytes: gzipSync(bytes, { level: 9 }).length };
  });
  const totalGz = files.reduce((sum, f) => sum + f.gzBytes, 0);
  const problems = [];
  for (const f of files) {
    if (f.file.endsWith('.js')) problems.push(...chrome61Problems(readFileSync(join(dir, f.file), 'utf8'), f.file));
  }
  // Inside index.html (already counted in its size): each inline script, a module or a classic one.
  const inline = inlineScripts(readFileSync(join(dir, 'index.html'), 'utf8')).map((s, i) => {
    const name = `index.html <script${s.module ? ' type=module' : ''}> #${i + 1}`;
    problems.push(...chrome61Problems(s.source, name, s.module ? 'module' : 'script'));
    const bytes = Buffer.from(s.source, 'utf8');
    return { file: name, bytes: bytes.length, gzBytes: gzipSync(bytes, { level: 9 }).length };
  });
  // The build's pre-compressed copies (x.js.gz, x.js.br) are named after their file. With everything of the first
  // screen inside index.html there may be no assets folder at all.
  const assets = existsSync(join(dir, 'assets')) ? readdirSync(join(dir, 'assets')).filter((a) => !/\.(?:gz|br)$/.test(a)) : [];
  const unhashed = assets.filter((a) => !/-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(a));
  if (unhashed.length > 0) problems.push(`assets without a content hash: ${unhashed.join(', ')}`);
  if (totalGz > LIMIT_GZ_BYTES) problems.push(`first load ${totalGz} bytes gzipped, over ${LIMIT_GZ_BYTES}`);
  return { files, inline, totalGz, problems };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = checkDist(process.argv[2] ?? DEFAULT_DIR);
  for (const f of result.files) console.log(`web-ui: ${f.file.padEnd(36)} ${String(f.bytes).padStart(8)} B  ${String(f.gzBytes).padStart(7)} B gz`);
  for (const f of result.inline) console.log(`web-ui:   ${f.file.padEnd(34)} ${String(f.bytes).padStart(8)} B  ${String(f.gzBytes).padStart(7)} B gz (inside index.html)`);
  console.log(`web-ui: first load ${(result.totalGz / 1024).toFixed(1)} KB gzipped (limit ${LIMIT_GZ_BYTES / 1024} KB)`);
  for (const p of result.problems) console.error(`web-ui: ${p}`);
  process.exit(result.problems.length === 0 ? 0 : 1);
}
