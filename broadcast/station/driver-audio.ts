import { AudioError } from '../../drivers/audio/errors.js';
import { playWav } from '../../drivers/audio/player.js';
import type { ProgrammeFiles, StationAudio } from './ports.js';
import { ProgrammeAudio } from './programme-audio.js';

/**
 * The station's audio on this box: espeak-ng and sox render (cached under `audioDir`), ffmpeg converts programme
 * files that are not WAV (cached under `audioDir/decoded`), aplay or the file sink play.
 */
export function driverAudio(opts: { readonly audioDir: string; readonly env?: NodeJS.ProcessEnv }): StationAudio & ProgrammeFiles {
  const env = opts.env === undefined ? {} : { env: opts.env };
  const programmes = new ProgrammeAudio({ audioDir: opts.audioDir, ...env });
  return {
    renderSpeech: (req) =>
      programmes.render({
        message: req.text,
        ...(req.sirenPattern === undefined ? {} : { sirenPattern: req.sirenPattern }),
        ...(req.voice === undefined ? {} : { voice: req.voice }),
        ...(req.rate === undefined ? {} : { rate: req.rate }),
      }),
    play: (wav, req) => playWav(wav, { device: req.device, signal: req.signal, before: req.before, after: req.after, ...env }),
    prepareFile: (path) =>
      programmes.decoded(path).then(
        (wav) => ({ ok: true as const, wav, converted: true }),
        (e: unknown) => ({
          ok: false as const,
          error: e instanceof Error ? e.message : String(e),
          detail: e instanceof AudioError && e.detail !== undefined ? e.detail : null,
        }),
      ),
  };
}
