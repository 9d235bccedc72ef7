import { formatProblems, summarizeProblems } from '../node-daemon/config/format-problems.js';
import { processIo, type CliIo } from '../node-daemon/core/cli-io.js';
import { formatEnrolCode, generateEnrolCode } from '../node-daemon/sync/enrol/code.js';
import { BOX_ID_PATTERN, BOX_ID_RULE } from '../node-daemon/sync/outbox/box-id.js';
import { ACCOUNT_USAGE, accountCommand } from './accounts/cli.js';
import { HUB_BACKUP_USAGE, hubBackupCommand, hubRestoreCommand } from './backup/cli.js';
import { parseVerbArgs, usageError as verbUsageError, withHubStore, type VerbUsage } from './cli-verbs.js';
import { defaultHubConfig, loadHubConfigFile, type HubConfig } from './config.js';
import { publishFiles, withdrawPaths } from './content/publish-cli.js';
import { isOrderCommand, ORDER_USAGE, orderCommand } from './orders/order-cli.js';
import { runHub } from './run.js';

/**
 * `fenghuo hub …`, the county hub's command line (bin/fenghuo.js dispatches `hub` here, so the box never loads
 * this). Resolves to the exit code: 0 ok, 1 failure while running, 2 bad command line or invalid configuration.
 */

export const HUB_USAGE = `fenghuo hub: the county hub (docs/sync.md)

Usage:
  fenghuo hub [--config FILE]
      Run the hub until SIGTERM/SIGINT. The county key is made on first start (<dataDir>/county.key, 0600).
  fenghuo hub enrol-code [--config FILE] [--box ID] [--ttl 24h]
      Print a one-time enrolment code (stdout: the code alone). --box binds it to that box id; --ttl is how long it
      is good for (s, m, h or d; default 24h, at most 30d). On the box: fenghuo enroll --hub URL --code CODE
  fenghuo hub revoke BOX [--config FILE]
      Revoke a box: its requests are refused (403) from now on. Unknown BOX: exit 2.
  fenghuo hub publish FILE... [--path P] [--title T] [--to BOX,...] [--config FILE]
      Publish content: stored once by sha256 under <dataDir>/content/, sent to the boxes in a signed content
      manifest; each box installs it as <data>/content/P (default: the file's name). --to: these boxes only.
      Publishing to a path that is published replaces that file.
  fenghuo hub withdraw PATH... [--config FILE]
      Withdraw published content: the boxes delete it.

${ACCOUNT_USAGE}
${ORDER_USAGE}
${HUB_BACKUP_USAGE}

  --config FILE  the hub's YAML configuration (default: none; listen 127.0.0.1:8470, SQLite in ./hub-data)

Exit status: 0 ok, 1 failure while running, 2 bad command line or invalid configuration.`;

const DEFAULT_TTL = '24h';
const MAX_TTL_MS = 30 * 24 * 3600_000;

/** `90s`, `30m`, `24h`, `7d` → ms; undefined when not one (or out of 1 minute … 30 days). */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(text.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return ms >= 60_000 && ms <= MAX_TTL_MS ? ms : undefined;
}

const HUB: VerbUsage = { prefix: 'fenghuo hub', text: HUB_USAGE };

function usageError(io: CliIo, message: string): number {
  return verbUsageError(io, HUB, message);
}

