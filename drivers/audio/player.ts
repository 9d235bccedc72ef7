import { spawn, type ChildProcess } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { commitFile, tempBeside } from './durable-file.js';
import { AudioError } from './errors.js';
import { missingToolError, runTool } from './run-tool.js';
import { SOX_FORMAT_ARGS, readWavInfo } from './wav-format.js';

export type PlayOutcome = 'played' | 'interrupted' | 'failed';

export interface PlayResult {
  outcome: PlayOutcome;
  error?: string;
  /** A `before`/`after` hook threw; playback outcome is reported separately. */
  hookError?: string;
}

export type AudioSink = { kind: 'alsa'; device: string } | { kind: 'file'; path: string };

export interface PlayOptions {
  /** ALSA device for `aplay -D` ('default', 'plughw:1,0', ...) or `file:/abs/path.wav` to append to a file. */
  device: string;
  /** Aborting pre-empts playback: the player process is killed and the result is 'interrupted'. */
  signal?: AbortSignal;
  /** Give up (kill, 'failed') after this long. Default: 1.5 × the file's duration + 5 s. */
  timeoutMs?: number;
  /** Runs before the player starts (e.g. the caller switches the amplifier relay on). A throw fails the play. */
  before?: () => void | Promise<void>;
  /** Runs after playback whatever happened, once `before` has been called (e.g. relay off). */
  after?: (result: PlayResult) => void | Promise<void>;
  /** The file sink writes at the programme's own pace, like a loudspeaker, so pre-emption behaves as on hardware. Default true. */
  realtime?: boolean;
  /** Wait this long after SIGTERM before SIGKILL. Default 2000 ms. */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Pure: reads a device string. ALSA names are limited to characters ALSA uses, so none can pass as an option. */
export function parseSink(device: string): AudioSink {
  if (device.startsWith('file:')) {
    const path = device.slice('file:'.length);
    if (!isAbsolute(path)) throw new AudioError('invalid-device', `file sink needs an absolute path: '${device}'`);
    return { kind: 'file', path };
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_:,.=-]*$/.test(device)) {
    throw new AudioError('invalid-device', `invalid ALSA device '${device}' (e.g. default, plughw:1,0, or file:/path/out.wav)`);
  }
  return { kind: 'alsa', device };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Plays a WAV file to an ALSA device with aplay, or appends it to a WAV file (the file sink). Never rejects:
 * every problem comes back as `{ outcome: 'failed', error }`. The driver knows nothing of relays or priorities;
 * callers bring those through `before`/`after` and `signal`.
 */
export async function playWav(wavPath: string, opts: PlayOptions): Promise<PlayResult> {
  let sink: AudioSink;
  let durationMs: number;
  try {
    sink = parseSink(opts.device);
    durationMs = (await readWavInfo(wavPath)).durationMs;
  } catch (e) {
    return { outcome: 'failed', error: message(e) };
  }
  if (opts.signal?.aborted) return { outcome: 'interrupted' };

  let result: PlayResult;
  try {
    await opts.before?.();
    result = await runPlayer(wavPath, sink, durationMs, opts);
  } catch (e) {
    result = { outcome: 'failed', hookError: `before hook failed: ${message(e)}` };
  }
  try {
    await opts.after?.(result);
  } catch (e) {
    result = { ...result, hookError: `${result.hookError ? `${result.hookError}; ` : ''}after hook failed: ${message(e)}` };
  }
  return result;
}

async function runPlayer(wavPath: string, sink: AudioSink, durationMs: number, opts: PlayOptions): Promise<PlayResult> {
  const timeoutMs = opts.timeoutMs ?? Math.round(durationMs * 1.5) + 5_000;
  if (sink.kind === 'alsa') {
    return supervise('aplay', ['-q', '-D', sink.device, wavPath], timeoutMs, opts);
  }
  const tmp = tempBeside(sink.path, '.part.wav');
  try {
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      ...(opts.realtime === false ? [] : ['-re']),
      '-i', wavPath, '-map_metadata', '-1', '-bitexact', '-c:a', 'pcm_s16le', '-f', 'wav', '-y', tmp,
    ];
    const result = await supervise('ffmpeg', args, timeoutMs, opts);
    // What was "heard" before a pre-emption is kept, as a recording of a loudspeaker would be.
    if (result.outcome !== 'failed') {
      try {
        await appendWav(sink.path, tmp, opts.env);
      } catch (e) {
        if (result.outcome === 'played') return { outcome: 'failed', error: `file sink: ${message(e)}` };
      }
    }
    return result;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Appends `part` to the WAV at `target` (creating it), replacing the target atomically. */
async function appendWav(target: string, part: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const info = await readWavInfo(part);
  if (info.dataBytes === 0) return;
  const exists = await stat(target).then(() => true, () => false);
  const joined = tempBeside(target, '.new.wav');
  try {
    await runTool('sox', [...(exists ? [target] : []), part, ...SOX_FORMAT_ARGS, joined], { env });
    await commitFile(joined, target);
  } finally {
    await rm(joined, { force: true });
  }
}

/** Runs the player process until it exits, the caller aborts, or the timeout passes. */
function supervise(command: string, args: string[], timeoutMs: number, opts: PlayOptions): Promise<PlayResult> {
  // The caller may pre-empt while the `before` hook (relay, amplifier warm-up) was still running.
  if (opts.signal?.aborted) return Promise.resolve({ outcome: 'interrupted' });
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      resolve({ outcome: 'failed', error: message(e) });
      return;
    }
    let stopping: PlayResult | undefined;
    let escalate: NodeJS.Timeout | undefined;
    const stderr: Buffer[] = [];
    child.stderr?.on('data', (b: Buffer) => stderr.push(b));

    const stop = (why: PlayResult): void => {
      if (stopping) return;
      stopping = why;
      child.kill('SIGTERM');
      // Some players ignore SIGTERM while blocked on a device; do not wait for ever.
      escalate = setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 2_000);
    };
    const onAbort = (): void => stop({ outcome: 'interrupted' });
    const timer = setTimeout(() => stop({ outcome: 'failed', error: `${command} timed out after ${timeoutMs} ms` }), timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (r: PlayResult): void => {
      clearTimeout(timer);
      if (escalate) clearTimeout(escalate);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish({ outcome: 'failed', error: e.code === 'ENOENT' ? missingToolError(command).message : `${command}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      if (stopping) return finish(stopping);
      if (code === 0) return finish({ outcome: 'played' });
      const said = Buffer.concat(stderr).toString('utf8').trim().slice(0, 500);
      finish({ outcome: 'failed', error: `${command} failed (${signal ? `signal ${signal}` : `exit code ${String(code)}`})${said ? `: ${said}` : ''}` });
    });
  });
}
