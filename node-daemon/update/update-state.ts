import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { giveToDataOwner } from './data-owner.js';

/** `<data>/update/last-update.json`: what the last `fenghuo update` (or `--rollback`) did, for `fenghuo version`. */

export const updateOutcomes = ['in-progress', 'updated', 'rolled-back', 'failed'] as const;
export type UpdateOutcome = (typeof updateOutcomes)[number];

const releaseRef = z.strictObject({ id: z.string(), version: z.string() });

export const updateRecordSchema = z.strictObject({
  /** When the update started (UTC ms). */
  at: z.int(),
  /** When the outcome was known (UTC ms). */
  finishedAt: z.int().optional(),
  kind: z.enum(['update', 'manual-rollback']),
  from: releaseRef,
  /** Undefined while the new release is not installed yet. */
  to: releaseRef.optional(),
  outcome: z.enum(updateOutcomes),
  reason: z.string(),
  /** The pre-update backup (restore it with fenghuo restore, or fenghuo update --rollback --restore-backup). */
  backup: z.string().optional(),
  /** The database schema before the update, and after it (as the new release left it). */
  schemaBefore: z.int().optional(),
  schemaAfter: z.int().optional(),
  /** After a rollback: whether the release rolled back to answered healthy. */
  rollbackHealthy: z.boolean().optional(),
});

export type UpdateRecord = z.infer<typeof updateRecordSchema>;

export function updateStatePath(dataDir: string): string {
  return join(dataDir, 'update', 'last-update.json');
}

export function writeUpdateRecord(dataDir: string, record: UpdateRecord): void {
  const path = updateStatePath(dataDir);
  mkdirSync(join(dataDir, 'update'), { recursive: true, mode: 0o750 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(updateRecordSchema.parse(record), null, 2)}\n`, { mode: 0o640 });
  renameSync(tmp, path);
  giveToDataOwner(dataDir, [join(dataDir, 'update')]);
}

/** The last record, undefined when none; a damaged file reads as undefined with a reason. */
export function readUpdateRecord(dataDir: string): { readonly record?: UpdateRecord; readonly problem?: string } {
  const path = updateStatePath(dataDir);
  if (!existsSync(path)) return {};
  try {
    const parsed = updateRecordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? { record: parsed.data } : { problem: `${path} is not a valid update record` };
  } catch (err) {
    return { problem: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