async function config(file: string | undefined, io: CliIo, what: string): Promise<HubConfig | number> {
  if (file === undefined) return defaultHubConfig();
  if (file === '') return usageError(io, '--config needs a file');
  const loaded = await loadHubConfigFile(file);
  if (loaded.ok) return loaded.config;
  for (const line of formatProblems(loaded.problems, { file, zh: /^zh/i.test(process.env.LC_ALL ?? process.env.LANG ?? '') })) io.err(line);
  io.err(`fenghuo hub: ${file} is not valid (${summarizeProblems(loaded.problems)}); ${what}`);
  return 2;
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  // `hub order …` has its own flags (order-cli.ts).
  if (isOrderCommand(argv)) {
    try {
      return await orderCommand(argv, (file) => config(file, io, 'no order issued'), io);
    } catch (err) {
      io.err(`fenghuo hub: ${err instanceof Error ? err.message : String(err)}`);
      return 1;
    }
  }
  // `hub backup` and `hub restore` have their own flags (backup/cli.ts).
  if (argv[0] === 'backup') return hubBackupCommand(argv.slice(1), (file) => config(file, io, 'no backup made'), io);
  if (argv[0] === 'restore') return hubRestoreCommand(argv.slice(1), (file) => config(file, io, 'nothing restored'), io);
  const parsed = parseVerbArgs(
    argv,
    {
      config: { type: 'string' },
      box: { type: 'string' },
      ttl: { type: 'string' },
      role: { type: 'string' },
      path: { type: 'string' },
      title: { type: 'string' },
      to: { type: 'string' },
    },
    io,
    HUB,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [verb, ...args] = positionals;
  try {
    switch (verb) {
      case undefined: {
        if (values.box !== undefined || values.ttl !== undefined) return usageError(io, '--box and --ttl go with hub enrol-code');
        const cfg = await config(values.config, io, 'not starting');
        return typeof cfg === 'number' ? cfg : await runHub(cfg);
      }
      case 'enrol-code':
        if (args.length > 0) return usageError(io, `hub enrol-code takes no arguments (got ${args.join(' ')})`);
        return await enrolCode(values, io);
      case 'revoke':
        if (values.box !== undefined || values.ttl !== undefined) return usageError(io, '--box and --ttl go with hub enrol-code');
        if (args.length !== 1 || args[0] === undefined) return usageError(io, 'hub revoke needs one box id: fenghuo hub revoke BOX');
        return await revoke(args[0], values.config, io);
      case 'publish': {
        if (values.box !== undefined || values.ttl !== undefined) return usageError(io, '--box and --ttl go with hub enrol-code');
        const cfg = await config(values.config, io, 'nothing published');
        return typeof cfg === 'number' ? cfg : await publishFiles(args, values, cfg, io);
      }
      case 'withdraw': {
        if (values.box !== undefined || values.ttl !== undefined) return usageError(io, '--box and --ttl go with hub enrol-code');
        const cfg = await config(values.config, io, 'nothing withdrawn');
        return typeof cfg === 'number' ? cfg : await withdrawPaths(args, cfg, io);
      }
      case 'account':
        if (values.box !== undefined || values.ttl !== undefined) return usageError(io, '--box and --ttl go with hub enrol-code');
        return await accountCommand(args, values, () => config(values.config, io, 'no account changed'), io);
      default:
        return usageError(io, `unknown verb "hub ${verb}"`);
    }
  } catch (err) {
    io.err(`fenghuo hub: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

async function enrolCode(values: { config?: string; box?: string; ttl?: string }, io: CliIo): Promise<number> {
  if (values.box !== undefined && !BOX_ID_PATTERN.test(values.box)) return usageError(io, `--box ${values.box}: ${BOX_ID_RULE}`);
  const ttlText = values.ttl ?? DEFAULT_TTL;
  const ttlMs = parseTtl(ttlText);
  if (ttlMs === undefined) return usageError(io, `--ttl ${ttlText}: expected a number with s, m, h or d (e.g. 30m, 24h, 7d), from 1 minute to 30 days`);
  const cfg = await config(values.config, io, 'no code made');
  if (typeof cfg === 'number') return cfg;
  return withHubStore(cfg, async (store) => {
    const code = generateEnrolCode(values.box);
    const now = Date.now();
    await store.createEnrolmentCode({ code: code.canonical, createdAt: now, expiresAt: now + ttlMs, ...(values.box === undefined ? {} : { label: values.box }) });
    const shown = formatEnrolCode(code);
    io.out(shown);
    io.err(
      `fenghuo hub: one-time code${values.box === undefined ? '' : ` for box ${values.box}`}, good until ${new Date(now + ttlMs).toISOString()}; ` +
        `on the box: fenghuo enroll --hub <this hub's URL> --code ${shown}${values.box === undefined ? ' --box <ID>' : ''}`,
    );
    return 0;
  });
}

async function revoke(boxId: string, configFile: string | undefined, io: CliIo): Promise<number> {
  const cfg = await config(configFile, io, 'nothing revoked');
  if (typeof cfg === 'number') return cfg;
  return withHubStore(cfg, async (store) => {
    const box = await store.getBox(boxId);
    if (box === undefined) {
      io.err(`fenghuo hub: no box ${JSON.stringify(boxId)} at this hub`);
      return 2;
    }
    if (box.revokedAt !== null) {
      io.out(`box ${boxId} was already revoked at ${new Date(box.revokedAt).toISOString()}`);
      return 0;
    }
    const at = Date.now();
    await store.revokeBox(boxId, at);
    io.out(`revoked box ${boxId} at ${new Date(at).toISOString()}`);
    return 0;
  });
}
