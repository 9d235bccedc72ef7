import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { buildProgramme } from '../../drivers/audio/programme.js';
import { renderSiren } from '../../drivers/audio/siren.js';
import { SIREN_CATALOGUE, type SirenName } from '../../drivers/audio/siren-pattern.js';
import { renderSpeech } from '../../drivers/audio/speech.js';
import { AudioError } from '../../drivers/audio/errors.js';
import { readWavInfo } from '../../drivers/audio/wav-format.js';

export interface ProgrammeAudioOptions {
  /** Holds `speech/` (the speech cache), `sirens/` and `programmes/`. */
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

async function usable(path: string): Promise<boolean> {
  const info = await readWavInfo(path).catch(() => undefined);
  return info !== undefined && info.dataBytes > 0;
}
