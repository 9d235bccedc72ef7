import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatProblems, summarizeProblems } from './config/format-problems.js';
import { LISTEN_EXPECTED, parseListen } from './config/listen.js';
import { loadConfigFile } from './config/load.js';
import type { Config } from './config/schema.js';
import type { DemoOverlay } from './config/demo-overlay.js';
import { processIo, type CliIo } from './core/cli-io.js';
import { packageRoot } from './core/paths.js';
import { runDaemon } from './daemon.js';

export type { CliIo };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const USAGE = `fenghuo 烽火: township flood-warning edge box

Usage:
  fenghuo run [--config FILE | --with FILE] [--data DIR] [--listen HOST:PORT]
      Run the box until SIGTERM/SIGINT. Without --config it runs the embedded demo on a simulated site.
        --config FILE       YAML configuration, checked before anything starts (see config/example.yaml)
        --with FILE         demo only: YAML sections added to the demo's config (uplinks: report the demo's
                            gauges to an SL 651 centre, e.g. fenghuo sim --sl651-centre)
        --data DIR          directory of the SQLite database (default ./data)
        --listen HOST:PORT  address of the HTTP API, overrides http.listen
  fenghuo check-config [--zh] FILE
      Check a configuration file and print every problem (--zh: with Chinese explanations).
  fenghuo users reset-password NAME [--data DIR] [--stdin]
      On the box: set a new password for the account NAME (asked twice on the terminal, or the first line of
      stdin with --stdin) and end all its sessions. Works while the daemon runs. Unknown NAME: exit 2.
  fenghuo setup-code [--data DIR]
      On the box: print the one-time setup code a first-run setup from another computer needs (exit 1 if none).
  fenghuo enroll --hub URL --code CODE [--box ID] [--data DIR] [--force]
      Enrol this box with the county hub (fenghuo enroll --help); keys and enrolment go to DIR/sync/.
  fenghuo backup [--to DIR] [--data DIR] [--config FILE] [--passphrase-file F | --passphrase-env VAR]
      On the box, while the daemon runs: a consistent copy of the database (SQLite online backup), the config file,
      the identity (DIR/sync/, encrypted with the passphrase; left out without one) and a manifest with every file's
      sha256, into TO/fenghuo-backup-YYYYMMDD-HHMMSSZ/ (default TO: DIR/backups).
  fenghuo restore FROM [--data DIR] [--passphrase-file F | --passphrase-env VAR] [--force]
      With the daemon stopped: check the backup FROM (every file's sha256, its schema version) and restore its
      database and identity into DIR (an empty one; --force: the database there is moved aside, never deleted).
  fenghuo update FILE [--deadline-s N] [--data DIR] [--config FILE] [--health-url URL] [--service-ctl PROGRAM]
      On the box, as root: back up the data (DIR/backups/pre-update/), install the release FILE (a release tarball
      or .deb) beside the running one, switch to it, restart, and wait up to N s (120) for it to be healthy (health
      answers, every sensor polled); if it is not, go back to the previous release and the backed-up data on its
      own (exit 1). DIR default /var/lib/fenghuo; the outcome is kept in DIR/update/last-update.json.
  fenghuo update --rollback [--restore-backup] [...]
      Go back to the release the last update kept, data as it is; --restore-backup also puts back the pre-update
      backup (needed when the update's migrations went past what the previous release knows: it says so).
  fenghuo version [--data DIR]
      The running release (version, directory), the database's schema version (read only) and the last update.
  fenghuo hub [--config FILE]
      Run the county hub (fenghuo hub --help: also hub enrol-code [--box ID] [--ttl 24h] and hub revoke BOX).
  fenghuo sim [ARGS...]     Run the site simulator on its own (fenghuo sim --help)
  fenghuo schema            Print the JSON Schema of the configuration file
  fenghuo --help            Show this text
  fenghuo --version         Show the version (only)

Exit status: 0 ok, 1 failure while running, 2 bad command line or invalid configuration.`;

