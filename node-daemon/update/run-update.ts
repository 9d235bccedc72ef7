import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { hasDatabase, moveDatabaseAside, preUpdateBackup, readSchemaVersion, restorePreUpdateBackup } from './data-safety.js';
import type { ProbeResult } from './health-watch.js';
import { waitHealthy, type WaitLimits } from './health-probe.js';
import { installRelease, openReleaseFile } from './install-release.js';
import { currentRelease, packageVersionIn, releaseDir, switchCurrent, type BoxPaths } from './releases.js';
import type { ServiceControl } from './service-control.js';
import { readUpdateRecord, updateStatePath, writeUpdateRecord, type UpdateRecord } from './update-state.js';

/**
 * `fenghuo update FILE`: install the release next to the running one (install.sh), back up the data, switch and
 * restart, wait for the new release to be healthy; if it is not by the deadline, go back on its own (release, data,
 * restart) and say so. Each step logs an `update.*` event; the outcome goes to <data>/update/last-update.json.
 */

export interface UpdateDeps {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: Logger;
  readonly service: ServiceControl;
  readonly probe: () => Promise<ProbeResult>;
}

export interface UpdateOptions extends WaitLimits {
  readonly file: string;
  readonly box: BoxPaths;
}

export interface UpdateResult {
  readonly exitCode: 0 | 1;
  /** The one-line answer for the technician. */
  readonly line: string;
  readonly record?: UpdateRecord;
}

