// The county hub's backup verbs (hub/cli.ts dispatches them; the hub may run during `backup`, must be stopped for
// `restore`):
//   fenghuo hub backup [--to DIR] [--config FILE] [--passphrase-file F | --passphrase-env VAR]
//   fenghuo hub restore FROM [--config FILE] [--passphrase-file F | --passphrase-env VAR] [--force]
import { readFileSync } from 'node:fs';
import type { CliIo } from '../../node-daemon/core/cli-io.js';
import { WrongPassphraseError } from '../../node-daemon/backup/encrypt.js';
import { BackupRefused } from '../../node-daemon/backup/manifest.js';
import { parseVerbArgs, usageError, type VerbUsage } from '../cli-verbs.js';
import type { HubConfig } from '../config.js';
import { LATEST_VERSION } from '../store/migrations.js';
import { restoreHubBackup } from './restore.js';
import { createHubBackup, HubBackupUsageError, POSTGRES_BACKUP_ADVICE } from './snapshot.js';

export const HUB_BACKUP_USAGE = `  fenghuo hub backup [--to DIR] [--config FILE] [--passphrase-file F | --passphrase-env VAR]
      A consistent copy of the hub (embedded SQLite store) while it runs: the store (SQLite online backup), the
      published content, the config file, and the county key encrypted with the passphrase (left out without one),
      with a manifest (versions, sha256 of every file) into DIR/fenghuo-hub-backup-<UTC time>/ (default
      <dataDir>/backups). PostgreSQL store: exit 2, use systemd/fenghuo-hub-pg-backup.sh (pg_dump).
  fenghuo hub restore FROM [--config FILE] [--passphrase-file F | --passphrase-env VAR] [--force]
      Restore a backup where the config puts the store, content and county key; the hub must be stopped. Refuses a
      damaged file (naming it), a newer schema, a wrong passphrase, and a hub with data without --force (then what
      is there is moved aside as <name>.before-restore-<ms>, not deleted).`;

const USAGE: VerbUsage = { prefix: 'fenghuo hub', text: `Usage:\n${HUB_BACKUP_USAGE}` };

/** Loads the hub config (`--config FILE` or the defaults); a number is the exit code after a reported problem. */
export type LoadHubConfig = (file: string | undefined) => Promise<HubConfig | number>;

const passphraseOptions = { 'passphrase-file': { type: 'string' }, 'passphrase-env': { type: 'string' } } as const;

class PassphraseProblem extends Error {}

