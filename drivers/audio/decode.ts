import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { decodeArgs, lastStderrLine, type DecodeArgsOptions } from './decode-args.js';
import { commitFile, tempBeside } from './durable-file.js';
import { AudioError } from './errors.js';
import { missingToolError } from './run-tool.js';
import { AUDIO_FORMAT, readWavInfo } from './wav-format.js';

export interface DecodeOptions extends Partial<Omit<DecodeArgsOptions, 'input' | 'output'>> {
  env?: NodeJS.ProcessEnv;
  /** Niceness of the ffmpeg process (0..19); default 19, the lowest CPU priority, so sensing and alarms go first. */
  nice?: number;
  /** Kill ffmpeg after this long; default 10 minutes. */
  timeoutMs?: number;
}

export interface DecodedAudio {
  path: string;
  durationMs: number;
}

/**
 * Decodes an audio file (MP3, M4A/AAC, OGG/Opus, FLAC, …) to a WAV in the driver's format with the system ffmpeg,
 * at low priority. The WAV appears atomically: ffmpeg writes beside it under a temporary name, which is renamed into
 * place only when the whole file decoded to some audio; a half-written conversion is never left under `outPath`.
 * Rejects with AudioError: `tool-missing`, or `tool-failed` whose `detail` is ffmpeg's last stderr line.
 */
export async function decodeToWav(input: string, outPath: string, opts: DecodeOptions = {}): Promise<DecodedAudio> {
  const { env, nice, timeoutMs, ...format } = opts;
  await mkdir(dirname(outPath), { recursive: true });
  const tmp = tempBeside(outPath);
  try {
    const args = decodeArgs({ rate: AUDIO_FORMAT.rate, channels: AUDIO_FORMAT.channels, ...format, input, output: tmp });
    await runFfmpeg(args, input, { env, nice: nice ?? 19, timeoutMs: timeoutMs ?? 600_000 });
    const info = await readWavInfo(tmp);
    if (info.dataBytes === 0) throw new AudioError('tool-failed', `ffmpeg decoded no audio from ${input}`, 'no audio in the file');
    await commitFile(tmp, outPath);
    return { path: outPath, durationMs: info.durationMs };
  } finally {
    await rm(tmp, { force: true });
  }
}

function runFfmpeg(args: string[], input: string, o: { env: NodeJS.ProcessEnv | undefined; nice: number; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { env: o.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, Math.max(0, Math.min(19, Math.round(o.nice))));
      } catch {
        // The process may already be gone; its exit code tells the story.
      }
    }
    const err: Buffer[] = [];
    let errBytes = 0;
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      errBytes += b.length;
      // Keep the tail only: a damaged file can make ffmpeg complain for every frame.
      while (errBytes > 64_000 && err.length > 1) errBytes -= err.shift()!.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? missingToolError('ffmpeg') : new AudioError('tool-failed', `ffmpeg: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const last = timedOut ? `timed out after ${o.timeoutMs} ms` : (lastStderrLine(Buffer.concat(err).toString('utf8')) ?? (signal ? `signal ${signal}` : `exit code ${String(code)}`));
      reject(new AudioError('tool-failed', `ffmpeg could not decode ${input}: ${last}`, last));
    });
  });
}
