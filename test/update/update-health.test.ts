// Issue #17 item 3: "says so in the log and the UI" — the last update's outcome, written by `fenghuo update` from
// another process (a rollback writes it after the old release is running again), shows in GET /api/v1/health
// (`update`, which the 设备 page renders) and follows the file as it changes, without a restart.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateHealth } from '../../node-daemon/http/contract.js';
import { updateStatePath, writeUpdateRecord, type UpdateRecord } from '../../node-daemon/update/update-state.js';
import { getJson, startDaemon, tempDir, waitUntil, writeConfig, type DaemonProcess } from '../daemon/daemon-harness.js';
import { ensureDistBuilt } from '../helpers/dist-build.js';

const work = tempDir('fenghuo-update-health-');
const dataDir = join(work.dir, 'data');
let d: DaemonProcess;

const at = Date.UTC(2026, 11, 6, 2, 0);
const rolledBack: UpdateRecord = {
  at,
  finishedAt: at + 131_000,
  kind: 'update',
  from: { id: '0.1.0-aaaaaaaaaaaa', version: '0.1.0' },
  to: { id: '0.2.0-bbbbbbbbbbbb', version: '0.2.0' },
  outcome: 'rolled-back',
  reason: 'fenghuo 0.2.0 not healthy within 120 s: first poll cycle not done: 2 of 2 sensors not polled yet',
  schemaBefore: 15,
};

const updateOf = async (): Promise<UpdateHealth | undefined> => (await getJson<{ update?: UpdateHealth }>(`${d.url}/api/v1/health`)).update;

beforeAll(async () => {
  await ensureDistBuilt();
  mkdirSync(dataDir, { recursive: true });
  writeUpdateRecord(dataDir, rolledBack);
  d = await startDaemon({ configFile: writeConfig(work.dir, ''), dataDir });
}, 120_000);

afterAll(async () => {
  if (d !== undefined && !d.exited()) await d.sigterm();
  work.cleanup();
});

describe('the last update in /api/v1/health', () => {
  it('shows a rollback with its reason, then follows the file as fenghuo update rewrites and removes it', async () => {
    expect(await updateOf()).toEqual({
      at,
      finishedAt: at + 131_000,
      kind: 'update',
      fromVersion: '0.1.0',
      toVersion: '0.2.0',
      outcome: 'rolled-back',
      reason: rolledBack.reason,
    });

    writeUpdateRecord(dataDir, { ...rolledBack, at: at + 3_600_000, finishedAt: at + 3_606_000, outcome: 'updated', reason: 'healthy after 6 s' });
    await waitUntil(async () => (await updateOf())?.outcome === 'updated', 10_000, 'the new outcome in health');
    expect((await updateOf())?.reason).toBe('healthy after 6 s');

    rmSync(updateStatePath(dataDir));
    await waitUntil(async () => (await updateOf()) === undefined, 10_000, 'no update once the record is gone');
  });
});
