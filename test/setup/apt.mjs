// Runs apt-get the way a first boot needs: Debian often runs unattended-upgrades then, holding the dpkg or the
// package-list lock for minutes. apt-get gives up at once on a held lock; this waits for it instead, saying so.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK_HELD = /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock directory/;

function runOnce(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn('apt-get', args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s) => {
      err += s;
      process.stderr.write(s);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr: err }));
  });
}

/**
 * apt-get ARGS, retried every `retryMs` while another apt or dpkg holds a lock, for at most `waitMs`; dpkg's own lock
 * wait (DPkg::Lock::Timeout) covers the frontend lock. Resolves on success; rejects with apt-get's words otherwise.
 */
export async function aptGet(args, { env = process.env, waitMs = 15 * 60_000, retryMs = 2_000, log = console.error } = {}) {
  const deadline = Date.now() + waitMs;
  const lockWaitS = Math.max(1, Math.floor(waitMs / 1000));
  const full = ['-o', `DPkg::Lock::Timeout=${lockWaitS}`, ...args];
  let said = false;
  for (;;) {
    const { code, stderr } = await runOnce(full, env);
    if (code === 0) return;
    if (!LOCK_HELD.test(stderr) || Date.now() >= deadline) {
      throw new Error(`apt-get ${args.join(' ')} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
    }
    if (!said) log('another apt or dpkg (on a fresh Debian, often unattended-upgrades) holds its lock; waiting for it');
    said = true;
    await sleep(retryMs);
  }
}