/** The `fenghuo` command. Resolves to the process exit code; never calls process.exit. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        return usageError(io, 'a command is required');
      case '-h':
      case '--help':
      case 'help':
        io.out(USAGE);
        return EXIT_OK;
      case '-V':
      case '--version':
        io.out(version());
        return EXIT_OK;
      case 'version':
        return await (await import('./update/update-cli.js')).versionCommand(rest, io);
      case 'update':
        return await (await import('./update/update-cli.js')).updateCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      case 'check-config':
        return await checkConfigCommand(rest, io);
      case 'users':
        return await usersCommand(rest, io);
      case 'setup-code':
        return await setupCodeCommand(rest, io);
      case 'sim':
        return await (await import('./sim/sim-cli.js')).simMain(rest);
      case 'enroll':
        return await (await import('./sync/enrol/enrol-cli.js')).enrollCommand(rest, io);
      case 'backup':
        return await (await import('./backup/cli.js')).backupCommand(rest, io);
      case 'restore':
        return await (await import('./backup/cli.js')).restoreCommand(rest, io);
      case 'hub':
        // The box never loads hub code: bin/fenghuo.js hands `hub` to dist/hub/cli.js before this file is loaded.
        io.err('fenghuo: run the hub through the launcher: fenghuo hub … (bin/fenghuo.js)');
        return EXIT_USAGE;
      case 'schema':
        if (rest.length > 0) return usageError(io, `schema takes no arguments (got ${rest.join(' ')})`);
        io.out((await import('./config/json-schema.js')).renderConfigJsonSchema().trimEnd());
        return EXIT_OK;
      default:
        return usageError(io, `unknown command "${command}"`);
    }
  } catch (err) {
    io.err(`fenghuo: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILURE;
  }
}

function usageError(io: CliIo, message: string): number {
  io.err(`fenghuo: ${message}`);
  io.err('');
  io.err(USAGE);
  return EXIT_USAGE;
}

/** parseArgs, with its exceptions turned into a usage error. */
function parse<const T extends ParseArgsConfig>(config: T, io: CliIo): ReturnType<typeof parseArgs<T>> | number {
  try {
    return parseArgs(config);
  } catch (err) {
    return usageError(io, err instanceof Error ? err.message : String(err));
  }
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(
    {
      args: [...args],
      options: {
        config: { type: 'string' },
        with: { type: 'string' },
        data: { type: 'string', default: './data' },
        listen: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.help === true) {
    io.out(USAGE);
    return EXIT_OK;
  }
  if (values.data === '') return usageError(io, '--data needs a directory');
  if (values.listen !== undefined) {
    const listen = parseListen(values.listen);
    if (!listen.ok) return usageError(io, `--listen ${values.listen}: ${listen.reason}; expected ${LISTEN_EXPECTED}`);
  }
  if (values.with !== undefined && values.config !== undefined) return usageError(io, '--with adds to the embedded demo; with --config put those sections in the config file');
  let demoOverlay: DemoOverlay | undefined;
  if (values.with !== undefined) {
    const [{ loadDemoOverlay }, { DEMO_DEVICES }, { DEMO_SITE_ID }] = await Promise.all([import('./config/demo-overlay.js'), import('./sim/demo-site.js'), import('./demo.js')]);
    const loaded = await loadDemoOverlay(values.with, { sensorIds: DEMO_DEVICES.map((d) => d.sensorId), siteIds: [DEMO_SITE_ID] });
    if (!loaded.ok) {
      for (const line of formatProblems(loaded.problems, { file: values.with, zh: wantsChinese() })) io.err(line);
      io.err(`fenghuo: ${values.with} is not valid (${summarizeProblems(loaded.problems)}); not starting`);
      return EXIT_USAGE;
    }
    demoOverlay = loaded.overlay;
  }
  let config: Config | undefined;
  if (values.config !== undefined) {
    const loaded = await loadConfigFile(values.config);
    if (!loaded.ok) {
      for (const line of formatProblems(loaded.problems, { file: values.config, zh: wantsChinese() })) io.err(line);
      io.err(`fenghuo: ${values.config} is not valid (${summarizeProblems(loaded.problems)}); not starting`);
      return EXIT_USAGE;
    }
    for (const line of formatProblems(loaded.warnings, { file: values.config, zh: wantsChinese() })) io.err(line);
    config = loaded.config;
  }
  return runDaemon({
    dataDir: values.data ?? './data',
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(config !== undefined ? { config } : {}),
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    ...(demoOverlay !== undefined ? { demoOverlay } : {}),
  });
}

async function usersCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(
    {
      args: [...args],
      options: { data: { type: 'string', default: './data' }, stdin: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.values.help === true) {
    io.out(USAGE);
    return EXIT_OK;
  }
  const [verb, name, ...extra] = parsed.positionals;
  if (verb !== 'reset-password') return usageError(io, verb === undefined ? 'users needs a verb: users reset-password NAME' : `unknown verb "users ${verb}"`);
  if (name === undefined || name.trim() === '') return usageError(io, 'users reset-password needs the account name');
  if (extra.length > 0) return usageError(io, `users reset-password takes one name (got ${[name, ...extra].join(' ')})`);
  if (parsed.values.data === '') return usageError(io, '--data needs a directory');
  return (await import('./cli-auth.js')).resetPassword({ dataDir: parsed.values.data ?? './data', name: name.trim(), fromStdin: parsed.values.stdin === true }, io);
}

async function setupCodeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse(
    { args: [...args], options: { data: { type: 'string', default: './data' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.values.help === true) {
    io.out(USAGE);
    return EXIT_OK;
  }
  if (parsed.values.data === '') return usageError(io, '--data needs a directory');
  return (await import('./cli-auth.js')).printSetupCode({ dataDir: parsed.values.data ?? './data' }, io);
}

async function checkConfigCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parse({ args: [...args], options: { zh: { type: 'boolean' } }, allowPositionals: true, strict: true }, io);
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) return usageError(io, 'check-config needs the configuration file to check');
  if (extra.length > 0) return usageError(io, `check-config checks one file (got ${parsed.positionals.join(' ')})`);
  const zh = parsed.values.zh === true || wantsChinese();
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    for (const line of formatProblems(loaded.problems, { file, zh })) io.err(line);
    io.err(`${file}: ${summarizeProblems(loaded.problems)}`);
    return EXIT_USAGE;
  }
  for (const line of formatProblems(loaded.warnings, { file, zh })) io.err(line);
  const { buses, sensors } = loaded.config;
  io.out(`ok: ${file} (${buses.length} ${buses.length === 1 ? 'bus' : 'buses'}, ${sensors.length} ${sensors.length === 1 ? 'sensor' : 'sensors'})`);
  return EXIT_OK;
}

function wantsChinese(): boolean {
  return /^zh/i.test(process.env.LC_ALL ?? process.env.LC_MESSAGES ?? process.env.LANG ?? '');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return `fenghuo ${typeof pkg.version === 'string' ? pkg.version : 'unknown'}`;
}
