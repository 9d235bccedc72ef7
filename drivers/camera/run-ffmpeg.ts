import { spawn } from 'node:child_process';
import { CameraError, classifyFfmpegFailure, stderrTail } from './errors.js';

export interface RunFfmpegOptions {
  readonly ffmpeg: string;
  readonly args: readonly string[];
  /** Hard limit: SIGTERM at this point, SIGKILL `killGraceMs` later (ffmpeg stuck in a read can ignore SIGTERM). */
  readonly timeoutMs: number;
  readonly killGraceMs?: number;
  /** Aborting kills it the same way (the module stopping). */
  readonly signal?: AbortSignal;
}

const STDERR_MAX = 8_000;

/**
 * Runs ffmpeg once (argv, never a shell) and resolves when it exited 0. Rejects with a CameraError: `timeout` when the
 * hard limit ended it, `tool-missing`, or what its stderr says (`refused`, `not-image`, `ffmpeg-failed`), with the tail.
 */
export function runFfmpeg(o: RunFfmpegOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.ffmpeg, [...o.args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const kill = (sig: NodeJS.Signals): void => {
      try {
        child.kill(sig);
      } catch {
        // gone already
      }
    };
    const end = (why: 'timeout' | 'abort'): void => {
      timedOut = why === 'timeout';
      kill('SIGTERM');
      timers.push(setTimeout(() => kill('SIGKILL'), o.killGraceMs ?? 1_000));
    };
    timers.push(setTimeout(() => end('timeout'), o.timeoutMs));
    const onAbort = (): void => end('abort');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-STDERR_MAX);
    });
    const finish = (err?: CameraError): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      finish(
        e.code === 'ENOENT'
          ? new CameraError('tool-missing', `${o.ffmpeg} is not installed or not on PATH (Debian package: ffmpeg)`)
          : new CameraError('ffmpeg-failed', `${o.ffmpeg}: ${e.message}`),
      );
    });
    child.once('close', (code, sig) => {
      if (code === 0 && !timedOut) return finish();
      const tail = stderrTail(stderr);
      if (timedOut) return finish(new CameraError('timeout', `no picture within ${o.timeoutMs} ms (ffmpeg killed)`, tail));
      if (o.signal?.aborted === true) return finish(new CameraError('timeout', 'snapshot abandoned (stopping)', tail));
      const how = sig !== null ? `signal ${sig}` : `exit code ${String(code)}`;
      const code2 = classifyFfmpegFailure(stderr);
      finish(new CameraError(code2, `ffmpeg failed (${how})${tail === '' ? '' : `: ${tail.split('\n').pop() ?? ''}`}`, tail));
    });
  });
}
