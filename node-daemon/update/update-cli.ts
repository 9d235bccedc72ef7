// The console verbs for updates, run on the box:
//   fenghuo update FILE [--deadline-s N] [options]          (as root)
//   fenghuo update --rollback [--restore-backup] [options]  (as root)
//   fenghuo version [--data DIR]
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfigFile } from '../config/load.js';
import { parseListen } from '../config/listen.js';
import type { CliIo } from '../core/cli-io.js';
import { createLogger } from '../core/log.js';
import { packageRoot } from '../core/paths.js';
import { httpUrl } from '../http/bind-address.js';
import { latestSchemaVersion } from '../backup/restore.js';
import { readSchemaVersion } from './data-safety.js';
import { probeHealth } from './health-probe.js';
import { runManualRollback } from './manual-rollback.js';
import { currentRelease, DEFAULT_CONFIG, DEFAULT_DATA_DIR, DEFAULT_PREFIX, installedReleaseOf, packageVersionIn, type BoxPaths } from './releases.js';
import { runUpdate, type UpdateDeps } from './run-update.js';
import { commandServiceControl, systemdServiceControl } from './service-control.js';
import { readUpdateRecord, type UpdateRecord } from './update-state.js';

export const UPDATE_USAGE = `Usage:
  fenghuo update FILE [--deadline-s N] [--data DIR] [--config FILE] [--prefix DIR] [--health-url URL] [--service-ctl PROGRAM]
  fenghuo update --rollback [--restore-backup] [same options]
  fenghuo version [--data DIR]`;

export const DEFAULT_DEADLINE_S = 120;
/** A healthy answer must hold this long (from the same process) to count. */
const SETTLE_MS = 3_000;
const PROBE_EVERY_MS = 1_000;

class UsageError extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where health answers: --health-url, else the config's http.listen (a wildcard host asked on loopback). */
async function healthUrlOf(explicit: string | undefined, configPath: string | undefined): Promise<string> {
  if (explicit !== undefined) return explicit;
  let listen = '127.0.0.1:8080';
  if (configPath !== undefined && existsSync(configPath)) {
    const loaded = await loadConfigFile(configPath);
    if (!loaded.ok) throw new UsageError(`${configPath} is not valid: give --health-url, or fix it first (fenghuo check-config ${configPath})`);
    listen = loaded.config.http.listen;
  }
  const parsed = parseListen(listen);
  if (!parsed.ok) throw new UsageError(`http.listen ${listen}: ${parsed.reason}`);
  const host = parsed.address.host === '0.0.0.0' ? '127.0.0.1' : parsed.address.host === '::' ? '::1' : parsed.address.host;
  return httpUrl(host, parsed.address.port);
}

