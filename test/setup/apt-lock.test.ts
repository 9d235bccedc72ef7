import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs helper of the test set-up (no types); its one export is used as documented there.
import { aptGet } from './apt.mjs';

type AptGet = (args: string[], opts?: { waitMs?: number; retryMs?: number; log?: (s: string) => void }) => Promise<void>;
const run = aptGet as AptGet;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Holds an apt/dpkg lock file (a POSIX lock, as apt, dpkg and unattended-upgrades take them) for `ms`, in another process. */
function holdLock(ms: number, file = '/var/lib/dpkg/lock-frontend'): Promise<{ released: Promise<void> }> {
  const script = [
    'import fcntl, sys, time',
    `f = open(${JSON.stringify(file)}, 'w')`,
    'fcntl.lockf(f, fcntl.LOCK_EX)',
    "print('HELD', flush=True)",
    `time.sleep(${ms / 1000})`,
  ].join('\n');
  const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (s.includes('HELD')) resolve({ released });
    });
    child.once('error', reject);
  });
}

describe.skipIf(!isRoot)('npm test\'s apt step on a first boot (another apt holds the dpkg lock)', () => {
  it('an install waits for the dpkg lock instead of failing at once', async () => {
    const { released } = await holdLock(3_000);
    const t0 = Date.now();
    // socat is already installed (the tests need it): apt-get takes the lock, finds nothing to do, and exits 0.
    await run(['install', '-y', '-qq', 'socat'], { waitMs: 60_000, retryMs: 500, log: () => undefined });
    await released;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('a command whose lock dpkg does not wait for is retried until the lock is free, saying why', async () => {
    const { released } = await holdLock(3_000, '/var/cache/apt/archives/lock');
    const said: string[] = [];
    const t0 = Date.now();
    await run(['clean'], { waitMs: 60_000, retryMs: 300, log: (s) => said.push(s) });
    await released;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(said).toEqual(['another apt or dpkg (on a fresh Debian, often unattended-upgrades) holds its lock; waiting for it']);
  });

  it('gives up with apt-get\'s own words once the wait is over', async () => {
    const { released } = await holdLock(4_000);
    await expect(run(['install', '-y', '-qq', 'socat'], { waitMs: 0, retryMs: 100, log: () => undefined })).rejects.toThrow(/lock/);
    await released;
  });
});
