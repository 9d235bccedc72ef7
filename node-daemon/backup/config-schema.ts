import { z } from 'zod';
import { cronProblem } from '../../broadcast/station/programme-schedule.js';

/**
 * The `backup` section of the box's configuration: scheduled backups made by the daemon itself (issue #17 item 1).
 * Absent: no scheduled backups (`fenghuo backup` still works). Pure.
 */

/** The target that means the county hub through the sync link (node-daemon/sync/backup-upload/). */
export const HUB_TARGET = 'hub';
export const DEFAULT_KEEP = 7;

const target = z
  .string()
  .min(1)
  .refine((t) => t === HUB_TARGET || (t.startsWith('/') && !t.split('/').includes('..')), `an absolute folder path such as /media/usb/fenghuo, or "${HUB_TARGET}" (the county hub)`);

export const backupConfigSchema = z
  .strictObject({
    schedule: z
      .string()
      .min(1)
      .superRefine((cron, ctx) => {
        // The syntax alone: the box's zone (site.timezone) is checked on its own key.
        const problem = cronProblem(cron, 'UTC');
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `not a cron expression croner reads: ${problem}` });
      })
      .describe('when to back up: a cron expression (minute hour day month weekday, or seconds first) in site.timezone; e.g. "30 3 * * *" every day at 03:30'),
    keep: z.int().min(1).max(1000).default(DEFAULT_KEEP).describe('complete backups kept in each folder; older ones are removed after a backup succeeded there'),
    to: z
      .array(target)
      .min(1)
      .superRefine((list, ctx) => {
        const seen = new Map<string, number>();
        list.forEach((t, i) => {
          const key = t === HUB_TARGET ? t : t.replace(/\/+$/, '');
          const first = seen.get(key);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `${t} is listed twice (also backup.to[${first}])` });
          else seen.set(key, i);
        });
      })
      .describe(`where each backup goes: existing absolute folders (a mounted USB stick, e.g. /media/usb/fenghuo; a missing folder is a failed backup, never created), and "${HUB_TARGET}" for the county hub (sent through the sync link as bulk traffic, within sync.budget; needs an enrolled box)`),
    passphraseFile: z
      .string()
      .refine((p) => p.startsWith('/'), 'an absolute path, e.g. /etc/fenghuo/backup-pass')
      .optional()
      .describe('a file whose first line is the passphrase that encrypts the box\'s identity keys in each backup; without it the identity is left out'),
  })
  .describe('scheduled backups by the daemon (as `fenghuo backup`): database, config file and, with a passphrase, the encrypted identity');

export type BackupConfig = z.output<typeof backupConfigSchema>;