export async function updateCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        rollback: { type: 'boolean' },
        'restore-backup': { type: 'boolean' },
        'deadline-s': { type: 'string' },
        data: { type: 'string' },
        config: { type: 'string' },
        prefix: { type: 'string' },
        destdir: { type: 'string' },
        'health-url': { type: 'string' },
        'service-ctl': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usage(io, err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(UPDATE_USAGE);
    return 0;
  }
  const rollback = values.rollback === true;
  const [file, ...extra] = positionals;
  if (rollback && positionals.length > 0) return usage(io, `--rollback takes no file (got ${positionals.join(' ')})`);
  if (!rollback && file === undefined) return usage(io, 'update needs the release file: fenghuo update FILE (a fenghuo-VERSION-ARCH.tar.gz or .deb)');
  if (extra.length > 0) return usage(io, `update takes one file (got ${positionals.join(' ')})`);
  if (values['restore-backup'] === true && !rollback) return usage(io, '--restore-backup goes with --rollback');
  const deadlineS = Number(values['deadline-s'] ?? DEFAULT_DEADLINE_S);
  if (!Number.isFinite(deadlineS) || deadlineS <= 0) return usage(io, `--deadline-s ${values['deadline-s']}: a number of seconds above 0`);
  const prefix = values.prefix ?? DEFAULT_PREFIX;
  if (!isAbsolute(prefix)) return usage(io, '--prefix must be absolute');
  const root = values.destdir === undefined ? '' : resolve(values.destdir);
  if (root === '' && process.getuid?.() !== 0) return usage(io, 'run it as root (sudo fenghuo update …): it installs into /opt/fenghuo and restarts the service');

  try {
    const configPath = values.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
    const box: BoxPaths = { root, prefix, dataDir: resolve(values.data ?? DEFAULT_DATA_DIR), ...(configPath !== undefined ? { configPath } : {}) };
    if (!existsSync(box.dataDir)) return usage(io, `no data dir ${box.dataDir}: give the daemon's with --data DIR`);
    const healthUrl = await healthUrlOf(values['health-url'], configPath);
    const deps: UpdateDeps = {
      now: Date.now,
      sleep,
      // The structured events go to stderr: stdout carries the one-line answer only.
      log: createLogger({ destination: pino.destination({ dest: 2, sync: true }) }),
      service: values['service-ctl'] !== undefined ? commandServiceControl(values['service-ctl']) : systemdServiceControl(),
      probe: () => probeHealth(healthUrl),
    };
    const limits = { deadlineMs: deadlineS * 1000, settleMs: Math.min(SETTLE_MS, deadlineS * 500), probeEveryMs: PROBE_EVERY_MS };
    // Losing the terminal (an ssh that drops) must not stop an update half-way: the outcome is in last-update.json.
    process.on('SIGHUP', () => undefined);
    const result = rollback
      ? await runManualRollback({ ...limits, box, restoreBackup: values['restore-backup'] === true }, deps)
      : await runUpdate({ ...limits, file: resolve(file ?? ''), box }, deps);
    (result.exitCode === 0 ? io.out : io.err)(result.line);
    return result.exitCode;
  } catch (err) {
    if (err instanceof UsageError) return usage(io, err.message);
    throw err;
  }
}

function usage(io: CliIo, message: string): number {
  io.err(`fenghuo: ${message}`);
  io.err(UPDATE_USAGE);
  return 2;
}

// ---- fenghuo version ----

export async function versionCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
  } catch (err) {
    return usage(io, err instanceof Error ? err.message : String(err));
  }
  if (parsed.values.help === true) {
    io.out(UPDATE_USAGE);
    return 0;
  }
  const root = packageRoot();
  const installed = installedReleaseOf(root);
  // On an installed box the daemon's data is in /var/lib/fenghuo; from a checkout, ./data like the other verbs.
  const dataDir = resolve(parsed.values.data ?? (installed !== undefined ? DEFAULT_DATA_DIR : './data'));
  io.out(`fenghuo ${packageVersionIn(root)}`);
  if (installed !== undefined) {
    const prefix = resolve(installed.dir, '..', '..');
    const current = currentRelease({ root: '', prefix });
    const note = current === installed.id ? '(current)' : `(NOT current: ${prefix}/current -> releases/${current ?? 'nothing'})`;
    io.out(`  release:     ${installed.dir} ${note}`);
  } else {
    io.out(`  release:     not an installed release (running from ${root})`);
  }
  let schema: string;
  try {
    const v = readSchemaVersion(dataDir);
    schema = v === undefined ? `no database in ${dataDir}` : `schema ${v} (this release knows up to ${latestSchemaVersion()}) in ${dataDir}`;
  } catch (err) {
    schema = `cannot read ${dataDir}: ${err instanceof Error ? err.message : String(err)}`;
  }
  io.out(`  database:    ${schema}`);
  const last = readUpdateRecord(dataDir);
  io.out(`  last update: ${last.record !== undefined ? describeRecord(last.record) : (last.problem ?? 'none recorded')}`);
  return 0;
}

export function describeRecord(r: UpdateRecord): string {
  const when = new Date(r.finishedAt ?? r.at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const what = r.kind === 'manual-rollback' ? 'manual rollback' : 'update';
  const target = r.to === undefined ? '?' : r.to.version;
  const healthy = r.rollbackHealthy === undefined ? '' : r.rollbackHealthy ? '; healthy after it' : '; NOT healthy after it';
  return `${r.outcome} (${what} ${r.from.version} -> ${target}, ${when}): ${r.reason}${healthy}${r.backup !== undefined ? `; backup ${r.backup}` : ''}`;
}