interface Ref {
  readonly id: string;
  readonly version: string;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function runUpdate(opts: UpdateOptions, deps: UpdateDeps): Promise<UpdateResult> {
  const { box } = opts;
  const { log } = deps;
  const fromId = currentRelease(box);
  if (fromId === undefined) return { exitCode: 1, line: `update refused: no ${box.prefix}/current here: install the box with install.sh first` };
  const from: Ref = { id: fromId, version: packageVersionIn(releaseDir(box, fromId)) };
  const at = deps.now();
  const work = mkdtempSync(join(tmpdir(), 'fenghuo-update-'));
  let record: UpdateRecord = { at, kind: 'update', from, outcome: 'in-progress', reason: `installing ${opts.file}` };
  let restarted = false;
  // Nothing is recorded for a file refused before anything changed: the record of the last real update (what
  // --rollback goes back to) stays.
  const previousRecord = readUpdateRecord(box.dataDir).record;
  let saved = false;
  const save = (r: UpdateRecord): UpdateRecord => {
    record = r;
    writeUpdateRecord(box.dataDir, r);
    saved = true;
    return r;
  };
  try {
    // 1. The new release, next to the running one; install.sh switches `current` but starts nothing.
    const release = await openReleaseFile(opts.file, work);
    log.info({ event: 'update.start', from, file: opts.file, version: release.version, installScript: release.installScript }, `updating fenghuo ${from.version} to ${release.version}`);
    save(record);
    try {
      await installRelease(release, box);
    } catch (err) {
      if (currentRelease(box) !== from.id) switchCurrent(box, from.id);
      throw err;
    }
    const toId = currentRelease(box);
    if (toId === undefined) throw new Error(`install.sh left no ${box.prefix}/current`);
    const to: Ref = { id: toId, version: packageVersionIn(releaseDir(box, toId)) };
    if (to.id === from.id) {
      if (previousRecord !== undefined) writeUpdateRecord(box.dataDir, previousRecord);
      else rmSync(updateStatePath(box.dataDir), { force: true });
      log.info({ event: 'update.unchanged', release: to }, 'the release is already the running one');
      return { exitCode: 0, line: `fenghuo ${to.version} (${to.id}) is already the running release: nothing to do` };
    }
    log.info({ event: 'update.installed', release: to, previous: from }, `installed ${to.id}; ${from.id} kept`);

    // 2. The data as it is now (the old release keeps running meanwhile).
    let backup: { dir: string; schemaVersion: number } | undefined;
    try {
      backup = hasDatabase(box.dataDir) ? await preUpdateBackup(box.dataDir, box.configPath) : undefined;
    } catch (err) {
      switchCurrent(box, from.id);
      throw new Error(`the pre-update backup failed, nothing changed (${from.id} still runs): ${messageOf(err)}`, { cause: err });
    }
    log.info({ event: 'update.backed_up', backup: backup?.dir ?? null, schema: backup?.schemaVersion ?? null }, backup === undefined ? 'no database yet: no backup' : `backup ${backup.dir}`);
    save({ ...record, to, reason: 'restarting into the new release', ...(backup === undefined ? {} : { backup: backup.dir, schemaBefore: backup.schemaVersion }) });

    // 3. Restart into it, and watch.
    const restartedAt = deps.now();
    restarted = true;
    let health: { healthy: boolean; reason: string; afterMs: number };
    try {
      await deps.service.restart();
      log.info({ event: 'update.restarted', release: to, service: deps.service.describe }, `restarted into ${to.id}`);
      health = await waitHealthy({ version: to.version, restartedAt }, deps, opts);
    } catch (err) {
      health = { healthy: false, reason: `the restart failed: ${messageOf(err)}`, afterMs: deps.now() - restartedAt };
    }
    if (health.healthy) {
      const r = save({ ...record, outcome: 'updated', finishedAt: deps.now(), reason: `healthy after ${seconds(health.afterMs)}`, ...optionalSchemaAfter(box.dataDir) });
      log.info({ event: 'update.done', release: to, previous: from, afterMs: health.afterMs }, `fenghuo ${to.version} is healthy`);
      return {
        exitCode: 0,
        line: `updated: fenghuo ${from.version} -> ${to.version} (${releaseDir(box, to.id)}), healthy after ${seconds(health.afterMs)}; ${from.id} kept (fenghuo update --rollback goes back)`,
        record: r,
      };
    }

    // 4. Not healthy in time: back to the previous release and the data as it was.
    const reason = `not healthy within ${seconds(opts.deadlineMs)}: ${health.reason}`;
    log.error({ event: 'update.unhealthy', release: to, reason }, `fenghuo ${to.version} is not healthy: rolling back to ${from.version}`);
    const schemaAfter = readSchemaVersionSafe(box.dataDir);
    const back = await rollBack(box, from, backup?.dir, deps, opts);
    const r = save({
      ...record,
      outcome: 'rolled-back',
      finishedAt: deps.now(),
      reason,
      rollbackHealthy: back.healthy,
      ...(schemaAfter === undefined ? {} : { schemaAfter }),
    });
    const data = backup === undefined ? 'no database before the update' : `data restored from ${backup.dir}`;
    const kept = back.movedAside.length > 0 ? `; the new release's database kept as ${back.movedAside[0]}` : '';
    return {
      exitCode: 1,
      line: `ROLLED BACK: fenghuo ${to.version} ${reason}; fenghuo ${from.version} runs again (${back.healthy ? 'healthy' : `NOT healthy: ${back.reason}`}), ${data}${kept}`,
      record: r,
    };
  } catch (err) {
    // Before the restart nothing changed for the running daemon; after it, this is a restart or rollback that failed.
    const reason = restarted ? `after the restart: ${messageOf(err)}` : messageOf(err);
    log.error({ event: 'update.failed', from, restarted, reason }, `update failed: ${reason}`);
    const failed: UpdateRecord = { ...record, outcome: 'failed', finishedAt: deps.now(), reason };
    const r = saved ? save(failed) : failed;
    const check = restarted ? ` (current -> ${currentRelease(box) ?? 'nothing'}; check fenghuo version and journalctl -u fenghuo)` : ` (${from.id} still runs)`;
    return { exitCode: 1, line: `update FAILED: ${reason}${check}`, record: r };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function readSchemaVersionSafe(dataDir: string): number | undefined {
  try {
    return readSchemaVersion(dataDir);
  } catch {
    return undefined;
  }
}

function optionalSchemaAfter(dataDir: string): { schemaAfter?: number } {
  const v = readSchemaVersionSafe(dataDir);
  return v === undefined ? {} : { schemaAfter: v };
}

export interface RollBackResult {
  readonly healthy: boolean;
  readonly reason: string;
  readonly movedAside: readonly string[];
}

/**
 * Stop, `current` back to `to`, the data back from `backupDir` (or, with none, the database the failed release made
 * moved aside), start, and wait for `to` to be healthy. `backupDir` null: keep the data as it is (a manual rollback
 * whose schema the previous release still knows).
 */
export async function rollBack(box: BoxPaths, to: Ref, backupDir: string | undefined | null, deps: UpdateDeps, limits: WaitLimits): Promise<RollBackResult> {
  const { log } = deps;
  await deps.service.stop();
  log.info({ event: 'update.rollback.stopped', service: deps.service.describe }, 'daemon stopped');
  switchCurrent(box, to.id);
  log.info({ event: 'update.rollback.switched', release: to }, `current -> releases/${to.id}`);
  let movedAside: readonly string[] = [];
  if (backupDir !== null) {
    movedAside = backupDir === undefined ? moveDatabaseAside(box.dataDir, deps.now()) : (await restorePreUpdateBackup(box.dataDir, backupDir)).movedAside;
    log.info({ event: 'update.rollback.restored', backup: backupDir ?? null, movedAside }, backupDir === undefined ? 'database moved aside' : `data restored from ${backupDir}`);
  }
  const restartedAt = deps.now();
  await deps.service.start();
  const health = await waitHealthy({ version: to.version, restartedAt }, deps, limits);
  log[health.healthy ? 'info' : 'error'](
    { event: 'update.rollback.done', release: to, healthy: health.healthy, reason: health.reason },
    health.healthy ? `fenghuo ${to.version} is healthy again` : `fenghuo ${to.version} is not healthy after the rollback either`,
  );
  return { healthy: health.healthy, reason: health.reason, movedAside };
}
