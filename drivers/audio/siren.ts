import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkNotCivilDefence } from './civil-defence.js';
import { commitFile } from './durable-file.js';
import { AudioError } from './errors.js';
import { runTool } from './run-tool.js';
import { SIREN_CATALOGUE, SirenPatternSchema, patternDurationMs, type SirenName, type SirenPattern, type SirenSegment } from './siren-pattern.js';
import { SOX_FORMAT_ARGS } from './wav-format.js';

export interface RenderOptions {
  /** Child environment (its PATH finds sox). */
  env?: NodeJS.ProcessEnv;
}

export interface RenderedAudio {
  path: string;
  durationMs: number;
}

/** Validates a pattern (shape and civil-defence distance); throws AudioError 'invalid-pattern'. */
export function validateSirenPattern(input: unknown): SirenPattern {
  const parsed = SirenPatternSchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? first.path.join('.') : '';
    throw new AudioError('invalid-pattern', `invalid siren pattern${where ? ` at ${where}` : ''}: ${first?.message ?? 'unknown'}`);
  }
  const check = checkNotCivilDefence(parsed.data);
  if (!check.ok) throw new AudioError('invalid-pattern', `siren pattern '${parsed.data.name}' rejected: ${check.reason}`);
  return parsed.data;
}

function segmentArgs(seg: SirenSegment, volume: number, out: string): string[] {
  const secs = (seg.ms / 1000).toFixed(3);
  const head = ['-n', ...SOX_FORMAT_ARGS, out];
  switch (seg.kind) {
    case 'silence':
      return [...head, 'trim', '0', secs];
    case 'tone':
      return [...head, 'synth', secs, 'sine', String(seg.hz), 'vol', String(volume)];
    case 'sweep':
      // "a-b" is sox's linear glide between the two frequencies.
      return [...head, 'synth', secs, 'sine', `${seg.fromHz}-${seg.toHz}`, 'vol', String(volume)];
  }
}

/**
 * Renders a siren (a catalogue name or a pattern) to a WAV file with sox. The file appears atomically:
 * it is written beside the target under a temporary name and renamed into place.
 */
export async function renderSiren(pattern: SirenName | SirenPattern, outPath: string, opts: RenderOptions = {}): Promise<RenderedAudio> {
  const chosen: unknown = typeof pattern === 'string' ? (SIREN_CATALOGUE as Record<string, SirenPattern>)[pattern] : pattern;
  if (chosen === undefined) {
    throw new AudioError('invalid-pattern', `unknown siren '${String(pattern)}' (built in: ${Object.keys(SIREN_CATALOGUE).join(', ')})`);
  }
  const p = validateSirenPattern(chosen);
  await mkdir(dirname(outPath), { recursive: true });
  const work = await mkdtemp(join(dirname(outPath), `.${basename(outPath)}.`));
  try {
    const volume = p.volume ?? 0.8;
    const parts: string[] = [];
    for (const [i, seg] of p.segments.entries()) {
      const part = join(work, `seg-${i}.wav`);
      await runTool('sox', segmentArgs(seg, volume, part), opts);
      parts.push(part);
    }
    const tmp = join(work, 'out.wav');
    const repeat = p.repeat > 1 ? ['repeat', String(p.repeat - 1)] : [];
    await runTool('sox', [...parts, ...SOX_FORMAT_ARGS, tmp, ...repeat], opts);
    await commitFile(tmp, outPath);
    return { path: outPath, durationMs: patternDurationMs(p) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
