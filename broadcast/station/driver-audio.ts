import { playWav } from '../../drivers/audio/player.js';
import type { StationAudio } from './ports.js';
import { ProgrammeAudio } from './programme-audio.js';

/** The station's audio on this box: espeak-ng and sox render (cached under `audioDir`), aplay or the file sink play. */
export function driverAudio(opts: { readonly audioDir: string; readonly env?: NodeJS.ProcessEnv }): StationAudio {
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
  };
}
