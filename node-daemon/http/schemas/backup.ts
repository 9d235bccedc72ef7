import { z } from 'zod';
import { apiSchemas } from '../api-registry.js';

/** `backup` of `GET /health`: the daemon's scheduled backups (node-daemon/backup/scheduled-backup.ts). Free of Node. */

export const backupTargetHealthSchema = z
  .strictObject({
    target: z.string().describe('a folder of backup.to, or "hub"'),
    result: z
      .enum(['ok', 'failed', 'uploading', 'waiting', 'unsupported'])
      .describe('a folder: ok or failed. hub (live): uploading (sentBytes of totalBytes acknowledged), waiting (waitingFor: no_link, over_budget, alarms_waiting, …), ok (the hub acknowledged the whole backup, verified), failed (error), unsupported (the hub takes no backups, or the box is not enrolled with one: `note`)'),
    dir: z.string().optional().describe('the backup folder made there'),
    bytes: z.int().optional(),
    error: z.string().optional().describe('why it failed (e.g. the folder is missing: the USB stick is not plugged in)'),
    note: z.string().optional(),
    removed: z.array(z.string()).describe('older backups removed there to keep backup.keep'),
    rotationError: z.string().optional().describe('the backup was made but older ones could not be removed'),
    sentBytes: z.int().optional().describe('hub: bytes of the backup the hub acknowledged'),
    totalBytes: z.int().optional().describe('hub: bytes of the backup'),
    waitingFor: z.enum(['no_link', 'alarms_waiting', 'health_waiting', 'readings_behind', 'images_waiting', 'over_budget']).optional().describe('hub: what the upload waits for'),
    completedAt: z.int().optional().describe('hub: UTC ms when the hub acknowledged the whole backup'),
  })
  .register(apiSchemas, { id: 'BackupTargetHealth' });

export const backupRunHealthSchema = z.strictObject({
  startedAt: z.int().describe('UTC ms'),
  finishedAt: z.int().describe('UTC ms'),
  result: z.enum(['ok', 'partly_failed', 'failed', 'skipped']).describe('over the folder targets: all ok, some failed, all failed; skipped when there is none (hub only)'),
  identity: z
    .enum(['encrypted', 'omitted-no-passphrase', 'none'])
    .optional()
    .describe('the identity keys: encrypted with backup.passphraseFile, left out for want of one, or none (not enrolled)'),
  targets: z.array(backupTargetHealthSchema),
});

export const backupHealthSchema = z
  .strictObject({
    schedule: z.string().describe('backup.schedule, a cron expression'),
    timeZone: z.string().describe('the zone the schedule is read in (site.timezone)'),
    keep: z.int(),
    targets: z.array(z.string()).describe('backup.to'),
    passphrase: z.boolean().describe('whether backup.passphraseFile is set: without it the identity keys are left out of every backup'),
    running: z.boolean(),
    nextDueAt: z.int().optional().describe('UTC ms of the next scheduled backup; absent when the schedule never fires again'),
    last: backupRunHealthSchema.optional().describe('the last backup since the daemon started'),
    lastOkAt: z.int().optional().describe('UTC ms: the last backup that succeeded at every folder'),
    skippedOverlaps: z.int().describe('due times skipped because the backup before was still running'),
    alarmOpen: z.boolean().describe('the fault alarm fault:backup is open (the last backup failed somewhere)'),
  })
  .register(apiSchemas, { id: 'BackupHealth' });

export type BackupHealth = z.output<typeof backupHealthSchema>;
export type BackupRunHealth = z.output<typeof backupRunHealthSchema>;
export type BackupTargetHealth = z.output<typeof backupTargetHealthSchema>;
