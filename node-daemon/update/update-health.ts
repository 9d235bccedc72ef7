import { statSync } from 'node:fs';
import type { UpdateHealth } from '../http/schemas/update.js';
import { readUpdateRecord, updateStatePath } from './update-state.js';

/**
 * The last update's outcome for `/health` (and so the 设备 page): `fenghuo update` writes it from another process,
 * possibly after this daemon started (a rollback restarts the old release first), so it is read again whenever the
 * file changes (by mtime and size), not once at start.
 */
export function updateHealthSource(dataDir: string): () => UpdateHealth | undefined {
  let seen: { key: string; value: UpdateHealth | undefined } | undefined;
  return () => {
    const st = statSync(updateStatePath(dataDir), { throwIfNoEntry: false });
    const key = st === undefined ? 'none' : `${st.mtimeMs}:${st.size}`;
    if (seen?.key === key) return seen.value;
    const { record } = st === undefined ? {} : readUpdateRecord(dataDir);
    const value: UpdateHealth | undefined =
      record === undefined
        ? undefined
        : {
            at: record.at,
            ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
            kind: record.kind,
            fromVersion: record.from.version,
            ...(record.to === undefined ? {} : { toVersion: record.to.version }),
            outcome: record.outcome,
            reason: record.reason,
          };
    seen = { key, value };
    return value;
  };
}
