import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commitFile, tempBeside } from './durable-file.js';
import { AudioError } from './errors.js';
import { runTool } from './run-tool.js';
import { readWavInfo, type WavInfo } from './wav-format.js';

export interface SpeechOptions {
  /** Directory of rendered messages, one `<hash>.wav` each; created if missing. */
  cacheDir: string;
  /** espeak-ng voice (default 'cmn', Mandarin). */
  voice?: string;
  /** Speaking rate in words per minute (espeak-ng -s; default 140, slower than espeak's 175 for outdoor horns). */
  rate?: number;
  env?: NodeJS.ProcessEnv;
}

export interface SpokenAudio {
  path: string;
  durationMs: number;
  /** True when the file came from the cache and espeak-ng was not run. */
  cached: boolean;
}

export const DEFAULT_VOICE = 'cmn';
export const DEFAULT_RATE = 140;
const MAX_TEXT_CHARS = 2_000;
/** Bump when the way messages are rendered changes, so old cache files are not reused. */
const RENDER_VERSION = 1;

/** Cache file name for a message: a hash of everything that changes the sound. */
export function speechCacheKey(voice: string, rate: number, text: string): string {
  return createHash('sha256').update(JSON.stringify([RENDER_VERSION, voice, rate, text])).digest('hex');
}

function checkInputs(text: string, voice: string, rate: number): void {
  if (text.trim().length === 0) throw new AudioError('invalid-input', 'speech text is empty');
  if (text.length > MAX_TEXT_CHARS) throw new AudioError('invalid-input', `speech text longer than ${MAX_TEXT_CHARS} characters`);
  // A voice name is passed as an argument: refuse anything that could read as an option or a path.
  if (!/^[A-Za-z0-9][A-Za-z0-9_+-]*$/.test(voice)) throw new AudioError('voice-unknown', `invalid espeak-ng voice name '${voice}'`);
  if (!Number.isInteger(rate) || rate < 80 || rate > 450) throw new AudioError('invalid-input', `speech rate ${rate} outside 80..450 words per minute`);
}

/** Voices espeak-ng offers for a language (`espeak-ng --voices=<lang>`), as "language (file)" names. */
export async function listVoices(language = DEFAULT_VOICE, env?: NodeJS.ProcessEnv): Promise<string[]> {
  const { stdout } = await runTool('espeak-ng', [`--voices=${language}`], { env });
  return parseVoiceList(stdout);
}

/** Pure: the language column of `espeak-ng --voices` output. */
export function parseVoiceList(stdout: string): string[] {
  return stdout
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[1])
    .filter((lang): lang is string => lang !== undefined && lang.length > 0);
}

/** A usable cached render, or undefined; a damaged one is removed so it gets rendered again. */
async function cachedRender(path: string): Promise<WavInfo | undefined> {
  const info = await readWavInfo(path).catch(() => undefined);
  if (info && info.dataBytes > 0) return info;
  await rm(path, { force: true });
  return undefined;
}

/**
 * Renders a spoken message offline with espeak-ng to a WAV in the cache directory, or returns the cached file.
 * Text goes through stdin as UTF-8, never on a command line. The cache file appears atomically (temp + rename),
 * so a power cut mid-render leaves no half file under the final name.
 */
export async function renderSpeech(text: string, opts: SpeechOptions): Promise<SpokenAudio> {
  const voice = opts.voice ?? DEFAULT_VOICE;
  const rate = opts.rate ?? DEFAULT_RATE;
  checkInputs(text, voice, rate);
  await mkdir(opts.cacheDir, { recursive: true });
  const key = speechCacheKey(voice, rate, text);
  const path = join(opts.cacheDir, `${key}.wav`);
  const hit = await cachedRender(path);
  if (hit) return { path, durationMs: hit.durationMs, cached: true };
  const tmp = tempBeside(path);
  try {
    await runTool('espeak-ng', ['-v', voice, '-s', String(rate), '-b', '1', '-w', tmp, '--stdin'], {
      env: opts.env,
      input: Buffer.from(text, 'utf8'),
    }).catch(async (e: unknown) => {
      throw await explainFailure(e, voice, opts.env);
    });
    const info = await readWavInfo(tmp);
    if (info.dataBytes === 0) throw new AudioError('tool-failed', 'espeak-ng produced no audio for the message');
    await commitFile(tmp, path);
    return { path, durationMs: info.durationMs, cached: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Turns espeak-ng's failure on an unknown voice into an error that lists the voices that do exist. */
async function explainFailure(e: unknown, voice: string, env?: NodeJS.ProcessEnv): Promise<unknown> {
  if (!(e instanceof AudioError) || e.code !== 'tool-failed') return e;
  const all = await listVoices('', env).catch(() => undefined);
  // A variant ('cmn+f3') is judged by its base voice.
  const base = voice.split('+')[0] ?? voice;
  if (all === undefined || all.includes(base)) return e;
  const mandarin = await listVoices(DEFAULT_VOICE, env).catch(() => []);
  return new AudioError(
    'voice-unknown',
    `espeak-ng has no voice '${voice}'. Mandarin voices available (espeak-ng --voices=cmn): ${mandarin.join(', ') || 'none'}`,
    e.detail,
  );
}
