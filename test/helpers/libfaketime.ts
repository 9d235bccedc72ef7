import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

/**
 * The preload library of Debian's libfaketime for this machine's architecture, or undefined when not installed.
 * The multi-threaded one (libfaketimeMT) is preferred: Node runs threads; `multiThreadedOnly` refuses the other.
 */
export function findLibfaketime(opts: { readonly multiThreadedOnly?: boolean } = {}): string | undefined {
  const lines: string[] = [];
  const ask = (cmd: string, args: string[], pick: (l: string) => string): void => {
    try {
      lines.push(...execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').map(pick));
    } catch {
      /* not this distribution, or not installed */
    }
  };
  ask('dpkg', ['-L', 'libfaketime'], (l) => l);
  ask('ldconfig', ['-p'], (l) => l.split('=> ')[1] ?? '');
  lines.push('/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/faketime/libfaketimeMT.so.1');
  const files = lines.map((l) => l.trim()).filter((l) => l !== '' && existsSync(l));
  const mt = files.find((f) => f.endsWith('/libfaketimeMT.so.1'));
  return opts.multiThreadedOnly === true ? mt : (mt ?? files.find((f) => f.endsWith('/libfaketime.so.1')));
}

/** libfaketime's shared memory and semaphore of a process outlive it when it was killed. */
export function removeFaketimeLeftovers(pid: number): void {
  for (const f of [`/dev/shm/faketime_shm_${pid}`, `/dev/shm/sem.faketime_sem_${pid}`]) rmSync(f, { force: true });
}
