#!/usr/bin/env node
// Pre-compresses a built page (dist/web-ui by default) for the daemon to serve as it is (node-daemon/http/static-ui.ts):
// beside every text file of at least 512 bytes, `<file>.gz` (gzip level 9) and `<file>.br` (brotli quality 11, text
// mode), so the box never compresses a file at run time. Run by the UI's Vite build (vite.tablet.ts) after it wrote
// the files; `node web-ui/precompress.mjs [dir]` does it again and prints the sizes.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** What the daemon serves compressed (static-ui.ts COMPRESSIBLE) and its size floor (GZIP_MIN_BYTES). */
export const TEXT = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.map', '.svg', '.txt']);
export const MIN_BYTES = 512;

function files(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Writes the .gz and .br copies; returns what it wrote, with the sizes. */
export function precompress(dir) {
  const written = [];
  for (const path of files(dir)) {
    if (!TEXT.has(extname(path).toLowerCase())) continue;
    const body = readFileSync(path);
    if (body.length < MIN_BYTES) continue;
    const gz = gzipSync(body, { level: 9 });
    const br = brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
    writeFileSync(`${path}.gz`, gz);
    writeFileSync(`${path}.br`, br);
    written.push({ file: relative(dir, path), bytes: body.length, gzBytes: gz.length, brBytes: br.length });
  }
  return written;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web-ui');
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  for (const f of precompress(dir)) console.log(`web-ui: ${f.file.padEnd(36)} ${String(f.bytes).padStart(8)} B  ${String(f.gzBytes).padStart(7)} B gz  ${String(f.brBytes).padStart(7)} B br`);
}
