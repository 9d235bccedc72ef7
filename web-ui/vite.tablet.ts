import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { precompress } from './precompress.mjs';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const hash = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 10);

/**
 * What the operators' page needs on a slow link and while the box restarts (issue 16 item 3), added to the UI's Vite
 * build:
 * - `assets/boot-<hash>.js` (web-ui/boot.js), named first in index.html's head, async: it sends GET /api/v1/bootstrap
 *   while the main bundle still downloads;
 * - `sw.js` (web-ui/sw.js, with the build's shell list and version written before it): the service worker;
 * - `.gz` and `.br` copies of every text file (web-ui/precompress.mjs), served as they are by the daemon.
 */
export function tabletShell(): Plugin {
  const boot = readFileSync(here('./boot.js'), 'utf8');
  const bootFile = `assets/boot-${hash(boot)}.js`;
  let outDir = '';
  return {
    name: 'fenghuo-tablet-shell',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    transformIndexHtml() {
      return [{ tag: 'script', attrs: { src: `/${bootFile}`, async: true }, injectTo: 'head-prepend' }];
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: bootFile, source: boot });
    },
    writeBundle(_options, bundle) {
      const assets = Object.keys(bundle).filter((f) => f.startsWith('assets/')).sort();
      const shell = ['/', ...assets.map((f) => `/${f}`)];
      const index = readFileSync(join(outDir, 'index.html'), 'utf8');
      const version = hash(JSON.stringify(shell) + index);
      const head = `// Written by web-ui/vite.tablet.ts at build time.\nvar SHELL = ${JSON.stringify(shell)};\nvar VERSION = ${JSON.stringify(version)};\n`;
      writeFileSync(join(outDir, 'sw.js'), head + readFileSync(here('./sw.js'), 'utf8'));
      precompress(outDir);
    },
  };
}