/** The passphrase from --passphrase-file (its first line) or --passphrase-env; undefined when neither is given. */
function passphraseOf(values: { readonly 'passphrase-file'?: string | undefined; readonly 'passphrase-env'?: string | undefined }): string | undefined {
  const file = values['passphrase-file'];
  const env = values['passphrase-env'];
  if (file !== undefined && env !== undefined) throw new PassphraseProblem('give the passphrase once: --passphrase-file or --passphrase-env');
  let passphrase: string | undefined;
  if (file !== undefined) {
    try {
      passphrase = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (err) {
      throw new PassphraseProblem(`--passphrase-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (env !== undefined) {
    passphrase = process.env[env];
    if (passphrase === undefined) throw new PassphraseProblem(`--passphrase-env ${env}: that environment variable is not set`);
  }
  if (passphrase !== undefined && passphrase.length === 0) throw new PassphraseProblem('the passphrase is empty');
  return passphrase;
}

/** Exit 2 for what the operator can fix (usage, a refused backup, a wrong passphrase), 1 for failures (disk, in use). */
function fail(io: CliIo, err: unknown): number {
  if (err instanceof PassphraseProblem) return usageError(io, USAGE, err.message);
  io.err(`fenghuo hub: ${err instanceof Error ? err.message : String(err)}`);
  return err instanceof HubBackupUsageError || err instanceof BackupRefused || err instanceof WrongPassphraseError ? 2 : 1;
}

function size(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export async function hubBackupCommand(args: readonly string[], loadConfig: LoadHubConfig, io: CliIo): Promise<number> {
  const parsed = parseVerbArgs(args, { to: { type: 'string' }, config: { type: 'string' }, ...passphraseOptions }, io, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0) return usageError(io, USAGE, `hub backup takes no arguments (got ${positionals.join(' ')}); the folder goes with --to DIR`);
  if (values.to === '') return usageError(io, USAGE, '--to needs a directory');
  try {
    const passphrase = passphraseOf(values);
    const cfg = await loadConfig(values.config);
    if (typeof cfg === 'number') return cfg;
    if (cfg.store.kind !== 'sqlite') {
      io.err(`fenghuo hub: ${POSTGRES_BACKUP_ADVICE}`);
      return 2;
    }
    const r = await createHubBackup({
      config: cfg,
      ...(values.config === undefined ? {} : { configFile: values.config }),
      ...(values.to === undefined ? {} : { to: values.to }),
      ...(passphrase === undefined ? {} : { passphrase }),
    });
    const m = r.manifest;
    const key = m.countyKey.state === 'encrypted' ? 'county key encrypted' : m.countyKey.state === 'omitted-no-passphrase' ? 'county key LEFT OUT (no passphrase given)' : 'no county key yet';
    io.out(r.dir);
    io.out(
      `hub backup ok: ${m.files.length} ${m.files.length === 1 ? 'file' : 'files'}, ${size(r.bytes)}, hub schema ${m.schemaVersion}, ${m.database.boxes} boxes, ` +
        `${m.database.records} records, ${m.content.length} content files, ${m.images.length} picture files, ${m.config === null ? 'no config' : 'config'}, ${key}`,
    );
    for (const n of m.notIncluded) io.err(`fenghuo hub: not in the backup: ${n.path} (${n.why})`);
    if (m.countyKey.state === 'omitted-no-passphrase') {
      io.err(`fenghuo hub: the county key ${m.countyKey.source} is not in this backup: keep a copy of it somewhere safe, or back up with --passphrase-file; boxes trust only that key`);
    }
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

export async function hubRestoreCommand(args: readonly string[], loadConfig: LoadHubConfig, io: CliIo): Promise<number> {
  const parsed = parseVerbArgs(args, { config: { type: 'string' }, force: { type: 'boolean' }, ...passphraseOptions }, io, USAGE);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [from, ...extra] = positionals;
  if (from === undefined || from === '') return usageError(io, USAGE, 'hub restore needs the backup directory: fenghuo hub restore FROM');
  if (extra.length > 0) return usageError(io, USAGE, `hub restore takes one backup directory (got ${positionals.join(' ')})`);
  try {
    const passphrase = passphraseOf(values);
    const cfg = await loadConfig(values.config);
    if (typeof cfg === 'number') return cfg;
    const r = await restoreHubBackup({ from, config: cfg, force: values.force === true, ...(passphrase === undefined ? {} : { passphrase }) });
    const m = r.manifest;
    io.out(`restored ${from} (made ${m.createdAtIso} by fenghuo ${m.fenghuoVersion}) into ${r.storePath}`);
    io.out(
      `  store: hub schema ${r.schemaFrom}${r.schemaTo !== r.schemaFrom ? ` migrated to ${r.schemaTo}` : ''} (this fenghuo: ${LATEST_VERSION}), integrity_check ok, ` +
        `${r.boxes} boxes, ${r.records} records, ${r.readings} readings`,
    );
    io.out(`  content: ${r.contentFiles} files`);
    io.out(`  camera pictures: ${r.imageFiles} files`);
    if (r.countyKeyFile !== undefined) io.out(`  county key: ${r.countyKeyFile}`);
    else if (m.countyKey.state === 'omitted-no-passphrase') io.out(`  county key: not in this backup (made without a passphrase): put the hub's county.key back at ${cfg.countyKeyFile} before starting it, or boxes will refuse its answers`);
    else io.out('  county key: none in the backup (the hub had not made one)');
    if (m.config !== null) io.out(`  config: ${from}/${m.config.file} (was ${m.config.source}): copy it to where the hub reads it`);
    for (const n of m.notIncluded) io.out(`  not in the backup: ${n.path} (${n.why})`);
    for (const a of r.movedAside) io.out(`  moved aside: ${a}`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}
