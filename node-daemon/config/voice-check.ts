import { listVoices } from '../../drivers/audio/speech.js';
import { AudioError } from '../../drivers/audio/errors.js';
import { makeProblem, renderValue, type ConfigProblem } from './problem.js';
import type { Config } from './schema.js';
import { didYouMean } from './suggest.js';

/**
 * Every speaker's voice must be one this box's espeak-ng has: an unknown voice would only show on the night the
 * message is first spoken. Without espeak-ng the voices cannot be checked; that is a warning, not an error (the
 * speaker then reports an output fault and the siren tone still sounds).
 */
export async function checkVoices(config: Config, env?: NodeJS.ProcessEnv): Promise<ConfigProblem[]> {
  const speakers = config.outputs.speakers;
  if (speakers.length === 0) return [];
  let voices: string[];
  try {
    voices = await listVoices('', env);
  } catch (err) {
    const why = err instanceof AudioError ? err.message : String(err);
    return [makeProblem(['outputs', 'speakers'], { severity: 'warning', message: `voices not checked: ${why}`, messageZh: '未能检查语音（espeak-ng 不可用）' })];
  }
  const out: ConfigProblem[] = [];
  for (const [i, speaker] of speakers.entries()) {
    if (voices.includes(speaker.voice)) continue;
    const near = didYouMean(speaker.voice, voices);
    out.push(
      makeProblem(['outputs', 'speakers', i, 'voice'], {
        value: renderValue(speaker.voice),
        message: `"${speaker.voice}" is not an espeak-ng voice on this box${near !== undefined ? `; did you mean "${near}"?` : '; expected cmn (Mandarin) or another name from `espeak-ng --voices`'}`,
        expected: 'cmn, or a language from `espeak-ng --voices`',
        messageZh: `espeak-ng 没有语音 "${speaker.voice}"（普通话为 cmn）`,
      }),
    );
  }
  return out;
}
