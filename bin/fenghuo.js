#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

// A small young generation: the box runs on a small single-board computer, and V8's default lets start-up garbage
// grow the heap by ~25 MB of resident memory that is never needed again. Set before anything is loaded.
v8.setFlagsFromString('--max-semi-space-size=2');

// `fenghuo hub …` is the county hub (dist/hub/cli.js): dispatched here, so that the box never loads hub code (the
// layer rules of eslint.config.js keep node-daemon/ from importing hub/).
const hub = process.argv[2] === 'hub';
const cli = new URL(hub ? '../dist/hub/cli.js' : '../dist/node-daemon/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('fenghuo: dist/ is missing; run `npm run build` (npm install does this) first');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(hub ? 3 : 2));
