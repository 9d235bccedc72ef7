/**
 * One ffmpeg process of a recording: spawned with an argv from ffmpeg-args.ts, its `-progress` blocks parsed, its
 * stderr scanned for damaged input, and stopped in the two ways the field notes call for: cleanly (`q` on stdin, so
 * the last segment is closed; SIGINT, then SIGKILL if it does not go) or, when stalled, by SIGTERM and then SIGKILL
 * after a grace (an ffmpeg stuck in a read can ignore SIGTERM for ever). Its pid is kept in a file beside the
 * segments, so a daemon that was killed can end the orphan before it resumes the recording.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { damageLine } from './ffmpeg-args.js';
import { ProgressParser, type FfmpegProgress } from './progress-parser.js';

export interface FfmpegExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The spawn failed (ffmpeg missing): the reason. */
  readonly spawnError?: string;
  /** The last lines of stderr, for the log. */
  readonly stderrTail: string;
}

export interface FfmpegRunOptions {
  readonly ffmpeg: string;
  readonly args: readonly string[];
  /** Where the pid is written while the process lives. */
  readonly pidFile?: string;
  readonly onProgress?: (p: FfmpegProgress) => void;
  /** Called once per stderr line that reports damaged input packets. */
  readonly onDamage?: (line: string) => void;
}

const STDERR_TAIL_BYTES = 4_000;

export class FfmpegRun {
  readonly exited: Promise<FfmpegExit>;
  readonly pid: number | undefined;
  private readonly child: ChildProcess;
  private done = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: FfmpegRunOptions) {
    this.child = spawn(opts.ffmpeg, [...opts.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    if (opts.pidFile !== undefined && this.pid !== undefined) writeFileSync(opts.pidFile, `${this.pid}\n`);
    // A stop written after ffmpeg died would raise EPIPE: nothing to do about it.
    this.child.stdin?.on('error', () => undefined);
    let stderrTail = '';
    const parser = new ProgressParser();
    if (this.child.stdout !== null) {
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        const p = parser.push(line);
        if (p !== undefined) opts.onProgress?.(p);
      });
    }
    if (this.child.stderr !== null) {
      createInterface({ input: this.child.stderr }).on('line', (line) => {
        stderrTail = (stderrTail + line + '\n').slice(-STDERR_TAIL_BYTES);
        if (damageLine(line)) opts.onDamage?.(line);
      });
    }
    this.exited = new Promise<FfmpegExit>((resolve) => {
      const finish = (exit: Omit<FfmpegExit, 'stderrTail'>): void => {
        if (this.done) return;
        this.done = true;
        for (const t of this.timers) clearTimeout(t);
        if (opts.pidFile !== undefined) rmSync(opts.pidFile, { force: true });
        // stderr may still hold the last lines; give readline a turn to deliver them.
        setImmediate(() => resolve({ ...exit, stderrTail }));
      };
      this.child.once('error', (err) => finish({ code: null, signal: null, spawnError: err.message }));
      this.child.once('close', (code, signal) => finish({ code, signal }));
    });
  }

  running(): boolean {
    return !this.done;
  }

  /** The clean stop: `q` on stdin; SIGINT after `graceMs`, SIGKILL after twice that. Resolves once it exited. */
  async stop(graceMs: number): Promise<FfmpegExit> {
    if (!this.done) {
      this.child.stdin?.write('q\n');
      this.child.stdin?.end();
      this.later(graceMs, 'SIGINT');
      this.later(2 * graceMs, 'SIGKILL');
    }
    return this.exited;
  }

  /** For a stalled run: SIGTERM now, SIGKILL after `graceMs`. */
  async kill(graceMs: number): Promise<FfmpegExit> {
    if (!this.done) {
      this.signal('SIGTERM');
      this.later(graceMs, 'SIGKILL');
    }
    return this.exited;
  }

  private later(ms: number, sig: NodeJS.Signals): void {
    const t = setTimeout(() => this.signal(sig), ms);
    t.unref();
    this.timers.push(t);
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    try {
      this.child.kill(sig);
    } catch {
      // already gone
    }
  }
}

/**
 * Ends an ffmpeg left running by a daemon that was killed (its pid file says which), but only if that pid is still an
 * ffmpeg writing into `dir` (pids are reused). Resolves once it is gone; true if there was one.
 */
export async function killOrphan(pidFile: string, dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return false;
  }
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !isOurFfmpeg(pid, dir)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  for (let i = 0; i < 100 && isOurFfmpeg(pid, dir); i++) await new Promise((r) => setTimeout(r, 20));
  return true;
}

function isOurFfmpeg(pid: number, dir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z) is gone already; it only waits for its parent to read its status.
    if (/^\d+ \(.*\) Z/.test(state)) return false;
    return (argv[0] ?? '').includes('ffmpeg') && argv.some((a) => a.startsWith(dir));
  } catch {
    return false;
  }
}
