#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/node-daemon/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('fenghuo: dist/ is missing; run `npm run build` (npm install does this) first');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
