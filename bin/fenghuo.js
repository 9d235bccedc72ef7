#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --no-opt --no-sparkplug
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm install` (the prepare script).
//
// V8's flags are given where Node starts, since a heap is sized before any script runs: the line above for an
// installed `fenghuo` command, the same flags in systemd/fenghuo.service (ExecStart) and in package.json (`npm start`).
// --max-semi-space-size=1: a 1 MB young generation (V8's default lets start-up garbage grow the heap by ~25 MB of
// resident memory that is never used again); --optimize-for-size: smaller code and heap growth for a little speed;
// --no-opt --no-sparkplug: V8's interpreter only, no optimising or baseline compiler (their code and deoptimisation
// data cost ~10 MB resident; polling 64 sensors a second used the same 2.7% of a core with and without them).
// bench/daemon-memory.ts reads them from the line above and measures them. `node bin/fenghuo.js` without them runs
// with V8's defaults (as the tests do).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
