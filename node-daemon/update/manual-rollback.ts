import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSchemaVersion } from './data-safety.js';
import type { WaitLimits } from './health-probe.js';
import { currentRelease, installedReleases, packageVersionIn, releaseDir, type BoxPaths } from './releases.js';
import { rollBack, type UpdateDeps, type UpdateResult } from './run-update.js';
import { readUpdateRecord, writeUpdateRecord, type UpdateRecord } from './update-state.js';

/**
 * `fenghuo update --rollback [--restore-backup]`: back to the release kept by the last update.
 *
 * The data: by default the database stays as it is (nothing recorded since the update is lost), which works as long
 * as the previous release knows the database's schema. When the update's migrations went past it, the previous
 * release could not open the database: the rollback is refused unless --restore-backup, which puts the pre-update
 * backup back (what was recorded since the update is then only in the moved-aside file). No time limit: the schema
 * decides, and the message says how old the backup is.
 */

export interface ManualRollbackOptions extends WaitLimits {
  readonly box: BoxPaths;
  readonly restoreBackup: boolean;
}

/** The newest schema the release in `dir` knows (its own migrations list), or undefined if it cannot be read. */
async function latestSchemaOf(dir: string): Promise<number | undefined> {
  const file = join(dir, 'dist', 'node-daemon', 'storage', 'migrations.js');
  if (!existsSync(file)) return undefined;
  try {
    const mod = (await import(pathToFileURL(file).href)) as { MIGRATIONS?: readonly { version: number }[] };
    return mod.MIGRATIONS?.reduce((max, m) => Math.max(max, m.version), 0);
  } catch {
    return undefined;
  }
}

const ageOf = (ms: number): string => (ms < 2 * 3600_000 ? `${Math.round(ms / 60_000)} min` : ms < 2 * 86_400_000 ? `${Math.round(ms / 3600_000)} h` : `${Math.round(ms / 86_400_000)} days`);

export async function runManualRollback(opts: ManualRollbackOptions, deps: UpdateDeps): Promise<UpdateResult> {
  const { box, log } = { box: opts.box, log: deps.log };
  const currentId = currentRelease(box);
  if (currentId === undefined) return { exitCode: 1, line: `rollback refused: no ${box.prefix}/current here` };
  const last = readUpdateRecord(box.dataDir).record;
  // Never "back" to a release an update already rolled back from: it is kept only for a look at what went wrong.
  const failed = last?.kind === 'update' && last.outcome !== 'updated' ? last.to?.id : undefined;
  const others = installedReleases(box).filter((id) => id !== currentId && id !== failed);
  // The release the last successful update came from; without such a record, the one other release install.sh kept.
  const fromLast = last?.kind === 'update' && last.outcome === 'updated' && last.to?.id === currentId && others.includes(last.from.id) ? last : undefined;
  const targetId = fromLast?.from.id ?? (others.length === 1 ? others[0] : undefined);
  if (targetId === undefined) {
    return { exitCode: 1, line: `rollback refused: no previous release to go back to (installed: ${installedReleases(box).join(', ') || 'none'}; current: ${currentId})` };
  }
  const from = { id: currentId, version: packageVersionIn(releaseDir(box, currentId)) };
  const to = { id: targetId, version: packageVersionIn(releaseDir(box, targetId)) };
  const backup = fromLast?.backup !== undefined && existsSync(fromLast.backup) ? fromLast.backup : undefined;
  const backupNote = backup === undefined || fromLast === undefined ? '' : `the pre-update backup ${backup} (made ${ageOf(deps.now() - fromLast.at)} ago)`;

  const schemaNow = readSchemaVersion(box.dataDir);
  const targetKnows = (await latestSchemaOf(releaseDir(box, targetId))) ?? fromLast?.schemaBefore;
  const tooNew = schemaNow !== undefined && targetKnows !== undefined && schemaNow > targetKnows;
  if (opts.restoreBackup && backup === undefined) return { exitCode: 1, line: `rollback refused: --restore-backup, but there is no pre-update backup of the update to ${from.version} to restore` };
  if (tooNew && !opts.restoreBackup) {
    return {
      exitCode: 1,
      line:
        `rollback refused: the database is at schema ${schemaNow}, fenghuo ${to.version} knows up to ${targetKnows} and could not open it; ` +
        (backup === undefined
          ? 'there is no pre-update backup to restore (fenghuo restore an older backup with the daemon stopped)'
          : `fenghuo update --rollback --restore-backup puts back ${backupNote} (what the box recorded since then stays only in the moved-aside database)`),
    };
  }

  const at = deps.now();
  const base: UpdateRecord = { at, kind: 'manual-rollback', from, to, outcome: 'in-progress', reason: 'manual rollback', ...(backup === undefined ? {} : { backup }) };
  writeUpdateRecord(box.dataDir, base);
  log.info({ event: 'update.rollback.start', from, to, restoreBackup: opts.restoreBackup, schemaNow: schemaNow ?? null, targetKnows: targetKnows ?? null }, `rolling back to ${to.id}`);
  try {
    const back = await rollBack(box, to, opts.restoreBackup ? backup : null, deps, opts);
    const record: UpdateRecord = {
      ...base,
      outcome: 'rolled-back',
      finishedAt: deps.now(),
      reason: `manual rollback${opts.restoreBackup ? ', pre-update backup restored' : ', data kept'}`,
      rollbackHealthy: back.healthy,
    };
    writeUpdateRecord(box.dataDir, record);
    const hint = !opts.restoreBackup && backupNote !== '' ? ` (data kept; --restore-backup would put back ${backupNote})` : '';
    return back.healthy
      ? { exitCode: 0, line: `rolled back: fenghuo ${from.version} -> ${to.version} (${releaseDir(box, to.id)}), healthy${hint}`, record }
      : { exitCode: 1, line: `rolled back to fenghuo ${to.version}, but it is NOT healthy: ${back.reason}`, record };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const record: UpdateRecord = { ...base, outcome: 'failed', finishedAt: deps.now(), reason: `manual rollback failed: ${reason}` };
    writeUpdateRecord(box.dataDir, record);
    log.error({ event: 'update.rollback.failed', reason }, reason);
    return { exitCode: 1, line: `rollback FAILED: ${reason} (current -> ${currentRelease(box) ?? 'nothing'})`, record };
  }
}
