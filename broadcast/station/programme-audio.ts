import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeToWav } from '../../drivers/audio/decode.js';
import { buildProgramme } from '../../drivers/audio/programme.js';
import { renderSiren } from '../../drivers/audio/siren.js';
import { SIREN_CATALOGUE, type SirenName } from '../../drivers/audio/siren-pattern.js';
import { renderSpeech } from '../../drivers/audio/speech.js';
import { AudioError } from '../../drivers/audio/errors.js';
import { readWavInfo } from '../../drivers/audio/wav-format.js';

export interface ProgrammeAudioOptions {
  /** Holds `speech/` (the speech cache), `sirens/`, `programmes/` and `decoded/` (programme files converted to WAV). */
  readonly audioDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ProgrammeRequest {
  readonly sirenPattern?: string;
  readonly message: string;
  readonly voice?: string;
  readonly rate?: number;
}

/**
 * Renders what a loudspeaker plays once (siren tone, then the spoken message) to a WAV, with the audio driver.
 * Files are named by what went into them, so a file already there is reused (after checking it is a WAV with
 * audio); two speakers asking for the same programme at once wait for one render.
 */
export class ProgrammeAudio {
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Conversions that failed, by cache file name (so by the source's path, size and mtime): not tried again until the file changes. */
  private readonly failed = new Map<string, AudioError>();

  constructor(private readonly opts: ProgrammeAudioOptions) {}

  /** Path of the rendered programme; rejects (AudioError) when a part cannot be rendered. */
  render(req: ProgrammeRequest): Promise<string> {
    const id = JSON.stringify([req.sirenPattern ?? null, req.message, req.voice ?? null, req.rate ?? null]);
    return this.once(`programme:${id}`, async () => {
      const parts: string[] = [];
      if (req.sirenPattern !== undefined) parts.push(await this.siren(req.sirenPattern));
      const speech = await renderSpeech(req.message, {
        cacheDir: join(this.opts.audioDir, 'speech'),
        ...(req.voice === undefined ? {} : { voice: req.voice }),
        ...(req.rate === undefined ? {} : { rate: req.rate }),
        ...(this.opts.env === undefined ? {} : { env: this.opts.env }),
      });
      parts.push(speech.path);
      if (parts.length === 1) return speech.path;
      const name = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
      const out = join(this.opts.audioDir, 'programmes', `${name}.wav`);
      if (await usable(out)) return out;
      await buildProgramme(parts, out, { repeat: 1, ...(this.opts.env === undefined ? {} : { env: this.opts.env }) });
      return out;
    });
  }

  /**
   * A WAV of the audio file at `source` (MP3, M4A/AAC, OGG/Opus, FLAC, …), decoded with ffmpeg at low priority into
   * `decoded/`, named by the source's path, size and mtime: an unchanged file is converted once, a changed one again
   * (and its old conversion removed). Rejects with AudioError (its `detail` ffmpeg's last stderr line); a file that
   * failed is not tried again until it changes.
   */
  async decoded(source: string): Promise<string> {
    const path = resolve(source);
    const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
      throw new AudioError('invalid-input', `cannot read ${path}: ${e.code ?? e.message}`);
    });
    if (!st.isFile()) throw new AudioError('invalid-input', `${path} is not a file`);
    const ofPath = createHash('sha256').update(JSON.stringify([DECODE_VERSION, path])).digest('hex').slice(0, 16);
    const ofContent = createHash('sha256').update(JSON.stringify([st.size, st.mtimeMs])).digest('hex').slice(0, 16);
    const name = `${ofPath}-${ofContent}.wav`;
    const dir = join(this.opts.audioDir, 'decoded');
    const out = join(dir, name);
    const failure = this.failed.get(name);
    if (failure) throw failure;
    return this.once(`decoded:${name}`, async () => {
      if (await usable(out)) return out;
      try {
        await decodeToWav(path, out, this.opts.env === undefined ? {} : { env: this.opts.env });
      } catch (e) {
        if (e instanceof AudioError && e.code === 'tool-failed') this.failed.set(name, e);
        throw e;
      }
      // The conversions of this file's earlier versions are of no more use.
      for (const old of await readdir(dir).catch(() => [] as string[])) {
        if (old.startsWith(`${ofPath}-`) && old !== name) await rm(join(dir, old), { force: true });
      }
      for (const key of this.failed.keys()) if (key.startsWith(`${ofPath}-`) && key !== name) this.failed.delete(key);
      return out;
    });
  }

  private siren(name: string): Promise<string> {
    if (!Object.hasOwn(SIREN_CATALOGUE, name)) {
      return Promise.reject(new AudioError('invalid-pattern', `unknown siren '${name}' (built in: ${Object.keys(SIREN_CATALOGUE).join(', ')})`));
    }
    return this.once(`siren:${name}`, async () => {
      const pattern = SIREN_CATALOGUE[name as SirenName];
      const hash = createHash('sha256').update(JSON.stringify(pattern)).digest('hex').slice(0, 16);
      const out = join(this.opts.audioDir, 'sirens', `${name}-${hash}.wav`);
      if (await usable(out)) return out;
      await renderSiren(name as SirenName, out, this.opts.env === undefined ? {} : { env: this.opts.env });
      return out;
    });
  }

  /** Runs `make` once per id while it is under way. */
  private once(id: string, make: () => Promise<string>): Promise<string> {
    const known = this.inFlight.get(id);
    if (known) return known;
    const p = make().finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }
}

/** Bump when the way files are decoded changes, so old conversions are not reused. */
const DECODE_VERSION = 1;

async function usable(path: string): Promise<boolean> {
  const info = await readWavInfo(path).catch(() => undefined);
  return info !== undefined && info.dataBytes > 0;
}
