import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Duration in seconds as sox reports it (`sox --i -D`). */
export function soxDurationS(path: string): number {
  return Number(execFileSync('sox', ['--i', '-D', path], { encoding: 'utf8' }).trim());
}

/** `sox FILE -n stat` figures (printed on stderr). */
export function soxStat(path: string): { lengthS: number; rms: number; maxAmplitude: number } {
  const r = spawnSync('sox', [path, '-n', 'stat'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox stat failed: ${r.stderr}`);
  const field = (label: string): number => {
    const m = new RegExp(`^${label}:\\s+(-?[0-9.]+)`, 'm').exec(r.stderr);
    if (!m?.[1]) throw new Error(`no '${label}' in sox stat output:\n${r.stderr}`);
    return Number(m[1]);
  };
  return { lengthS: field('Length \\(seconds\\)'), rms: field('RMS\\s+amplitude'), maxAmplitude: field('Maximum amplitude') };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fenghuo-audio-${prefix}-`));
}

/** An environment whose PATH holds nothing, so every external tool is "missing". */
export function envWithoutTools(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: tempDir('empty-path') };
}
