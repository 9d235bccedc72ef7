import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ClockSync {
  /** Where the answer came from: systemd's timedatectl, the timesyncd marker file, or nothing usable. */
  readonly source: 'timedatectl' | 'timesyncd' | 'unknown';
  /** Whether the system clock is synchronised to NTP; null when unknown. */
  readonly synchronized: boolean | null;
}

export interface ClockSyncProbeOptions {
  /** The timedatectl program (default `timedatectl`, looked up on PATH). */
  readonly timedatectl?: string;
  /** systemd-timesyncd touches this file once the clock is synchronised. */
  readonly syncFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Longest wait for timedatectl (default 2000 ms). */
  readonly timeoutMs?: number;
}

export const TIMESYNC_FILE = '/run/systemd/timesync/synchronized';

function runTimedatectl(cmd: string, env: NodeJS.ProcessEnv | undefined, timeoutMs: number): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(cmd, ['show', '-p', 'NTPSynchronized', '--value'], { timeout: timeoutMs, env: env ?? process.env, encoding: 'utf8' }, (err, stdout) => {
      if (err) return resolve(null);
      const v = stdout.trim();
      resolve(v === 'yes' ? true : v === 'no' ? false : null);
    });
  });
}

/**
 * Whether the clock is NTP-synchronised: `timedatectl show -p NTPSynchronized --value` when it answers (it does
 * not without systemd as init), else systemd-timesyncd's marker file (present: synchronised; its directory present
 * but not the file: timesyncd runs and is not synchronised yet), else unknown.
 */
export async function probeClockSync(opts: ClockSyncProbeOptions = {}): Promise<ClockSync> {
  const viaCtl = await runTimedatectl(opts.timedatectl ?? 'timedatectl', opts.env, opts.timeoutMs ?? 2_000);
  if (viaCtl !== null) return { source: 'timedatectl', synchronized: viaCtl };
  const file = opts.syncFile ?? TIMESYNC_FILE;
  if (existsSync(file)) return { source: 'timesyncd', synchronized: true };
  if (existsSync(dirname(file))) return { source: 'timesyncd', synchronized: false };
  return { source: 'unknown', synchronized: null };
}
