import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { commitFile } from './durable-file.js';
import { AudioError } from './errors.js';
import type { RenderedAudio, RenderOptions } from './siren.js';
import { runTool } from './run-tool.js';
import { SOX_FORMAT_ARGS, readWavInfo } from './wav-format.js';

export interface ProgrammeOptions extends RenderOptions {
  /** How many times the whole sequence plays (field RTUs say the warning 3 times). Default 1. */
  repeat?: number;
  /** Pause between parts and between repeats, in ms. Default 800. */
  gapMs?: number;
}

/**
 * Joins WAV files (e.g. siren then speech) into one programme with sox, repeated, with pauses between.
 * Each part is first brought to the driver's common format so files from anywhere can be joined.
 */
export async function buildProgramme(parts: readonly string[], outPath: string, opts: ProgrammeOptions = {}): Promise<RenderedAudio> {
  const repeat = opts.repeat ?? 1;
  const gapMs = opts.gapMs ?? 800;
  if (parts.length === 0) throw new AudioError('invalid-input', 'a programme needs at least one part');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new AudioError('invalid-input', `programme repeat ${repeat} outside 1..20`);
  if (!Number.isInteger(gapMs) || gapMs < 0 || gapMs > 60_000) throw new AudioError('invalid-input', `programme gap ${gapMs} ms outside 0..60000`);
  for (const p of parts) await readWavInfo(p);

  await mkdir(dirname(outPath), { recursive: true });
  const work = await mkdtemp(join(dirname(outPath), `.${basename(outPath)}.`));
  try {
    const normalised: string[] = [];
    for (const [i, p] of parts.entries()) {
      const n = join(work, `part-${i}.wav`);
      await runTool('sox', [p, ...SOX_FORMAT_ARGS, n], opts);
      normalised.push(n);
    }
    const gap = join(work, 'gap.wav');
    if (gapMs > 0) await runTool('sox', ['-n', ...SOX_FORMAT_ARGS, gap, 'trim', '0', (gapMs / 1000).toFixed(3)], opts);
    const sequence: string[] = [];
    for (let r = 0; r < repeat; r++) {
      for (const n of normalised) {
        if (sequence.length > 0 && gapMs > 0) sequence.push(gap);
        sequence.push(n);
      }
    }
    const tmp = join(work, 'programme.wav');
    await runTool('sox', [...sequence, ...SOX_FORMAT_ARGS, tmp], opts);
    await commitFile(tmp, outPath);
    return { path: outPath, durationMs: (await readWavInfo(outPath)).durationMs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
