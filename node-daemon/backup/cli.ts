// The console verbs for backups, run on the box (the daemon may run during `backup`, must be stopped for `restore`):
//   fenghuo backup [--to DIR] [--data DIR] [--config FILE] [--passphrase-file F | --passphrase-env VAR]
//   fenghuo restore FROM [--data DIR] [--passphrase-file F | --passphrase-env VAR] [--force]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CliIo } from '../core/cli-io.js';
import { WrongPassphraseError } from './encrypt.js';
import { BackupRefused } from './manifest.js';
import { latestSchemaVersion, restoreBackup } from './restore.js';
import { BackupUsageError, createBackup } from './snapshot.js';

/** Exit status: 0 done, 1 failed (disk full, database in use…), 2 bad command line or a backup refused. */
export type BackupCliExit = 0 | 1 | 2;

export const BACKUP_USAGE = `Usage:
  fenghuo backup [--to DIR] [--data DIR] [--config FILE] [--passphrase-file F | --passphrase-env VAR]
  fenghuo restore FROM [--data DIR] [--passphrase-file F | --passphrase-env VAR] [--force]`;

class UsageError extends Error {}

const passphraseOptions = {
  'passphrase-file': { type: 'string' },
  'passphrase-env': { type: 'string' },
} as const;

/** The passphrase from --passphrase-file (its first line) or --passphrase-env; undefined when neither is given. */
function passphraseOf(values: { 'passphrase-file'?: string | undefined; 'passphrase-env'?: string | undefined }): string | undefined {
  const file = values['passphrase-file'];
  const env = values['passphrase-env'];
  if (file !== undefined && env !== undefined) throw new UsageError('give the passphrase once: --passphrase-file or --passphrase-env');
  let passphrase: string | undefined;
  if (file !== undefined) {
    try {
      passphrase = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (err) {
      throw new UsageError(`--passphrase-file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (env !== undefined) {
    passphrase = process.env[env];
    if (passphrase === undefined) throw new UsageError(`--passphrase-env ${env}: that environment variable is not set`);
  }
  if (passphrase !== undefined && passphrase.length === 0) throw new UsageError('the passphrase is empty');
  return passphrase;
}

function fail(io: CliIo, err: unknown): BackupCliExit {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError) {
    io.err(`fenghuo: ${message}`);
    io.err(BACKUP_USAGE);
    return 2;
  }
  io.err(`fenghuo: ${message}`);
  if (err instanceof BackupUsageError || err instanceof BackupRefused || err instanceof WrongPassphraseError) return 2;
  return 1;
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export async function backupCommand(args: readonly string[], io: CliIo): Promise<BackupCliExit> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...args],
        options: { to: { type: 'string' }, data: { type: 'string', default: './data' }, config: { type: 'string' }, ...passphraseOptions, help: { type: 'boolean', short: 'h' } },
        allowPositionals: false,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const { values } = parsed;
    if (values.help === true) {
      io.out(BACKUP_USAGE);
      return 0;
    }
    if (values.data === '' || values.to === '' || values.config === '') throw new UsageError('--data, --to and --config need a path');
    const passphrase = passphraseOf(values);
    const result = await createBackup({
      dataDir: values.data ?? './data',
      ...(values.to !== undefined ? { to: values.to } : {}),
      ...(values.config !== undefined ? { configPath: values.config } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
    const m = result.manifest;
    const identity =
      m.identity.state === 'encrypted' ? 'identity encrypted' : m.identity.state === 'omitted-no-passphrase' ? 'identity LEFT OUT (no passphrase given)' : 'no identity (not enrolled)';
    io.out(result.dir);
    io.out(
      `backup ok: ${m.files.length} ${m.files.length === 1 ? 'file' : 'files'}, ${mib(result.bytes)}, schema ${m.schemaVersion}, change log up to seq ${m.database.changeLogSeq}, ${m.config === null ? 'no config' : 'config'}, ${identity}`,
    );
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}

export async function restoreCommand(args: readonly string[], io: CliIo): Promise<BackupCliExit> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...args],
        options: { data: { type: 'string', default: './data' }, force: { type: 'boolean' }, ...passphraseOptions, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const { values, positionals } = parsed;
    if (values.help === true) {
      io.out(BACKUP_USAGE);
      return 0;
    }
    const [from, ...extra] = positionals;
    if (from === undefined || from === '') throw new UsageError('restore needs the backup directory: fenghuo restore FROM');
    if (extra.length > 0) throw new UsageError(`restore takes one backup directory (got ${positionals.join(' ')})`);
    if (values.data === '') throw new UsageError('--data needs a directory');
    const passphrase = passphraseOf(values);
    const r = await restoreBackup({ from, dataDir: values.data ?? './data', force: values.force === true, ...(passphrase !== undefined ? { passphrase } : {}) });
    const m = r.manifest;
    io.out(`restored ${from} (made ${m.createdAtIso} by fenghuo ${m.fenghuoVersion}) into ${r.dataDir}`);
    io.out(
      `  database: schema ${r.schemaFrom}${r.schemaTo !== r.schemaFrom ? ` migrated to ${r.schemaTo}` : ''} (this fenghuo: ${latestSchemaVersion()}), integrity_check ok, ${r.readings} readings, ${r.openAlarms} open alarms, ${r.users} accounts, change log up to seq ${m.database.changeLogSeq}`,
    );
    if (r.identity.length > 0) io.out(`  identity: ${r.identity.map((f) => `sync/${f}`).join(', ')}`);
    else if (m.identity.state === 'omitted-no-passphrase') io.out('  identity: not in this backup (made without a passphrase): enrol the box again (fenghuo enroll)');
    else io.out('  identity: none (the box was not enrolled)');
    if (m.config !== null) io.out(`  config: ${from}/${m.config.file} (was ${m.config.source}): copy it to where the daemon reads it`);
    for (const aside of r.movedAside) io.out(`  moved aside: ${aside}`);
    return 0;
  } catch (err) {
    return fail(io, err);
  }
}
